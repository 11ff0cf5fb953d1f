"""An epoch of SGD on several cores, the neurons of every layer shared out among threads.

Why not let BLAS use the cores?  The products of one mini-batch are small (a few million
multiply-adds at most); OpenBLAS's own threads gain little on them, and collapse when another
process is busy on the cores (see `blas.one_thread`).  Here P threads each run the
whole epoch loop (`_train_part`, compiled, without the GIL), BLAS on one thread each, and
thread k owns a contiguous share R of the neurons of every layer.  Per mini-batch, thread k:

1. gathers the examples into its own ``x`` (the first layer's products then read their inputs
   from the thread's own cache);
2. computes its rows of each hidden layer, ``a[l][R] = sigma(w[l][R] @ a[l-1] + b[l][R])``;
   a barrier after each hidden layer, as the next one reads a[l] whole;
3. computes the whole output layer and its delta into buffers of its own (a few small
   products done P times over, instead of one more barrier);
4. backpropagates into its rows of each layer below, ``delta[l-1][R] = (w[l][:, R].T @
   delta[l]) * sigma'``, a barrier after each hidden delta, which the layer below reads
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
Measured on [784, 30, 10] at mini-batch 1000 in float64, 2 threads: 0.121 s per epoch
whole, 0.092 s in 20 chunks of 50.

For [784, 30, 10] that is two barriers per mini-batch (or chunk, plus one), and each thread
does half of the two big products (the first layer's forward product and its weight
update).  The arithmetic is `kernels._train_step`'s, done by the same kernels on shares of
the rows; only the blocks that BLAS is handed change, and with them the last bits of some
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

from . import aligned
from .blas import _gemm_by_columns
from .checks import bad_column
from .jit import _jit
from .kernels import (_activate, _add_gradient, _apply_velocity, _bias_sigmoid,
                      _first_bad_input, _gather, _output_delta, _times_sigmoid_prime,
                      _upcoming, _update_bias_chunks)
from .settings import CHUNK_BYTES, SPINS_BEFORE_YIELD

# Slots of the shared int64 array `sync`: the barrier counter and the abort flag (raised
# when a thread fails or the run is to stop; it releases the others from their barriers), on
# cache lines of their own; from _PASSED on, how many barriers each thread has passed, kept
# between calls (thread 0 may train one mini-batch per call).
_COUNT, _ABORT, _PASSED = 0, 8, 16

# What `_train_part` returns besides the column of a non-finite pixel.
DONE, ABORTED = -1, -2


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

Own = namedtuple("Own", "x y out out_delta w0_old")
Own.__doc__ = """The arrays of one thread: ``x : (n_in, c)`` F-ordered, one chunk's inputs;
``y, out, out_delta : (chunks, n_out, c)``, the targets, output activations and output delta;
``w0_old : (rows, n_in)``, room for the thread's rows of weights[0] (see `_train_part`)."""


def buffers(sizes, m, dtype, threads):
    """The arrays `train_batches` needs for mini-batches of m on `threads` threads:
    ``(shared, parts)``, a `Shared` and one `Own` per thread."""
    chunks = chunks_of(m, sizes[0], np.dtype(dtype).itemsize)
    c = m // chunks
    shared = Shared(*(tuple(aligned.empty((chunks, n, c), dtype) for n in sizes[1:-1])
                      for _ in range(2)))
    rows = -(-sizes[1] // threads)
    parts = [Own(aligned.empty((sizes[0], c), dtype, order="F"),
                 *(aligned.empty((chunks, sizes[-1], c), dtype) for _ in range(3)),
                 aligned.empty((rows, sizes[0]), dtype)) for _ in range(threads)]
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
def _train_part(part, parts, sync, X, labels, index, scale, x, y, out, out_delta, w0_old,
                hidden, hidden_delta, weights, biases, a, delta, velocity_w, velocity_b,
                softmax, quadratic, mu, step, decay, decay_rate):
    """Thread `part`'s share of the mini-batches ``index[0:m], index[m:2m], ...``, each in
    chunks of examples (see the module's docstring).  Returns DONE, ABORTED if it stopped
    because the abort flag went up, or the column of X whose gathered copy holds an inf or a
    nan (every thread gathers the same chunk and finds it in the first row of its share of
    the first layer's products, `kernels._first_bad_input`, before any update of the step; a
    thread that owns no neuron of the first layer stops at the next barrier).

    A mini-batch of m = chunks * c examples.  Thread-own: ``x : (n_in, c)`` F-ordered, one
    chunk's inputs; ``y, out, out_delta : (chunks, n_out, c)``, the targets, output
    activations and output delta; ``w0_old``, room for this thread's rows of weights[0] (used
    when chunks > 1) (an `Own`).  Shared: ``hidden[l], hidden_delta[l] : (chunks, sizes[l+1],
    c)`` for the hidden layers (a `Shared`), and the fields of a `kernels.Step` (its ``a`` and
    ``delta``, the one-thread step's, are not used).
    """
    last = len(weights) - 1
    chunks, c = y.shape[0], y.shape[2]
    m = chunks * c
    r0, r1 = _share(weights[0].shape[0], part, parts)
    w0, v0 = weights[0][r0:r1], velocity_w[0][r0:r1]
    w0_old = w0_old[:r1 - r0]
    passed = sync[_PASSED + part]
    for k in range(0, len(index), m):
        # The forward passes of later chunks need the first layer's weights as they were
        # before this step, while its update is summed up chunk by chunk.
        w0_forward = w0 if chunks == 1 else w0_old
        if chunks > 1:
            w0_old[:] = w0
        for j in range(chunks):
            start = k + j * c
            _gather(X, labels, index[start:start + c], x, y[j], scale,
                    _upcoming(index, start + c, c))
            _gemm_by_columns(w0_forward, x, hidden[0][j][r0:r1])
            bad = _first_bad_input(x, hidden[0][j][r0:r1])
            if bad >= 0:
                sync[_ABORT] = 1
                return index[start + bad]
            _bias_sigmoid(hidden[0][j][r0:r1], biases[0][r0:r1])
            passed = _barrier(sync, passed, parts)
            if passed < 0:
                return ABORTED
            for layer in range(1, last):
                h0, h1 = _share(weights[layer].shape[0], part, parts)
                _gemm_by_columns(weights[layer][h0:h1], hidden[layer - 1][j],
                                 hidden[layer][j][h0:h1])
                _bias_sigmoid(hidden[layer][j][h0:h1], biases[layer][h0:h1])
                passed = _barrier(sync, passed, parts)
                if passed < 0:
                    return ABORTED
            _gemm_by_columns(weights[last], hidden[last - 1][j], out[j])
            _activate(out[j], biases[last], softmax)
            _output_delta(out[j], y[j], out_delta[j], quadratic)
            d = out_delta[j]
            for layer in range(last, 0, -1):
                h0, h1 = _share(weights[layer].shape[1], part, parts)
                _gemm_by_columns(weights[layer][:, h0:h1].T, d, hidden_delta[layer - 1][j][h0:h1])
                _times_sigmoid_prime(hidden_delta[layer - 1][j][h0:h1],
                                     hidden[layer - 1][j][h0:h1])
                if layer > 1:
                    passed = _barrier(sync, passed, parts)
                    if passed < 0:
                        return ABORTED
                    d = hidden_delta[layer - 1][j]
            if j < chunks - 1:
                _add_gradient(w0, v0, hidden_delta[0][j][r0:r1], x.T, mu, step, decay, j == 0)
        # Every thread has read the parameters of the layers above for the last time in this
        # step: they can be updated.  The last chunk's share of the first layer's update
        # comes after this barrier: a thread still busy with it holds no one up.
        passed = _barrier(sync, passed, parts)
        if passed < 0:
            return ABORTED
        _add_gradient(w0, v0, hidden_delta[0][chunks - 1][r0:r1], x.T, mu, step, decay,
                      chunks == 1)
        if mu:
            _apply_velocity(w0, v0, decay_rate)
        _update_bias_chunks(biases[0][r0:r1], velocity_b[0][r0:r1], hidden_delta[0][:, r0:r1],
                            mu, step)
        for layer in range(last, 0, -1):
            deltas = out_delta if layer == last else hidden_delta[layer]
            h0, h1 = _share(weights[layer].shape[1], part, parts)
            w, v = weights[layer][:, h0:h1], velocity_w[layer][:, h0:h1]
            for j in range(chunks):
                _add_gradient(w, v, deltas[j], hidden[layer - 1][j][h0:h1].T, mu, step, decay,
                              j == 0)
            if mu:
                _apply_velocity(w, v, decay_rate)
            h0, h1 = _share(weights[layer].shape[0], part, parts)
            _update_bias_chunks(biases[layer][h0:h1], velocity_b[layer][h0:h1],
                                deltas[:, h0:h1], mu, step)
    sync[_PASSED + part] = passed
    return DONE


def train_batches(X, labels, index, scale, shared, parts, step, on_batch=None):
    """`kernels._train_batches` on ``len(parts)`` threads; the calling thread is thread 0.

    shared: a `Shared` and parts: one `Own` per thread (see `buffers`); step: the
    `kernels.Step`, passed to `_train_part` field by field, as the kernels take it.  With
    `on_batch`, thread 0 returns to Python after each of its mini-batches to call it (the
    others wait for it at their next barrier); a true result stops all threads before the
    next mini-batch changes any parameter, and is returned.  An exception in any thread stops
    all of them and is raised here; an inf or a nan in X raises `checks.NonFiniteColumn`
    (the parameters are then part-way through a step: the caller restores them).
    """
    sync = _sync_array(len(parts))
    failures = []

    def run(part, index):
        try:
            result = _train_part(part, len(parts), sync, X, labels, index, scale,
                                 *parts[part], *shared, *step)
            if result >= 0:
                raise bad_column(X, int(result), step.weights[0].dtype)
        except BaseException as exc:  # the others must stop waiting for this thread
            sync[_ABORT] = 1
            failures.append(exc)

    helpers = [threading.Thread(target=run, args=(part, index), name=f"fastnet-{part}",
                                daemon=True)
               for part in range(1, len(parts))]
    for helper in helpers:
        helper.start()
    stopped = False
    try:
        if on_batch is None:
            run(0, index)
        else:
            m = parts[0].y.shape[0] * parts[0].y.shape[2]  # chunks * examples per chunk
            for k in range(0, len(index), m):
                run(0, index[k:k + m])
                if failures:
                    break
                if on_batch():
                    stopped = True
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
    return stopped


def load_kernels(X, labels, scale, shared, parts, step):
    """Compile (or load from numba's cache) `_train_part` for these arguments' types, by
    running thread 0's share of no mini-batch (see `fastnet.train.load_kernels`)."""
    _train_part(0, len(parts), _sync_array(len(parts)), X, labels, np.empty(0, np.int64),
                scale, *parts[0], *shared, *step)
