"""numba kernels for the element-wise work of one mini-batch.

The matrix products of backprop go to BLAS through numpy; everything between them (adding the
bias, the sigmoid, sigma', the output delta, the parameter updates) is a pass over a small
array that numpy would do in several passes with a temporary each.  Each kernel here does that
work in one pass, in place, into arrays the engine allocated once.

The kernels are private (leading underscore) and trust their arguments: the engine in
`network.py` owns the buffers and validates everything that comes from a user before it gets
here.  They work for float32 and float64 alike (numba compiles one version per dtype).

Shapes: ``z, a, delta : (n, m)`` C-ordered, one column per example; ``b : (n, 1)``.
"""

import numba
import numpy as np

# Compiler options, named once.  fastmath stays off: it would let LLVM assume there are no
# inf/nan, and the engine relies on them to detect a diverging run.  error_model="numpy" drops
# the Python division-by-zero checks, which would otherwise block vectorization.
JIT_OPTIONS = {"nogil": True, "error_model": "numpy", "fastmath": False}


def _jit(func):
    """`numba.njit` with the options above, cached on disk when possible.

    `cache=True` writes next to the source file or in the user's cache directory.  When neither
    is writable (a read-only site-packages, a sandbox without $HOME), numba refuses at
    decoration time; the kernel is then compiled in memory on first use instead.
    """
    try:
        return numba.njit(cache=True, **JIT_OPTIONS)(func)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, **JIT_OPTIONS)(func)


@_jit
def _sigmoid(x):
    """The logistic function, stable for any x.

    exp is only ever taken of -|x| <= 0, so it cannot overflow; for |x| beyond ~745 (float64)
    or ~104 (float32) it underflows to 0 and the result is exactly 0 or 1.
    """
    e = np.exp(-abs(x))
    r = 1.0 / (1.0 + e)
    return r if x >= 0 else e * r


@_jit
def _gather(X, labels, index, out_x, out_y, scale):
    """Copy the columns ``X[:, index]`` into ``out_x`` (times ``scale``) and one-hot ``out_y``.

    X : (n_in, n) F-ordered (one contiguous column per example), any dtype; uint8 pixels are
    turned into floats here, mini-batch by mini-batch, so the data set can stay in bytes.
    labels : (n,) int; index : (m,); out_x : (n_in, m) F-ordered; out_y : (n_out, m).
    """
    n_in, m = out_x.shape
    out_y[:] = 0.0
    for j in range(m):
        col = index[j]
        for i in range(n_in):
            out_x[i, j] = X[i, col] * scale
        out_y[labels[col], j] = 1.0


@_jit
def _bias_sigmoid(z, b):
    """z <- sigmoid(z + b), in place.  z : (n, m), b : (n, 1)."""
    n, m = z.shape
    for i in range(n):
        bi = b[i, 0]
        for j in range(m):
            z[i, j] = _sigmoid(z[i, j] + bi)


@_jit
def _bias_softmax(z, b):
    """z <- softmax(z + b) column by column, in place.  z : (n, m), b : (n, 1).

    The column maximum is subtracted first, so exp never overflows.
    """
    n, m = z.shape
    for j in range(m):
        zmax = -np.inf
        for i in range(n):
            z[i, j] += b[i, 0]
            zmax = max(zmax, z[i, j])
        total = 0.0
        for i in range(n):
            z[i, j] = np.exp(z[i, j] - zmax)
            total += z[i, j]
        for i in range(n):
            z[i, j] /= total


@_jit
def _delta_quadratic(a, y, delta):
    """Output delta of the quadratic cost: (a - y) * sigma'(z), with sigma'(z) = a(1 - a)."""
    n, m = a.shape
    for i in range(n):
        for j in range(m):
            aij = a[i, j]
            delta[i, j] = (aij - y[i, j]) * (aij * (1.0 - aij))


@_jit
def _delta_difference(a, y, delta):
    """Output delta a - y: cross-entropy on sigmoids, and log-likelihood on a softmax."""
    n, m = a.shape
    for i in range(n):
        for j in range(m):
            delta[i, j] = a[i, j] - y[i, j]


@_jit
def _times_sigmoid_prime(delta, a):
    """delta <- delta * a(1 - a): the hidden-layer delta from the backpropagated error."""
    n, m = a.shape
    for i in range(n):
        for j in range(m):
            aij = a[i, j]
            delta[i, j] *= aij * (1.0 - aij)


@_jit
def _sum_columns(delta, out):
    """out <- the row sums of delta: the bias gradient summed over the mini-batch.

    delta : (n, m); out : (n, 1).
    """
    n, m = delta.shape
    for i in range(n):
        total = 0.0
        for j in range(m):
            total += delta[i, j]
        out[i, 0] = total


@_jit
def _update(p, grad, decay, step):
    """p <- decay * p - step * grad, in place: network2's L2 update (decay = 1 - eta*lmbda/n,
    step = eta/m for the summed gradient of m examples); biases use decay = 1."""
    n, k = p.shape
    for i in range(n):
        for j in range(k):
            p[i, j] = decay * p[i, j] - step * grad[i, j]


@_jit
def _update_momentum(p, v, grad, mu, decay_rate, step):
    """v <- mu*v - decay_rate*p - step*grad;  p <- p + v, in place.

    Momentum on the whole gradient of the regularized cost: decay_rate = eta*lmbda/n is its
    L2 part (0 for biases), step = eta/m scales the summed mini-batch gradient.
    """
    n, k = p.shape
    for i in range(n):
        for j in range(k):
            v[i, j] = mu * v[i, j] - decay_rate * p[i, j] - step * grad[i, j]
            p[i, j] += v[i, j]


@_jit
def _all_finite(a):
    """True when no entry of ``a`` is inf or nan (one pass, no temporary)."""
    for x in a.ravel():
        if not np.isfinite(x):
            return False
    return True
