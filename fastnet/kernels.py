"""numba kernels: the element-wise work of a mini-batch, and a whole SGD step compiled as one.

The matrix products of backprop go to BLAS (`_gemm`, the same BLAS that numba's ``np.dot``
uses, scipy's); everything between them (adding the bias, the sigmoid, sigma', the output
delta, the bias updates) is one pass of a kernel over a small array that numpy would do in
several passes with a temporary each.  `_train_step` chains all of it for one mini-batch and
`_train_batches` runs a whole epoch of mini-batches without returning to Python: at batch 10 a
Python-level step spent more time in call overhead than in arithmetic.

The kernels are private (leading underscore) and trust their arguments: the engine in
`network.py` owns the buffers and validates everything that comes from a user before it gets
here.  They work for float32 and float64 alike (numba compiles one version per dtype; the
sigmoid's constants are typed like the data, so that in float32 it vectorizes twice as wide).

Shapes: ``z, a, delta : (n, m)`` C-ordered, one column per example; ``b : (n, 1)``;
``w : (n_out, n_in)`` C-ordered; the gathered inputs ``x : (n_in, m)`` F-ordered.
"""

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic, overload
from numba.np.numpy_support import as_dtype

# numba's BLAS wrapper (`numba_xxgemm`) reaches BLAS through scipy; importing it here makes a
# missing scipy fail at import, and puts scipy's BLAS under threadpoolctl's control at once.
import scipy.linalg.cython_blas  # noqa: F401

from .settings import JIT_OPTIONS, MIN_BLOCK, SMALL_PRODUCT, SUM_OPTIONS


def _jit(func=None, options=JIT_OPTIONS):
    """`numba.njit` with the options above, cached on disk when possible.

    `cache=True` writes next to the source file or in the user's cache directory.  When neither
    is writable (a read-only site-packages, a sandbox without $HOME), numba refuses at
    decoration time; the kernel is then compiled in memory on first use instead.
    """
    if func is None:
        return lambda func: _jit(func, options)
    try:
        return numba.njit(cache=True, **options)(func)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, **options)(func)


# -- exp and the sigmoid, in a form LLVM can vectorize --------------------------------------
#
# numba's np.exp is a call into libm per element, which no compiler can turn into SIMD; numpy's
# own exp is SIMD, so a plain numba loop lost to numpy.  The exp below is straight-line code
# (no call, no branch: the conditionals are selects), so a loop over it vectorizes.  The
# sigmoid's accuracy, measured over the whole range against an exact (long double) logistic,
# is stated with the tolerances (`fastnet.tolerances.SIGMOID_RTOL`).


def _exp_nonpositive(x):
    """exp(x) for x <= 0 (or nan), inside jitted code only."""
    raise NotImplementedError("only callable from numba-compiled code")


def _sigmoid(x):
    """The logistic function, inside jitted code only."""
    raise NotImplementedError("only callable from numba-compiled code")


@intrinsic
def _times_pow2(typingctx, p, k):
    """p * 2**k for a float p and an integral float k with -2*emax < k <= 0.

    2**k is built from exponent bits, in two halves 2**(k//2) * 2**(k - k//2) that are both
    normal numbers, so that a result in the subnormal range is rounded once, as libm's is.
    """
    if p not in (types.float32, types.float64) or k != p:
        return None
    width, mantissa, bias = (64, 52, 1023) if p == types.float64 else (32, 23, 127)

    def codegen(context, builder, signature, args):
        p, k = args
        int_t = ir.IntType(width)
        k = builder.fptosi(k, int_t)
        k1 = builder.ashr(k, ir.Constant(int_t, 1))
        k2 = builder.sub(k, k1)

        def pow2(e):
            bits = builder.shl(builder.add(e, ir.Constant(int_t, bias)),
                               ir.Constant(int_t, mantissa))
            return builder.bitcast(bits, p.type)

        return builder.fmul(builder.fmul(p, pow2(k1)), pow2(k2))

    return p(p, k), codegen


# Cody-Waite range reduction: x = k ln2 + r with |r| <= ln2/2, where ln2 = LN2_HI + LN2_LO and
# LN2_HI has enough trailing zero bits that k * LN2_HI is exact.  exp(r) is its Taylor
# polynomial: degree 13 in float64 (truncation < 4e-18) and 7 in float32 (< 5e-9), far below
# half an ulp.  Below the clamp exp(x) rounds to 0 anyway; clamping keeps 2**k in range.
_EXP = {
    types.float64: {"dtype": np.float64, "ln2_hi": 6.93147180369123816490e-01,
                    "ln2_lo": 1.90821492927058770002e-10, "degree": 13, "clamp": -750.0},
    types.float32: {"dtype": np.float32, "ln2_hi": 0.693145751953125,
                    "ln2_lo": math.log(2) - 0.693145751953125, "degree": 7, "clamp": -105.0},
}


def _horner(coefficients):
    """A jitted polynomial c0 + r (c1 + r (c2 + ...)) with the coefficients as constants
    (each step a multiply-add that "contract" lets LLVM fuse into one FMA)."""
    c = coefficients[0]
    if len(coefficients) == 1:
        return numba.njit(**JIT_OPTIONS)(lambda r: c)
    rest = _horner(coefficients[1:])
    return numba.njit(**JIT_OPTIONS)(lambda r: c + r * rest(r))


@overload(_exp_nonpositive, jit_options=JIT_OPTIONS)
def _exp_nonpositive_impl(x):
    if x not in _EXP:
        raise TypingError(f"_exp_nonpositive needs float32 or float64, not {x}")
    spec = _EXP[x]
    T = spec["dtype"]
    ln2_hi, ln2_lo, clamp = T(spec["ln2_hi"]), T(spec["ln2_lo"]), T(spec["clamp"])
    log2e, half, zero = T(1 / math.log(2)), T(0.5), T(0)
    poly = _horner([T(1 / math.factorial(i)) for i in range(spec["degree"] + 1)])

    def impl(x):
        # nan < clamp is false, so nan passes; its k is set to 0, where float->int is defined.
        x = clamp if x < clamp else x
        k = np.floor(x * log2e + half)
        k = zero if k != k else k
        r = (x - k * ln2_hi) - k * ln2_lo
        return _times_pow2(poly(r), k)

    return impl


@overload(_sigmoid, jit_options=JIT_OPTIONS)
def _sigmoid_impl(x):
    if x not in _EXP:
        raise TypingError(f"_sigmoid needs float32 or float64, not {x}")
    one = _EXP[x]["dtype"](1)

    def impl(x):
        # exp is only taken of -|x| <= 0, so it cannot overflow; beyond |x| ~ 745 (float64) or
        # ~104 (float32) it is 0 and the result exactly 0 or 1.
        e = _exp_nonpositive(-abs(x))
        r = one / (one + e)
        return r if x >= 0 else e * r

    return impl


# -- matrix products --------------------------------------------------------------------------


def _gemm(alpha, a, b, beta, c):
    """c <- alpha * (a @ b) + beta * c, inside jitted code only (beta = 0: c is not read)."""
    raise NotImplementedError("only callable from numba-compiled code")


def _xxgemm(dtype):
    """numba's C wrapper of BLAS ?gemm (column-major, Fortran conventions)."""
    ptr = types.CPointer(dtype)
    return types.ExternalFunction("numba_xxgemm", types.intc(
        types.char, types.char, types.char, types.intp, types.intp, types.intp,
        ptr, ptr, types.intp, ptr, types.intp, ptr, ptr, types.intp))


@_jit
def _blas_layout(t):
    """(column-major?, leading dimension) of a 2-D array whose rows or columns are
    contiguous: an F- or C-ordered array, or a block of its columns or rows."""
    size = t.itemsize
    rows, cols = t.shape
    if t.strides[0] == size and (cols <= 1 or t.strides[1] >= rows * size):
        return True, max(t.strides[1] // size, rows, 1)
    if t.strides[1] == size and (rows <= 1 or t.strides[0] >= cols * size):
        return False, max(t.strides[0] // size, cols, 1)
    raise ValueError("_gemm needs arrays with contiguous rows or columns")


@overload(_gemm, jit_options=JIT_OPTIONS)
def _gemm_impl(alpha, a, b, beta, c):
    """Any mix of column- and row-major operands, with leading dimensions, so that transposed
    views (``w.T``) and blocks of columns (``x[:, j:k]``) cost no copy.

    BLAS sees every array column-major.  A column-major c is c itself; an operand in the same
    order as c goes in as is ("N"), the other as its transpose ("T").  A row-major c is seen
    as c.T, so the call computes c.T = b.T @ a.T, with the roles mirrored.
    """
    arrays = (a, b, c)
    if any(not isinstance(t, types.Array) or t.ndim != 2 for t in arrays):
        raise TypingError("_gemm needs 2-D arrays")
    if len({t.dtype for t in arrays}) != 1 or c.dtype not in _EXP:
        raise TypingError("_gemm needs float32 or float64 arrays of one dtype")
    xxgemm = _xxgemm(c.dtype)
    dtype = as_dtype(c.dtype)
    kind = ord("d" if c.dtype == types.float64 else "s")
    same, other = ord("N"), ord("T")

    def impl(alpha, a, b, beta, c):
        m, k = a.shape
        n = c.shape[1]
        if m == 0 or n == 0:
            return
        scalars = np.empty(2, dtype)
        scalars[0] = alpha
        scalars[1] = beta
        a_col, lda = _blas_layout(a)
        b_col, ldb = _blas_layout(b)
        c_col, ldc = _blas_layout(c)
        trans_a = same if a_col == c_col else other
        trans_b = same if b_col == c_col else other
        if c_col:
            status = xxgemm(kind, trans_a, trans_b, m, n, k, scalars[0:].ctypes, a.ctypes, lda,
                            b.ctypes, ldb, scalars[1:].ctypes, c.ctypes, ldc)
        else:
            status = xxgemm(kind, trans_b, trans_a, n, m, k, scalars[0:].ctypes, b.ctypes, ldb,
                            a.ctypes, lda, scalars[1:].ctypes, c.ctypes, ldc)
        if status != 0:  # numba's wrapper found no BLAS function for this kind
            raise RuntimeError("BLAS ?gemm is unavailable")

    return impl


# OpenBLAS runs small products through dedicated small-matrix kernels, which for the skinny
# products of a layer of 10-30 neurons are much faster than its general path; so the products
# of a mini-batch are cut into column blocks of at most SMALL_PRODUCT multiply-adds, except
# where the blocks would be narrower than MIN_BLOCK columns (`fastnet.settings`; the
# measurements are in docs/benchmarks.md).


@_jit
def _block(rows, inner, m):
    """Columns per block of a [rows x inner] @ [inner x m] product (m: no blocks)."""
    block = SMALL_PRODUCT // max(1, rows * inner)
    return block if block >= MIN_BLOCK else max(m, 1)


@_jit
def _gemm_by_columns(a, b, c):
    """c <- a @ b, block by block of the columns of b and c (m, the examples)."""
    rows, inner = a.shape
    m = c.shape[1]
    block = _block(rows, inner, m)
    for j in range(0, m, block):
        _gemm(1.0, a, b[:, j:j + block], 0.0, c[:, j:j + block])


@_jit
def _gemm_over_examples(alpha, a, b, beta, c):
    """c <- alpha * (a @ b) + beta * c, summing over the inner dimension (m, the examples)
    block by block: a : (rows, m), b : (m, cols)."""
    rows, m = a.shape
    block = _block(rows, b.shape[1], m)
    for j in range(0, m, block):
        _gemm(alpha, a[:, j:j + block], b[j:j + block, :], beta if j == 0 else 1.0, c)


# -- element-wise kernels -----------------------------------------------------------------------


@intrinsic
def _prefetch(typingctx, array, i, j):
    """Ask the CPU to bring ``array[i, j]``'s cache line into its caches, without waiting."""
    if not isinstance(array, types.Array) or array.ndim != 2:
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        data = context.make_array(array_type)(context, builder, args[0])
        address = cgutils.get_item_pointer(context, builder, array_type, data, args[1:])
        byte_ptr, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        prefetch = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_ptr, i32, i32, i32]),
            "llvm.prefetch.p0")
        # a read (0), to be kept in all cache levels (3), of data (1)
        builder.call(prefetch, [builder.bitcast(address, byte_ptr), ir.Constant(i32, 0),
                                ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.none(array, i, j), codegen


@_jit
def _gather(X, labels, index, out_x, out_y, scale, upcoming):
    """Copy the columns ``X[:, index]`` into ``out_x`` (times ``scale``) and one-hot ``out_y``;
    ask for the columns ``X[:, upcoming]`` (the next mini-batch's) to be brought into the
    caches meanwhile.

    X : (n_in, n) F-ordered (one contiguous column per example), any dtype; uint8 pixels are
    turned into floats here, mini-batch by mini-batch, so the data set can stay in bytes.
    labels : (n,) int; index, upcoming : (m,) and (at most m,); out_x : (n_in, m) F-ordered;
    out_y : (n_out, m).

    The examples of a mini-batch are scattered over a data set larger than the caches, and
    fetching their columns from memory one by one took 20-30% of an epoch.  A request for the
    next mini-batch's column j goes out with the copy of column j: one mini-batch ahead, and
    spread out (requests made all at once overflow the CPU's queue of pending misses and are
    dropped).  Measured, [784, 100] uint8 to float32: 42 us per mini-batch without requests,
    39 with all of them at once, 27 spread out like this (16 for columns in memory order).
    """
    n_in, m = out_x.shape
    line = max(1, 64 // X.itemsize)  # elements per 64-byte cache line
    out_y[:] = 0.0
    for j in range(m):
        if j < len(upcoming):
            for i in range(0, n_in, line):
                _prefetch(X, i, upcoming[j])
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

    The column maximum is subtracted first, so exp only sees arguments <= 0.
    """
    n, m = z.shape
    for j in range(m):
        zmax = -np.inf
        for i in range(n):
            z[i, j] += b[i, 0]
            zmax = max(zmax, z[i, j])
        total = 0.0
        for i in range(n):
            z[i, j] = _exp_nonpositive(z[i, j] - zmax)
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
def _output_delta(a, y, delta, quadratic):
    """The output layer's delta for the cost: quadratic, or the others' a - y."""
    if quadratic:
        _delta_quadratic(a, y, delta)
    else:
        _delta_difference(a, y, delta)


@_jit
def _times_sigmoid_prime(delta, a):
    """delta <- delta * a(1 - a): the hidden-layer delta from the backpropagated error."""
    n, m = a.shape
    for i in range(n):
        for j in range(m):
            aij = a[i, j]
            delta[i, j] *= aij * (1.0 - aij)


@_jit(options=SUM_OPTIONS)
def _update_bias(b, v, delta, mu, step):
    """The bias step from the mini-batch's deltas, in place.  b, v : (n, 1); delta : (n, m).

    Without momentum (mu = 0): b <- b - step * (row sums of delta); with it,
    v <- mu*v - step * (row sums);  b <- b + v.  step = eta/m.
    """
    n, m = delta.shape
    for i in range(n):
        total = 0.0
        for j in range(m):
            total += delta[i, j]
        _bias_step(b, v, i, total, mu, step)


@_jit(options=SUM_OPTIONS)
def _update_bias_chunks(b, v, deltas, mu, step):
    """`_update_bias` with the mini-batch's deltas in chunks: deltas : (chunks, n, c)."""
    chunks, n, c = deltas.shape
    for i in range(n):
        total = 0.0
        for k in range(chunks):
            for j in range(c):
                total += deltas[k, i, j]
        _bias_step(b, v, i, total, mu, step)


@_jit
def _bias_step(b, v, i, total, mu, step):
    """Bias i's step, given the row sum of its deltas (see `_update_bias`)."""
    if mu:
        v[i, 0] = mu * v[i, 0] - step * total
        b[i, 0] += v[i, 0]
    else:
        b[i, 0] -= step * total


@_jit
def _apply_velocity(w, v, decay_rate):
    """v <- v - decay_rate * w;  w <- w + v, in place: the end of a momentum step, once
    v holds mu*v - step*grad.  decay_rate = eta*lmbda/n is the L2 part of the gradient."""
    n, k = w.shape
    for i in range(n):
        for j in range(k):
            v[i, j] -= decay_rate * w[i, j]
            w[i, j] += v[i, j]


@_jit
def _all_finite(a):
    """True when no entry of ``a`` is inf or nan (one pass, no temporary)."""
    for x in a.ravel():
        if not np.isfinite(x):
            return False
    return True


# -- one SGD step, and an epoch of them ---------------------------------------------------------


@_jit
def _update_weights(w, v, delta, a_prev_t, mu, step, decay, decay_rate):
    """w <- decay*w - step * (delta @ a_prev.T), the summed gradient folded into BLAS's beta.

    With momentum (mu > 0): v <- mu*v - step * (delta @ a_prev.T), then `_apply_velocity`.
    delta : (n_out, m); a_prev_t : (m, n_in), the transposed view of the layer's input.
    """
    _add_gradient(w, v, delta, a_prev_t, mu, step, decay, True)
    if mu:
        _apply_velocity(w, v, decay_rate)


@_jit
def _add_gradient(w, v, delta, a_prev_t, mu, step, decay, first):
    """The products of `_update_weights` for some of a mini-batch's examples (their columns
    of delta, rows of a_prev_t); the ``first`` call of a step also scales w by decay (with
    momentum, v by mu)."""
    if mu:
        _gemm_over_examples(-step, delta, a_prev_t, mu if first else 1.0, v)
    else:
        _gemm_over_examples(-step, delta, a_prev_t, decay if first else 1.0, w)


@_jit
def _activate(z, b, softmax):
    """z <- activation(z + b): sigmoid, or the softmax (an output layer that asks for it)."""
    if softmax:
        _bias_softmax(z, b)
    else:
        _bias_sigmoid(z, b)


@_jit
def _train_step(x, y, weights, biases, a, delta, velocity_w, velocity_b,
                softmax, quadratic, mu, step, decay, decay_rate):
    """One SGD step on the mini-batch ``x : (n_in, m)`` F-ordered, targets ``y : (n_out, m)``.

    weights, biases, a, delta, velocity_w, velocity_b : tuples with one array per layer
    (``a[l], delta[l] : (sizes[l+1], m)``); the velocities are only read when mu > 0.
    Forward: a[l] = sigma(w[l] a[l-1] + b[l]).  Backward: the output delta from the cost
    (``quadratic``: (a - y) a(1 - a), else a - y), then delta[l-1] = (w[l]^T delta[l]) *
    a[l-1](1 - a[l-1]), computed before w[l] is updated, as backprop needs the weights the
    forward pass used.  step = eta/m; decay = 1 - decay_rate, decay_rate = eta*lmbda/n.
    """
    last = len(weights) - 1
    # The first layer reads x (F-ordered), the others a[l-1] (C-ordered): numba types them
    # apart, hence the first layer outside the loops.
    _gemm_by_columns(weights[0], x, a[0])
    _activate(a[0], biases[0], softmax and last == 0)
    for layer in range(1, last + 1):
        _gemm_by_columns(weights[layer], a[layer - 1], a[layer])
        _activate(a[layer], biases[layer], softmax and layer == last)
    _output_delta(a[last], y, delta[last], quadratic)
    for layer in range(last, 0, -1):
        _gemm_by_columns(weights[layer].T, delta[layer], delta[layer - 1])
        _times_sigmoid_prime(delta[layer - 1], a[layer - 1])
        _update_weights(weights[layer], velocity_w[layer], delta[layer], a[layer - 1].T,
                        mu, step, decay, decay_rate)
        _update_bias(biases[layer], velocity_b[layer], delta[layer], mu, step)
    _update_weights(weights[0], velocity_w[0], delta[0], x.T, mu, step, decay, decay_rate)
    _update_bias(biases[0], velocity_b[0], delta[0], mu, step)


@_jit
def _train_batches(X, labels, index, scale, x, y, weights, biases, a, delta,
                   velocity_w, velocity_b, softmax, quadratic, mu, step, decay, decay_rate):
    """`_train_step` on the mini-batches ``index[0:m], index[m:2m], ...`` of ``(X, labels)``.

    m = x.shape[1], and len(index) must be a multiple of it.  X : (n_in, n), any dtype,
    times ``scale`` (1/256 for uint8 pixels); labels : (n,) ints; the rest as `_train_step`.
    """
    m = x.shape[1]
    for k in range(0, len(index), m):
        _gather(X, labels, index[k:k + m], x, y, scale, index[k + m:k + 2 * m])
        _train_step(x, y, weights, biases, a, delta, velocity_w, velocity_b,
                    softmax, quadratic, mu, step, decay, decay_rate)
