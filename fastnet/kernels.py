"""numba kernels: the element-wise work of a mini-batch, and a whole SGD step compiled as one.

The matrix products of backprop go to BLAS (`fastnet.blas`, the same BLAS that numba's
``np.dot`` uses, scipy's); everything between them (adding the bias, the sigmoid of
`fastnet.fastexp`, sigma', the output delta, the bias updates) is one pass of a kernel over a
small array that numpy would do in several passes with a temporary each.  `_train_step`
chains all of it for one mini-batch and `_train_batches` runs a whole epoch of mini-batches
without returning to Python: at batch 10 a Python-level step spent more time in call overhead
than in arithmetic.  Their arguments after the mini-batch are the fields of one `Step`.

The kernels are private (leading underscore) and trust their arguments: the engine
(`network.py`, `train.py`) owns the buffers and validates everything that comes from a user
before it gets here.  They work for float32 and float64 alike (numba compiles one version per
dtype).

Shapes: ``z, a, delta : (n, m)`` C-ordered, one column per example; ``b : (n, 1)``;
``w : (n_out, n_in)`` C-ordered; the gathered inputs ``x : (n_in, m)`` F-ordered.
"""

from collections import namedtuple

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .blas import _gemm_by_columns, _gemm_over_examples
from .fastexp import _exp_nonpositive, _sigmoid
from .jit import _jit
from .settings import PREFETCH_AHEAD, PREFETCH_AHEAD_L2, PREFETCH_AHEAD_UINT8, SUM_OPTIONS


# -- element-wise kernels -----------------------------------------------------------------------


def _prefetcher(locality, where):
    """An intrinsic ``prefetch(array, i, j)`` that asks the CPU to bring ``array[i, j]``'s
    cache line into its caches, without waiting: LLVM's prefetch of a read of data, with
    ``locality`` 3 (x86 prefetcht0: into L1 and the levels below) or 2 (prefetcht1: into L2)."""
    @intrinsic
    def prefetch(typingctx, array, i, j):
        if not isinstance(array, types.Array) or array.ndim != 2:
            return None

        def codegen(context, builder, signature, args):
            array_type = signature.args[0]
            data = context.make_array(array_type)(context, builder, args[0])
            address = cgutils.get_item_pointer(context, builder, array_type, data, args[1:])
            byte_ptr, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
            function = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), [byte_ptr, i32, i32, i32]),
                "llvm.prefetch.p0")
            # a read (0), with this locality, of data (1)
            builder.call(function, [builder.bitcast(address, byte_ptr), ir.Constant(i32, 0),
                                    ir.Constant(i32, locality), ir.Constant(i32, 1)])
            return context.get_dummy_value()

        return types.none(array, i, j), codegen

    prefetch.__doc__ = f"Ask for ``array[i, j]``'s cache line to be brought into {where}."
    return prefetch


_prefetch = _prefetcher(3, "L1")
_prefetch_l2 = _prefetcher(2, "L2")


@_jit
def _gather(X, labels, index, out_x, out_y, scale, upcoming):
    """Copy the columns ``X[:, index]`` into ``out_x`` (times ``scale``) and one-hot ``out_y``;
    ask for the columns ``X[:, upcoming]`` (those that come next, `_upcoming`) to be brought
    into the caches meanwhile.

    X : (n_in, n) F-ordered (one contiguous column per example), any dtype; uint8 pixels are
    turned into floats here, mini-batch by mini-batch, so the data set can stay in bytes.
    labels : (n,) int; index : (m,); upcoming : (k,), any k; out_x : (n_in, m) F-ordered;
    out_y : (n_out, m).

    The copy does not look for an inf or a nan: the first layer's product does, a row of it
    (`_first_bad_input`), for no pass of its own over the data (issue 11: a whole-set check
    cost more than an epoch's training; a check of each pixel here, as the gather read it,
    cost 15% of the gather of float pixels).

    The examples of a mini-batch are scattered over a data set larger than the caches, and
    fetching their columns from memory one by one took 20-30% of an epoch.  With the copy of
    column j go requests for the column PREFETCH_AHEAD_L2 places further on (in ``index``,
    then in ``upcoming``) to be brought into L2, and for the one PREFETCH_AHEAD places on
    (by then in L2) to be brought into L1: one request per cache line, spread out column by
    column (requests made all at once overflow the CPU's queue of pending misses and are
    dropped).  Fixed distances in columns, not a whole mini-batch ahead: a mini-batch of 1000
    float64 columns (6 MB) requested ahead would not stay in the core's cache until it is
    copied (`fastnet.settings`; measured in docs/benchmarks.md).
    """
    n_in, m = out_x.shape
    line = max(1, 64 // X.itemsize)  # elements per 64-byte cache line
    out_y[:] = 0.0
    uint8_pixels = X.itemsize == 1  # one prefetch stage (`fastnet.settings`)
    near_ahead = PREFETCH_AHEAD_UINT8 if uint8_pixels else PREFETCH_AHEAD
    for j in range(m):
        if not uint8_pixels:
            far = _column_ahead(index, upcoming, j + PREFETCH_AHEAD_L2)
            if far >= 0:
                _prefetch_column(X, far, n_in, line, True)
        near = _column_ahead(index, upcoming, j + near_ahead)
        if near >= 0:
            _prefetch_column(X, near, n_in, line, False)
        col = index[j]
        for i in range(n_in):
            out_x[i, j] = X[i, col] * scale
        out_y[labels[col], j] = 1.0


@_jit
def _upcoming(index, start, m):
    """The columns the gather of ``index[start - m:start]`` prefetches beyond its own: the
    next mini-batch's, or more when a mini-batch is shorter than the look-ahead (at
    mini-batch 10, two stages 12 columns ahead would otherwise leave the last columns of each
    mini-batch unrequested; epochs on float pixels were 2-5% faster, docs/benchmarks.md)."""
    return index[start:start + max(m, PREFETCH_AHEAD_L2)]


@_jit
def _column_ahead(index, upcoming, k):
    """The column of X at position k of ``index`` followed by ``upcoming``, or -1 past both."""
    m = len(index)
    if k < m:
        return index[k]
    if k - m < len(upcoming):
        return upcoming[k - m]
    return -1


@_jit
def _prefetch_column(X, col, n_in, line, to_l2):
    """Request the cache lines of column ``col`` of the F-ordered X, into L2 (``to_l2``) or
    into L1 (`_prefetch_l2`, `_prefetch`)."""
    if to_l2:
        for i in range(0, n_in, line):
            _prefetch_l2(X, i, col)
    else:
        for i in range(0, n_in, line):
            _prefetch(X, i, col)


@_jit
def _first_nonfinite(z, start):
    """The first column j >= start whose ``z[0, j]`` is inf or nan, or -1.  z : (n, m).

    The check of the inputs, in training (`_first_bad_input`) and evaluation
    (`checks.check_columns`): a NaN or an inf anywhere in a column of x makes every entry of
    that column of ``w @ x`` non-finite (nan * w, inf * 0 and inf - inf are all nan, inf * w
    is an inf), so the first row of the first layer's products finds the columns to look
    at, at the cost of reading one row.  Huge weights can overflow a finite column too; the
    caller confirms on the column of x.
    """
    for j in range(start, z.shape[1]):
        if not np.isfinite(z[0, j]):
            return j
    return -1


@_jit
def _first_bad_input(x, z):
    """-1, or the first column j of ``x : (n_in, m)`` that holds an inf or a nan, given
    ``z = w @ x : (n, m)``, the first layer's products (or some of their rows), before the
    activation: only the columns whose first row of z is not finite are looked at
    (`_first_nonfinite`), one of them with a finite x was overflowed by huge weights and is
    let through.  Training's check of its inputs, at the cost of reading one row of z per
    mini-batch.  A z without rows (a thread that owns no neuron) finds nothing."""
    if z.shape[0] == 0:
        return -1
    j = _first_nonfinite(z, 0)
    while j >= 0:
        for i in range(x.shape[0]):
            if not np.isfinite(x[i, j]):
                return j
        j = _first_nonfinite(z, j + 1)
    return -1


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
    """True when no entry of ``a`` is inf or nan (one pass; ``a`` C-contiguous, the
    parameters: ravel is then a view, while of an F-ordered array it would be a copy)."""
    for x in a.ravel():
        if not np.isfinite(x):
            return False
    return True


# -- one SGD step, and an epoch of them ---------------------------------------------------------


Step = namedtuple("Step", "weights biases a delta velocity_w velocity_b softmax quadratic mu "
                          "step decay decay_rate")
Step.__doc__ = """The arguments of an SGD step after its mini-batch, built once per `SGD` call
(`make_step`) and taken by `_train_step`, `_train_batches` and `parallel.train_batches` alike.

weights, biases : tuples of the parameters, ``w[l] : (sizes[l+1], sizes[l])``,
    ``b[l] : (sizes[l+1], 1)``; a, delta : tuples of ``(sizes[l+1], m)``, the activations and
    deltas of the one-thread step; velocity_w, velocity_b : like weights and biases (only read
    when mu > 0); softmax : the output layer is a softmax (`cost.output`); quadratic : the
    output delta has the sigma' factor (`cost.delta_has_sigma_prime`); mu : momentum;
    step = eta/m; decay = 1 - decay_rate, decay_rate = eta*lmbda/n.

The kernels take its fields as positional arguments in this order (``*step``), not the
namedtuple itself: numba's dispatch of a namedtuple costs about 0.8 us more per call
(docs/benchmarks.md), paid per mini-batch when Python runs between them.
"""


def make_step(net, m, eta, lmbda, n, mu):
    """The `Step` of ``net`` (a `fastnet.Network`) for mini-batches of size m."""
    ws = net._workspace(m)
    if mu:
        net._ensure_velocity()
        velocity_w, velocity_b = tuple(net._velocity_w), tuple(net._velocity_b)
    else:  # not read without momentum; the parameters stand in, being of the same types
        velocity_w, velocity_b = tuple(net._weights), tuple(net._biases)
    return Step(tuple(net._weights), tuple(net._biases), ws.a, ws.delta, velocity_w,
                velocity_b, net.cost.output == "softmax", net.cost.delta_has_sigma_prime,
                mu, eta / m, 1 - eta * (lmbda / n), eta * (lmbda / n))


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


# The one-thread step is not `parallel._train_part` on one thread: that ran 1.2-1.6x slower at
# mini-batches 10 and 100 and changed float64 results in their last bits (docs/benchmarks.md,
# "Threads"), so the two orchestrate the same kernels each in its own way.
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

    Returns -1, or the first column of x that holds an inf or a nan (`_first_bad_input`,
    looked for in the first layer's products): the step then stops there, before it has
    changed anything.
    """
    last = len(weights) - 1
    # The first layer reads x (F-ordered), the others a[l-1] (C-ordered): numba types them
    # apart, hence the first layer outside the loops.
    _gemm_by_columns(weights[0], x, a[0])
    bad = _first_bad_input(x, a[0])
    if bad >= 0:
        return bad
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
    return -1


@_jit
def _train_batches(X, labels, index, scale, x, y, weights, biases, a, delta,
                   velocity_w, velocity_b, softmax, quadratic, mu, step, decay, decay_rate):
    """`_train_step` on the mini-batches ``index[0:m], index[m:2m], ...`` of ``(X, labels)``.

    m = x.shape[1], and len(index) must be a multiple of it.  X : (n_in, n), any dtype,
    times ``scale`` (1/256 for uint8 pixels); labels : (n,) ints; the rest as `_train_step`
    (the fields of a `Step`).  Returns -1, or the column of X whose gathered copy holds an
    inf or a nan: the steps stop before the mini-batch that holds it changes anything (the
    caller restores the parameters the earlier ones changed).
    """
    m = x.shape[1]
    for k in range(0, len(index), m):
        _gather(X, labels, index[k:k + m], x, y, scale, _upcoming(index, k + m, m))
        bad = _train_step(x, y, weights, biases, a, delta, velocity_w, velocity_b,
                          softmax, quadratic, mu, step, decay, decay_rate)
        if bad >= 0:
            return index[k + bad]
    return -1
