"""A layer's forward and backward blocks, compiled: the one backprop every path calls.

The one-thread step (`fastnet.step`), the threaded step (`fastnet.parallel`, on a share of a
layer's rows) and the batch gradient (`fastnet.gradients`) are all made of these blocks:

- `_forward(w, x, b, out, act)`: ``out <- f(w @ x + b)``, a hidden layer (or a share of its
  rows); `_forward_checked` is the first layer's, which also finds an inf or a nan in x;
- `_forward_output(w, x, b, out, softmax)`: the output layer, a sigmoid or a softmax;
- `_output_delta(a, y, delta, cost, sw, tally)`: the output layer's error for the cost (and,
  when asked, the mini-batch's loss added up in ``tally``);
- `_backward(w, delta_above, delta, a, act)`: ``delta <- (w.T @ delta_above) * f'(a)``,
  the error of the layer below w (or a share of its neurons: the columns of w);
- `_forward_backward`: the whole of backprop for one mini-batch, on one thread.

The products go to BLAS (`fastnet.blas`); everything between them is one pass of a kernel
over a small array, which numpy would do in several passes with a temporary each.  The
activation is chosen by its code in `fastnet.activations` (``act``), by a loop over the
table that numba unrolls: one compiled loop per entry, each as fast as a kernel written for
it alone.

Kernels are private and trust their arguments: the engine validates what users give before it
gets here.  float32 and float64 alike (numba compiles one version per dtype).  Shapes:
``w : (n_out, n_in)`` C-ordered; ``x : (n_in, m)``, one example per column; ``b : (n_out, 1)``;
``out, delta : (n_out, m)`` C-ordered; ``y : (n_out, m)``; ``sw : (m,)`` or empty.
"""

import numpy as np
from numba import literal_unroll

from .activations import FORWARD, PRIME
from .activations import code as activation_code
from .config import ACTIVATION, COST, LOSS, SOFTMAX
from .costs import DELTAS, LOSSES
from .blas import _gemm_by_columns
from .fastexp import _exp_nonpositive
from .finite import _first_bad_input
from .jit import _jit
from .settings import INLINE_OPTIONS

SIGMOID = activation_code("sigmoid")  # the output layer's, unless it is a softmax


@_jit
def _bias_activate(z, b, act):
    """z <- f(z + b), in place, f the activation of code ``act``.  z : (n, m), b : (n, 1).

    The bias is added row by row, then f applied in one loop over the whole array when its
    rows follow each other in memory: a row of a small mini-batch (10 examples) is too short
    for a vector loop, which would leave most of it to the scalar remainder."""
    n, m = z.shape
    k = 0
    for f in literal_unroll(FORWARD):
        if k == act:
            if z.flags.c_contiguous:
                for i in range(n):
                    bi = b[i, 0]
                    for j in range(m):
                        z[i, j] += bi
                flat = z.reshape(n * m)
                for i in range(n * m):
                    flat[i] = f(flat[i])
            else:
                for i in range(n):
                    bi = b[i, 0]
                    for j in range(m):
                        z[i, j] = f(z[i, j] + bi)
        k += 1


@_jit
def _times_prime(delta, a, act):
    """delta <- delta * f'(a), from the layer's output a = f(z), f of code ``act``: the error
    of a hidden layer from the error backpropagated to it."""
    n, m = a.shape
    k = 0
    for prime in literal_unroll(PRIME):
        if k == act:
            for i in range(n):
                for j in range(m):
                    delta[i, j] *= prime(a[i, j])
        k += 1


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


@_jit(options=INLINE_OPTIONS)
def _forward(w, x, b, out, act):
    """A hidden layer: out <- f(w @ x + b), f of code ``act``."""
    _gemm_by_columns(w, x, out)
    _bias_activate(out, b, act)


@_jit(options=INLINE_OPTIONS)
def _forward_checked(w, x, b, out, act):
    """The first layer, `_forward`, finding an inf or a nan in x from the products
    (`_first_bad_input`): returns -1, or the column of x that holds one (out is then left
    unactivated and nothing else is done)."""
    _gemm_by_columns(w, x, out)
    bad = _first_bad_input(x, out)
    if bad < 0:
        _bias_activate(out, b, act)
    return bad


@_jit(options=INLINE_OPTIONS)
def _forward_output(w, x, b, out, softmax):
    """The output layer: out <- softmax(w @ x + b) if ``softmax``, else the sigmoid's."""
    _gemm_by_columns(w, x, out)
    if softmax:
        _bias_softmax(out, b)
    else:
        _bias_activate(out, b, SIGMOID)


@_jit
def _output_delta(a, y, delta, cost, sw, track, tally):
    """delta <- the output layer's error for the cost of code ``cost`` (`fastnet.costs`: its
    ``output_delta`` of each neuron, from a and y), each example's column times its weight
    when there are weights (``sw : (m,)``; empty: none).  With ``track``, the mini-batch's
    loss (each example's times its weight) is added to ``tally[0]`` and its weight to
    ``tally[1]``."""
    n, m = a.shape
    k = 0
    for output_delta in literal_unroll(DELTAS):
        if k == cost:
            for i in range(n):
                for j in range(m):
                    delta[i, j] = output_delta(a[i, j], y[i, j])
        k += 1
    if sw.size:
        for i in range(n):
            for j in range(m):
                delta[i, j] *= sw[j]
    if track:
        _tally_loss(a, y, cost, sw, tally)


@_jit
def _tally_loss(a, y, cost, sw, tally):
    """tally[0] += the mini-batch's loss, sum over examples of weight * cost; tally[1] += its
    weight (see `_output_delta`)."""
    n, m = a.shape
    k = 0
    for loss in literal_unroll(LOSSES):
        if k == cost:
            for j in range(m):
                total = 0.0
                for i in range(n):
                    total += loss(a[i, j], y[i, j])
                weight = sw[j] if sw.size else 1.0
                tally[0] += weight * total
                tally[1] += weight
        k += 1


@_jit(options=INLINE_OPTIONS)
def _backward(w, delta_above, delta, a, act):
    """delta <- (w.T @ delta_above) * f'(a): the error of the layer below ``w`` from the error
    of the layer above it, where ``a`` is the lower layer's output.  For a share of the lower
    layer's neurons, pass the columns of w and the rows of delta and a that are theirs."""
    _gemm_by_columns(w.T, delta_above, delta)
    _times_prime(delta, a, act)


@_jit(options=INLINE_OPTIONS)
def _forward_backward(x, y, sw, weights, biases, a, delta, kinds, tally):
    """Backprop on one mini-batch ``x : (n_in, m)`` F-ordered, targets ``y : (n_out, m)``,
    example weights ``sw`` (or empty), on one thread: the activations ``a[l]`` and errors
    ``delta[l]`` of every layer (tuples with one ``(sizes[l+1], m)`` array per layer), for
    the network of ``kinds`` (`fastnet.config`); the loss tallied in ``tally`` if asked.

    Forward: a[l] = f(w[l] a[l-1] + b[l]), the output layer a sigmoid or a softmax; backward:
    the output delta from the cost, then delta[l-1] = (w[l]^T delta[l]) * f'(a[l-1]).
    Returns -1, or the first column of x that holds an inf or a nan (found in the first
    layer's products, `_forward_checked`): nothing else is then computed.
    """
    last = len(weights) - 1
    act, softmax = kinds[ACTIVATION], kinds[SOFTMAX]
    # The first layer reads x, the others a[l-1] (C-ordered): numba types them apart, hence
    # the first layer outside the loops.
    if last == 0:
        _gemm_by_columns(weights[0], x, a[0])
        bad = _first_bad_input(x, a[0])
        if bad >= 0:
            return bad
        if softmax:
            _bias_softmax(a[0], biases[0])
        else:
            _bias_activate(a[0], biases[0], SIGMOID)
    else:
        bad = _forward_checked(weights[0], x, biases[0], a[0], act)
        if bad >= 0:
            return bad
        for layer in range(1, last):
            _forward(weights[layer], a[layer - 1], biases[layer], a[layer], act)
        _forward_output(weights[last], a[last - 1], biases[last], a[last], softmax)
    _output_delta(a[last], y, delta[last], kinds[COST], sw, kinds[LOSS], tally)
    for layer in range(last, 0, -1):
        _backward(weights[layer], delta[layer], delta[layer - 1], a[layer - 1], act)
    return -1
