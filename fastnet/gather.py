"""Gathering a mini-batch: its scattered columns of the data set copied into one work array,
with the columns that come next requested from memory meanwhile.

SGD visits the examples in a shuffled order, so a mini-batch's columns lie anywhere in a data
set far larger than the caches; `_gather` copies them, with their targets and weights, into
the work arrays the layers read (`fastnet.layers`), and prefetches ahead (`fastnet.settings`
has the distances).  Private kernels that trust their arguments (the engine checks them).

Shapes: ``X : (n_in, n)`` F-ordered, any dtype; targets ``(n,)`` int labels or ``(n_out, n)``;
the gathered ``x : (n_in, m)`` F-ordered and ``y : (n_out, m)``.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from .jit import _jit
from .settings import JIT_OPTIONS, PREFETCH_AHEAD, PREFETCH_AHEAD_L2, PREFETCH_AHEAD_UINT8


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
def _gather(X, targets, weights, index, out_x, out_y, out_w, scale, upcoming):
    """Copy the columns ``X[:, index]`` into ``out_x`` (times ``scale``), their targets into
    ``out_y`` and their weights into ``out_w``; ask for the columns ``X[:, upcoming]`` (those
    that come next, `_upcoming`) to be brought into the caches meanwhile.

    X : (n_in, n) F-ordered (one contiguous column per example), any dtype; uint8 pixels are
    turned into floats here, mini-batch by mini-batch, so the data set can stay in bytes.
    targets : (n,) int labels (one-hot into ``out_y``) or an (n_out, n) matrix (copied);
    weights : (n,) per-example weights, or empty (none: ``out_w`` is not written);
    index : (m,); upcoming : (k,), any k; out_x : (n_in, m) F-ordered; out_y : (n_out, m);
    out_w : (m,).

    The copy does not look for an inf or a nan: the first layer's product does, a row of it
    (`layers._first_bad_input`), for no pass of its own over the data (a whole-set check cost
    more than an epoch's training; a check of each pixel here, as the gather read it, cost 15%
    of the gather of float pixels).

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
    weighted = weights.size > 0
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
        _target(targets, col, out_y, j)
        if weighted:
            out_w[j] = weights[col]


def _target(targets, col, out_y, j):
    """Column j of the gathered targets from example ``col``, inside jitted code only."""
    raise NotImplementedError("only callable from numba-compiled code")


@overload(_target, jit_options=JIT_OPTIONS)
def _target_impl(targets, col, out_y, j):
    if isinstance(targets, types.Array) and targets.ndim == 1:
        def one_hot(targets, col, out_y, j):  # out_y is zero
            out_y[targets[col], j] = 1.0
        return one_hot

    def copy(targets, col, out_y, j):
        for i in range(out_y.shape[0]):
            out_y[i, j] = targets[i, col]
    return copy


@_jit
def _batch_weight(weights, index):
    """The weight of the examples ``index``: the sum of their ``weights``, or their number
    when there are none (``weights`` empty).  What the mini-batch's summed gradient is
    divided by."""
    if weights.size == 0:
        return float(len(index))
    total = 0.0
    for col in index:
        total += weights[col]
    return total


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
