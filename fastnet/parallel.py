"""An epoch of SGD on several cores, the neurons of every layer shared out among threads.

Why not let BLAS use the cores?  The products of one mini-batch are small (a few million
multiply-adds at most); OpenBLAS's own threads gain little on them, and collapse when another
process is busy on the cores (see `blas.one_thread`).  Here P threads each run the
whole epoch loop (`_train_part`, compiled, without the GIL), BLAS on one thread each, and
thread k owns a contiguous share R of the neurons of every layer.  Per mini-batch, thread k:

1. gathers the examples into its own ``x`` (the first layer's products then read their inputs
   from the thread's own cache);
2. computes its rows of each hidden layer, ``a[l][R] = f(w[l][R] @ a[l-1] + b[l][R])``;
   a barrier after each hidden layer, as the next one reads a[l] whole;
3. computes the whole output layer and its delta into buffers of its own (a few small
   products done P times over, instead of one more barrier);
4. backpropagates into its rows of each layer below, ``delta[l-1][R] = (w[l][:, R].T @
   delta[l]) * f'``, a barrier after each hidden delta, which the layer below reads
   whole;
5. after a barrier (from here on no thread reads the parameters of the layers above the first
   in this step), updates its rows of the first layer's weights, ``w[0][R] -= step *
   delta[0][R] @ x.T``, the biggest product, which only thread k ever reads; the columns
   ``w[l][:, R]`` of the layers above, which it alone reads and writes from here to the next
   forward pass; and its rows of the biases.

A mini-batch whose gathered inputs would outgrow the core's cache (500 examples of float64,
say) goes through steps 1-4 in chunks of examples (`chunks_of`), and the first layer's
update is summed up chunk by chunk while the chunk's inputs are still in the cache; the
forward passes then use a copy of the thread's rows of w[0] made at the start of the step.
(docs/benchmarks.md, "Threads", has what chunks save).

For [784, 30, 10] that is two barriers per mini-batch (or chunk, plus one), and each thread
does half of the two big products (the first layer's forward product and its weight
update).  Each step is made of the blocks the one-thread step is made of (`fastnet.layers`:
forward, output, backward; `fastnet.updates`: accumulate, finish, biases), on shares of the
rows or columns; only the blocks that BLAS is handed change, and with them the last bits of some
sums (BLAS's kernels add in an order that depends on the shape).  The result therefore
depends on the number of threads in its last bits, like that of a multi-threaded BLAS; for
a given number it is always the same, and `tests/test_parallel.py` holds it to the reference
as `tests/test_crosscheck.py` does.

The barrier is a shared counter that each thread increments once per barrier and waits on
until all have: a few tens of nanoseconds between two idle cores.  A waiting thread spins
for about a microsecond, then yields its core at every further check, so that when the
system has put both threads on one core it hands the core to the thread it waits for
instead of burning its time slice.  That limits the damage of contention; it cannot undo
it: the threads advance in lock-step, so when another process takes a core, an epoch on P
threads is slower than one on a single thread (docs/benchmarks.md has the figures).
"""

import threading
from collections import namedtuple

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from . import aligned, blas
from .config import ACTIVATION, COST, DONE as DONE_COUNT, LOSS, SOFTMAX, STOP, T
from .fpenv import _flush_subnormals, _restore_fpenv
from .gather import _batch_weight, _gather, _upcoming
from .jit import _jit
from .layers import _backward, _forward, _forward_checked, _forward_output, _output_delta
from .optimizers import COEFFICIENTS
from .settings import CHUNK_BYTES, SPINS_BEFORE_YIELD
from .updates import _accumulate, _finish, _step_constants, _update_biases

# Slots of the shared int64 array `sync`: the barrier counter and the abort flag (raised
# when a thread fails or the run is to stop; it releases the others from their barriers), on
# cache lines of their own; from _PASSED on, how many barriers each thread has passed, kept
# between calls (thread 0 may train one mini-batch per call).
_COUNT, _ABORT, _PASSED = 0, 8, 16

# What `_train_part` returns besides the column of a non-finite input (>= 0): the same codes
# as `step._train_batches`, and ABORTED when another thread raised the abort flag.
DONE, STOPPED, ABORTED = -1, -2, -3


def _sync_array(threads):
    return np.zeros(_PASSED + threads, np.int64)

_sched_yield = types.ExternalFunction("sched_yield", types.intc())

def chunks_of(m, n_in, itemsize):
    """How many equal chunks a mini-batch of m is done in: 1 if its inputs fit twice
    CHUNK_BYTES; else the fewest that bring a chunk within CHUNK_BYTES (m must divide
    evenly), as long as a chunk keeps at least 32 examples."""
    if m * n_in * itemsize <= 2 * CHUNK_BYTES:
        return 1
    for chunks in range(-(-m * n_in * itemsize // CHUNK_BYTES), m // 32 + 1):
        if m % chunks == 0:
            return chunks
    return 1


Shared = namedtuple("Shared", "hidden hidden_delta")
Shared.__doc__ = """The arrays all threads read and write: ``hidden[l], hidden_delta[l] : (chunks,
sizes[l+1], c)``, the activations and deltas of the hidden layers (see `_train_part`)."""

Own = namedtuple("Own", "x y sw out out_delta w0_old coef")
Own.__doc__ = """The arrays of one thread: ``x : (n_in, c)`` F-ordered, one chunk's inputs;
``sw : (c,)``, their weights (empty without sample weights); ``y, out, out_delta : (chunks,
n_out, c)``, the targets, output activations and output delta; ``w0_old : (rows, n_in)``,
room for the thread's rows of weights[0] (see `_train_part`); ``coef``, the optimizer's
constants of a step (`updates._step_constants`)."""


def buffers(sizes, m, dtype, threads):
    """The arrays `train_batches` needs for mini-batches of m on `threads` threads:
    ``(shared, parts)``, a `Shared` and one `Own` per thread."""
    chunks = chunks_of(m, sizes[0], np.dtype(dtype).itemsize)
    c = m // chunks
    shared = Shared(*(tuple(aligned.empty((chunks, n, c), dtype) for n in sizes[1:-1])
                      for _ in range(2)))
    rows = -(-sizes[1] // threads)
    parts = [Own(aligned.empty((sizes[0], c), dtype, order="F"),
                 aligned.empty((chunks, sizes[-1], c), dtype), aligned.empty(c, dtype),
                 *(aligned.empty((chunks, sizes[-1], c), dtype) for _ in range(2)),
                 aligned.empty((rows, sizes[0]), dtype), aligned.zeros(COEFFICIENTS + 1, dtype))
             for _ in range(threads)]
    return shared, parts


def _slot(context, builder, signature, args):
    array_type = signature.args[0]
    array = context.make_array(array_type)(context, builder, args[0])
    return cgutils.get_item_pointer(context, builder, array_type, array, [args[1]])


def _is_int64_vector(t):
    return isinstance(t, types.Array) and t.dtype == types.int64 and t.ndim == 1


@intrinsic
def _atomic_increment(typingctx, sync, i):
    """sync[i] += 1 as one atomic, sequentially consistent operation."""
    if not _is_int64_vector(sync):
        return None

    def codegen(context, builder, signature, args):
        one = ir.Constant(ir.IntType(64), 1)
        return builder.atomic_rmw("add", _slot(context, builder, signature, args), one,
                                  "seq_cst")

    return types.int64(sync, i), codegen


@intrinsic
def _atomic_read(typingctx, sync, i):
    """sync[i], read atomically with acquire ordering: whatever another thread wrote before
    it incremented sync[i] is visible to this thread after the read."""
    if not _is_int64_vector(sync):
        return None

    def codegen(context, builder, signature, args):
        return builder.load_atomic(_slot(context, builder, signature, args), "acquire", 8)

    return types.int64(sync, i), codegen


@_jit
def _barrier(sync, passed, parts):
    """Wait until all `parts` threads have reached barrier number ``passed + 1``.  Returns
    that number, or -1 when the abort flag is up (the caller then stops)."""
    passed += 1
    _atomic_increment(sync, _COUNT)
    spins = 0
    while _atomic_read(sync, _COUNT) < passed * parts:
        if _atomic_read(sync, _ABORT):
            return -1
        spins += 1
        if spins > SPINS_BEFORE_YIELD:
            _sched_yield()
    return passed


@_jit
def _share(n, part, parts):
    """The rows [start, stop) of n that thread `part` of `parts` owns."""
    return n * part // parts, n * (part + 1) // parts


@_jit
def _train_part(part, parts, sync, X, targets, weights_data, index, scale, x, y, sw, out,
                out_delta, w0_old, coef, hidden, hidden_delta, params, state, kinds, hyper,
                control, tally):
    """`_steps` with subnormal numbers flushed to zero on this thread (`fastnet.fpenv`)."""
    saved = _flush_subnormals()
    result = _steps(part, parts, sync, X, targets, weights_data, index, scale, x, y, sw, out,
                    out_delta, w0_old, coef, hidden, hidden_delta, params, state, kinds, hyper,
                    control, tally)
    _restore_fpenv(saved)
    return result


@_jit
def _steps(part, parts, sync, X, targets, weights_data, index, scale, x, y, sw, out,
           out_delta, w0_old, coef, hidden, hidden_delta, params, state, kinds, hyper,
           control, tally):
    """Thread `part`'s share of the mini-batches ``index[0:m], index[m:2m], ...``, each in
    chunks of examples (see the module's docstring).  Returns DONE; STOPPED (thread 0) when
    ``control[STOP]`` was up after a mini-batch; ABORTED if it stopped because the abort flag
    went up; or the column of X whose gathered copy holds an inf or a nan (every thread
    gathers the same chunk and finds it in the first row of its share of the first layer's
    products, `layers._forward_checked`, before any update of the step; a thread that owns
    no neuron of the first layer stops at the next barrier).

    A mini-batch of m = chunks * c examples.  Thread-own (an `Own`): ``x : (n_in, c)``
    F-ordered, one chunk's inputs; ``sw : (c,)`` their weights (or empty); ``y, out,
    out_delta : (chunks, n_out, c)``, the targets, output activations and output delta;
    ``w0_old``, room for this thread's rows of weights[0] (used when chunks > 1); ``coef``.
    Shared: ``hidden[l], hidden_delta[l] : (chunks, sizes[l+1], c)`` for the hidden layers
    (a `Shared`), the fields of a `step.Step` after its work arrays, and the step's
    ``tally`` (thread 0 adds the loss there, when asked).  Thread 0 counts the mini-batches
    and the optimizer's steps in ``control``; each thread counts its own t.
    """
    weights, biases = params
    s1w, s2w, s1b, s2b, grads = state
    act, softmax, cost = kinds[ACTIVATION], kinds[SOFTMAX], kinds[COST]
    track = kinds[LOSS] and part == 0  # every thread computes the output layer: one tallies
    last = len(weights) - 1
    chunks, c = y.shape[0], y.shape[2]
    m = chunks * c
    r0, r1 = _share(weights[0].shape[0], part, parts)
    w0, v0, u0, g0 = weights[0][r0:r1], s1w[0][r0:r1], s2w[0][r0:r1], grads[0][r0:r1]
    w0_old = w0_old[:r1 - r0]
    passed = sync[_PASSED + part]
    t = control[T]
    for k in range(0, len(index), m):
        t += 1
        constants = _step_constants(hyper, kinds, _batch_weight(weights_data, index[k:k + m]),
                                    t, coef)
        # The forward passes of later chunks need the first layer's weights as they were
        # before this step, while its update is summed up chunk by chunk.
        w0_forward = w0 if chunks == 1 else w0_old
        if chunks > 1:
            w0_old[:] = w0
        for j in range(chunks):
            start = k + j * c
            _gather(X, targets, weights_data, index[start:start + c], x, y[j], sw, scale,
                    _upcoming(index, start + c, c))
            bad = _forward_checked(w0_forward, x, biases[0][r0:r1], hidden[0][j][r0:r1], act)
            if bad >= 0:
                sync[_ABORT] = 1
                return index[start + bad]
            passed = _barrier(sync, passed, parts)
            if passed < 0:
                return ABORTED
            for layer in range(1, last):
                h0, h1 = _share(weights[layer].shape[0], part, parts)
                _forward(weights[layer][h0:h1], hidden[layer - 1][j], biases[layer][h0:h1],
                         hidden[layer][j][h0:h1], act)
                passed = _barrier(sync, passed, parts)
                if passed < 0:
                    return ABORTED
            _forward_output(weights[last], hidden[last - 1][j], biases[last], out[j], softmax)
            _output_delta(out[j], y[j], out_delta[j], cost, sw, track, tally)
            d = out_delta[j]
            for layer in range(last, 0, -1):
                h0, h1 = _share(weights[layer].shape[1], part, parts)
                _backward(weights[layer][:, h0:h1], d, hidden_delta[layer - 1][j][h0:h1],
                          hidden[layer - 1][j][h0:h1], act)
                if layer > 1:
                    passed = _barrier(sync, passed, parts)
                    if passed < 0:
                        return ABORTED
                    d = hidden_delta[layer - 1][j]
            if j < chunks - 1:
                _accumulate(w0, v0, g0, hidden_delta[0][j][r0:r1], x.T, j == 0, constants)
        # Every thread has read the parameters of the layers above for the last time in this
        # step: they can be updated.  The last chunk's share of the first layer's update
        # comes after this barrier: a thread still busy with it holds no one up.
        passed = _barrier(sync, passed, parts)
        if passed < 0:
            return ABORTED
        _accumulate(w0, v0, g0, hidden_delta[0][chunks - 1][r0:r1], x.T, chunks == 1,
                    constants)
        _finish(w0, v0, u0, g0, constants, coef)
        _update_biases(biases[0][r0:r1], s1b[0][r0:r1], s2b[0][r0:r1],
                       hidden_delta[0][:, r0:r1], constants, coef)
        for layer in range(last, 0, -1):
            deltas = out_delta if layer == last else hidden_delta[layer]
            h0, h1 = _share(weights[layer].shape[1], part, parts)
            w, v = weights[layer][:, h0:h1], s1w[layer][:, h0:h1]
            u, g = s2w[layer][:, h0:h1], grads[layer][:, h0:h1]
            for j in range(chunks):
                _accumulate(w, v, g, deltas[j], hidden[layer - 1][j][h0:h1].T, j == 0,
                            constants)
            _finish(w, v, u, g, constants, coef)
            h0, h1 = _share(weights[layer].shape[0], part, parts)
            _update_biases(biases[layer][h0:h1], s1b[layer][h0:h1], s2b[layer][h0:h1],
                           deltas[:, h0:h1], constants, coef)
        if part == 0:
            control[T] = t
            control[DONE_COUNT] += 1
            if control[STOP]:
                sync[_ABORT] = 1  # the others stop at their next barrier, before updating
                return STOPPED
    sync[_PASSED + part] = passed
    return DONE


def train_batches(X, targets, weights_data, index, scale, shared, parts, step,
                  on_batch=None):
    """`step._train_batches` on ``len(parts)`` threads; the calling thread is thread 0.

    shared: a `Shared` and parts: one `Own` per thread (see `buffers`); step: the
    `step.Step`, whose fields after its work arrays `_train_part` takes.  Returns DONE,
    STOPPED (``step.control[STOP]`` was up after a mini-batch, or `on_batch` returned true:
    all threads stop before the next mini-batch changes any parameter), or the column of X
    that holds an inf or a nan (the parameters are then part-way through a step: the caller
    restores them).  With `on_batch`, thread 0 returns to Python after each of its
    mini-batches to call it (the others wait for it at their next barrier).  An exception in
    any thread stops all of them and is raised here.
    """
    sync = _sync_array(len(parts))
    failures = []
    results = [DONE] * len(parts)
    fields = (step.params, step.state, step.kinds, step.hyper, step.control, step.work[3])
    if not weights_data.size:  # no weights to gather: the output deltas are not weighted
        parts = [own._replace(sw=own.sw[:0]) for own in parts]

    def run(part, index):
        try:
            results[part] = _train_part(part, len(parts), sync, X, targets, weights_data,
                                        index, scale, *parts[part], *shared, *fields)
        except BaseException as exc:  # the others must stop waiting for this thread
            sync[_ABORT] = 1
            failures.append(exc)

    def helper(part, index):
        # Each thread that calls BLAS sets its one-thread limit itself (`train._EpochRun`).
        with blas.one_thread():
            run(part, index)

    helpers = [threading.Thread(target=helper, args=(part, index), name=f"fastnet-{part}",
                                daemon=True)
               for part in range(1, len(parts))]
    for helper in helpers:
        helper.start()
    try:
        if on_batch is None:
            run(0, index)
        else:
            m = parts[0].y.shape[0] * parts[0].y.shape[2]  # chunks * examples per chunk
            for k in range(0, len(index), m):
                run(0, index[k:k + m])
                if failures or results[0] != DONE:
                    break
                if on_batch():
                    results[0] = STOPPED
                    sync[_ABORT] = 1  # the helpers stop at their first barrier, before updating
                    break
        for helper in helpers:
            helper.join()
    except BaseException:  # Ctrl-C while waiting: no thread may go on changing the parameters
        sync[_ABORT] = 1
        for helper in helpers:
            helper.join()
        raise
    if failures:
        raise failures[0]
    found = [r for r in results if r >= 0]
    return found[0] if found else results[0]


def load_kernels(X, targets, weights_data, scale, shared, parts, step):
    """Compile (or load from numba's cache) `_train_part` for these arguments' types, by
    running thread 0's share of no mini-batch (see `fastnet.train.load_kernels`)."""
    own = parts[0] if weights_data.size else parts[0]._replace(sw=parts[0].sw[:0])
    _train_part(0, len(parts), _sync_array(len(parts)), X, targets, weights_data,
                np.empty(0, np.int64), scale, *own, *shared, step.params, step.state,
                step.kinds, step.hyper, step.control, step.work[3])
