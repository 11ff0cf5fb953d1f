"""One SGD step on one thread, and an epoch of them, compiled: the blocks of `fastnet.layers`
and `fastnet.updates` chained for a mini-batch.

`_train_step` is backprop (`layers._forward_backward`) followed by each layer's update;
`_train_batches` gathers mini-batch after mini-batch (`fastnet.gather`) and steps on each,
without returning to Python: at mini-batch 10 a Python-level step spent more time in call
overhead than in arithmetic.  Between mini-batches it polls ``control[STOP]`` (a request to
stop, from another thread) and counts ``control[DONE]``.  Their arguments after the data are
the fields of one `Step`, built once per call (`make_step`).

The one-thread step is not `parallel._train_part` on one thread: that ran 1.2-1.6x slower at
mini-batches 10 and 100 and changed float64 results in their last bits (docs/benchmarks.md,
"Threads"), so the two orchestrate the same blocks each in its own way.

Shapes: ``X : (n_in, n)`` any dtype, F-ordered is fastest; targets ``(n,)`` int labels or
``(n_out, n)``; sample weights ``(n,)`` or empty; ``index`` int64, the examples in order; the
work arrays of `state.Workspace`.
"""

from collections import namedtuple

from .config import DONE, GRADIENT, STOP, T
from .config import control as new_control
from .fpenv import _flush_subnormals, _restore_fpenv
from .gather import _batch_weight, _gather, _upcoming
from .jit import _jit
from .layers import _forward_backward
from .settings import INLINE_OPTIONS
from .updates import (_accumulate, _finish, _optimize_biases, _step_constants,
                      _update_bias)

# What `_train_batches` returns besides the column of a non-finite input (>= 0).
DONE_ALL, STOPPED = -1, -2

Step = namedtuple("Step", "x y sw params state work kinds hyper control")
Step.__doc__ = """The arguments of the compiled step, built once per call (`make_step`) and taken
field by field (``*step``: numba's dispatch of a namedtuple costs about 0.8 us more per call,
paid per mini-batch when Python runs between them).

x, y, sw : the mini-batch's work arrays (`state.Workspace`; sw empty without sample weights);
params : ``(weights, biases)``, tuples; state : ``(s1w, s2w, s1b, s2b, g)``, the optimizer's
slots and the gradient arrays (`TrainState.state_args`); work : ``(a, delta, coef, tally)``;
kinds, hyper, control : the arrays of `fastnet.config`."""


def make_step(state, config, kinds, m, weighted=False, control=None):
    """The `Step` of a `state.TrainState` for mini-batches of m, trained with ``config`` (a
    `config.TrainConfig`; ``kinds`` its array for the network); ``control[T]`` starts at the
    state's step count."""
    state.prepare(config)
    ws = state.workspace(m)
    x, y, sw, work = ws.args(weighted)
    if control is None:
        control = new_control()
    control[T] = state.t
    return Step(x, y, sw, state.params(), state.state_args(config), work, kinds,
                config.hyper(), control)


@_jit(options=INLINE_OPTIONS)
def _train_step(x, y, sw, total, params, state, work, kinds, hyper, control):
    """One SGD step on the mini-batch ``x : (n_in, m)`` F-ordered, targets ``y : (n_out, m)``,
    example weights ``sw : (m,)`` or empty, of weight ``total`` (m, or the sum of sw).

    Backprop (`layers._forward_backward`), then each layer's update, the output layer's first
    (`_update_layer`).  Returns -1, or the first column of x that holds an inf or a nan
    (found in the first layer's products): the step then stops there, before it has changed
    anything.  ``control[T]``, the optimizer's step count, goes up by one.  The caller
    flushes subnormal numbers (`_step_flushed`, `_train_batches`).
    """
    weights, biases = params
    s1w, s2w, s1b, s2b, grads = state
    a, delta, coef, tally = work
    bad = _forward_backward(x, y, sw, weights, biases, a, delta, kinds, tally)
    if bad < 0:
        t = control[T] + 1
        k = _step_constants(hyper, kinds, total, t, coef)
        for layer in range(len(weights) - 1, 0, -1):
            _update_layer(weights[layer], biases[layer], s1w[layer], s2w[layer], s1b[layer],
                          s2b[layer], grads[layer], delta[layer], a[layer - 1].T, k, coef)
        _update_layer(weights[0], biases[0], s1w[0], s2w[0], s1b[0], s2b[0], grads[0],
                      delta[0], x.T, k, coef)
        control[T] = t
    return bad


@_jit
def _step_flushed(x, y, sw, total, params, state, work, kinds, hyper, control):
    """`_train_step` with subnormal numbers flushed to zero (`fastnet.fpenv`): one step called
    from Python (`Network.update_mini_batch`)."""
    saved = _flush_subnormals()
    bad = _train_step(x, y, sw, total, params, state, work, kinds, hyper, control)
    _restore_fpenv(saved)
    return bad


@_jit(options=INLINE_OPTIONS)
def _update_layer(w, b, s1w, s2w, s1b, s2b, g, delta, a_prev_t, k, coef):
    """A layer's whole update on one thread: `_accumulate`, `_finish`, the biases."""
    _accumulate(w, s1w, g, delta, a_prev_t, True, k)
    _finish(w, s1w, s2w, g, k, coef)
    if k.route == GRADIENT:
        _optimize_biases(b, s1b, s2b, delta.reshape((1,) + delta.shape), k, coef)
    else:
        _update_bias(b, s1b, delta, k.mu, k.step)


@_jit
def _train_batches(X, targets, weights_data, index, scale, x, y, sw, params, state, work,
                   kinds, hyper, control):
    """`_train_step` on the mini-batches ``index[0:m], index[m:2m], ...`` of the data.

    m = x.shape[1], and len(index) must be a multiple of it.  X : (n_in, n), any dtype,
    times ``scale`` (1/256 for uint8 pixels); targets : (n,) int labels or (n_out, n);
    weights_data : (n,) example weights, or empty; the rest the fields of a `Step`.  Returns
    DONE_ALL; STOPPED when ``control[STOP]`` was up after a mini-batch (the steps then stop
    there); or the column of X whose gathered copy holds an inf or a nan: the steps stop
    before the mini-batch that holds it changes anything (the caller restores the
    parameters the earlier ones changed).  Subnormal numbers are flushed to zero meanwhile
    (`fastnet.fpenv`).
    """
    m = x.shape[1]
    saved = _flush_subnormals()  # for these steps, on this thread (`fastnet.fpenv`)
    result = DONE_ALL
    for k in range(0, len(index), m):
        batch = index[k:k + m]
        _gather(X, targets, weights_data, batch, x, y, sw, scale, _upcoming(index, k + m, m))
        bad = _train_step(x, y, sw, _batch_weight(weights_data, batch), params, state, work,
                          kinds, hyper, control)
        if bad >= 0:
            result = index[k + bad]
            break
        control[DONE] += 1
        if control[STOP]:
            result = STOPPED
            break
    _restore_fpenv(saved)
    return result
