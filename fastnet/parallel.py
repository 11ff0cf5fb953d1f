"""An epoch of SGD on several cores, the neurons of every layer shared out among threads.

Why not let BLAS use the cores?  The products of one mini-batch are small (a few million
multiply-adds at most); OpenBLAS's own threads gain little on them, and collapse when another
process is busy on the cores (see `network._one_blas_thread`).  Here P threads each run the
whole epoch loop (`_train_part`, compiled, without the GIL), BLAS on one thread each, and
thread k owns a contiguous share R of the neurons of every layer.  Per mini-batch, thread k:

1. gathers the whole mini-batch into its own ``x`` (the first layer's products then read
   their inputs from the thread's own cache);
2. computes its rows of each hidden layer, ``a[l][R] = sigma(w[l][R] @ a[l-1] + b[l][R])``;
   a barrier after each hidden layer, as the next one reads a[l] whole;
3. computes the whole output layer and its delta into buffers of its own: a few small products
   done P times over, instead of one more barrier; then a barrier, after which no thread
   reads the output layer's parameters again in this step;
4. backpropagates into its rows of each layer below, ``delta[l-1][R] = (w[l][:, R].T @
   delta[l]) * sigma'``, and updates the columns ``w[l][:, R]`` (with the gradient
   ``delta[l] @ a[l-1][R].T``) and its rows of the biases; it alone reads and writes those
   columns from here to the next forward pass.  A barrier after each hidden delta, which the
   layer below reads whole;
5. updates its rows of the first layer's weights, ``w[0][R] -= step * delta[0][R] @ x.T``,
   the biggest product, with no barrier: only thread k ever reads w[0][R].

For [784, 30, 10] that is two barriers per mini-batch, and each thread does half of the two
big products (the first layer's forward product and its weight update).  The arithmetic is
`kernels._train_step`'s, done by the same kernels on shares of the rows; only the blocks that
BLAS is handed change, and with them the last bits of some sums (BLAS's kernels add in an
order that depends on the shape).  The result therefore depends on the number of threads in
its last bits, like that of a multi-threaded BLAS; for a given number it is always the same,
and `tests/test_parallel.py` holds it to the reference as `tests/test_crosscheck.py` does.

The barrier is a shared counter that each thread increments once per barrier and waits on
until all have: a few tens of nanoseconds between two idle cores.  A waiting thread spins
for a few microseconds, then yields its core at every turn, so that on a machine busy with
other processes it hands the core to the thread it waits for instead of burning its time
slice.  That limits the damage of contention; it cannot undo it: the threads advance in
lock-step, so when another process takes a core, an epoch on P threads is slower than one on
a single thread (docs/benchmarks.md has the figures).
"""

import threading

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .kernels import (_activate, _bias_sigmoid, _gather, _gemm_by_columns, _jit, _output_delta,
                      _times_sigmoid_prime, _update_bias, _update_weights)

# How many times a waiting thread reads the counter before it starts yielding its core after
# each read: some microseconds, more than a barrier between two running threads takes.
SPINS_BEFORE_YIELD = 2000

# Slots of the shared int64 array `sync`, on separate cache lines: the barrier counter; the
# abort flag, raised when a thread fails or the run is to stop, which releases the others from
# their barriers; and, from _PASSED on, how many barriers each thread has passed, kept
# between calls (thread 0 may train one mini-batch per call).
_COUNT, _ABORT, _PASSED = 0, 8, 16


def _sync_array(threads):
    return np.zeros(_PASSED + threads, np.int64)

_sched_yield = types.ExternalFunction("sched_yield", types.intc())


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
def _train_part(part, parts, sync, X, labels, index, scale, x, y, out, out_delta, weights,
                biases, a, delta, velocity_w, velocity_b, softmax, quadratic, mu, step, decay,
                decay_rate):
    """Thread `part`'s share of the mini-batches ``index[0:m], index[m:2m], ...``, m =
    x.shape[1] (see the module's docstring).  Returns False if it stopped because the abort
    flag went up.

    Thread-own: ``x : (n_in, m)`` F-ordered; ``y, out, out_delta : (n_out, m)``.  Shared, as
    in `kernels._train_step`: the parameters, the velocities, ``a`` and ``delta`` (only the
    hidden layers' entries are used; the output layer's are out and out_delta).
    """
    last = len(weights) - 1
    m = x.shape[1]
    passed = sync[_PASSED + part]
    for k in range(0, len(index), m):
        _gather(X, labels, index[k:k + m], x, y, scale, index[k + m:k + 2 * m])
        r0, r1 = _share(weights[0].shape[0], part, parts)
        _gemm_by_columns(weights[0][r0:r1], x, a[0][r0:r1])
        _bias_sigmoid(a[0][r0:r1], biases[0][r0:r1])
        passed = _barrier(sync, passed, parts)
        if passed < 0:
            return False
        for layer in range(1, last):
            r0, r1 = _share(weights[layer].shape[0], part, parts)
            _gemm_by_columns(weights[layer][r0:r1], a[layer - 1], a[layer][r0:r1])
            _bias_sigmoid(a[layer][r0:r1], biases[layer][r0:r1])
            passed = _barrier(sync, passed, parts)
            if passed < 0:
                return False
        _gemm_by_columns(weights[last], a[last - 1], out)
        _activate(out, biases[last], softmax)
        _output_delta(out, y, out_delta, quadratic)
        passed = _barrier(sync, passed, parts)
        if passed < 0:
            return False
        d = out_delta
        for layer in range(last, 0, -1):
            c0, c1 = _share(weights[layer].shape[1], part, parts)
            _gemm_by_columns(weights[layer][:, c0:c1].T, d, delta[layer - 1][c0:c1])
            _times_sigmoid_prime(delta[layer - 1][c0:c1], a[layer - 1][c0:c1])
            _update_weights(weights[layer][:, c0:c1], velocity_w[layer][:, c0:c1], d,
                            a[layer - 1][c0:c1].T, mu, step, decay, decay_rate)
            r0, r1 = _share(weights[layer].shape[0], part, parts)
            _update_bias(biases[layer][r0:r1], velocity_b[layer][r0:r1], d[r0:r1], mu, step)
            if layer > 1:
                passed = _barrier(sync, passed, parts)
                if passed < 0:
                    return False
                d = delta[layer - 1]
        r0, r1 = _share(weights[0].shape[0], part, parts)
        _update_weights(weights[0][r0:r1], velocity_w[0][r0:r1], delta[0][r0:r1], x.T,
                        mu, step, decay, decay_rate)
        _update_bias(biases[0][r0:r1], velocity_b[0][r0:r1], delta[0][r0:r1], mu, step)
    sync[_PASSED + part] = passed
    return True


def train_batches(X, labels, index, scale, parts, arguments, on_batch=None):
    """`kernels._train_batches` on ``len(parts)`` threads; the calling thread is thread 0.

    parts: one ``(x, y, out, out_delta)`` per thread (shapes as in `_train_part`);
    arguments: `kernels._train_step`'s arguments after x and y.  With `on_batch`, thread 0
    returns to Python after each of its mini-batches to call it (the others wait for it at
    their next barrier); a true result stops all threads before the next mini-batch changes
    any parameter, and is returned.  An exception in any thread stops all of them and is
    raised here.
    """
    sync = _sync_array(len(parts))
    failures = []

    def run(part, index):
        try:
            _train_part(part, len(parts), sync, X, labels, index, scale, *parts[part],
                        *arguments)
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
            m = parts[0][0].shape[1]
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
