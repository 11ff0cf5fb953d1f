"""A layer's update, compiled: its weights and biases moved by the mini-batch's gradient.

One update is split in the two parts a threaded step needs apart:

- `_accumulate(w, v, g, delta, a_prev_t, first, k)`: the mini-batch's summed gradient of w,
  ``delta @ a_prev.T``, added by BLAS where the route puts it (a mini-batch done in chunks
  calls it once per chunk, ``first`` for the first);
- `_finish(w, v, s2, g, k, coef)`: what the route does after it, element by element;

and `_update_biases` moves the biases from their rows of delta.

The routes (`fastnet.config`), for plain SGD first, which is the book's arithmetic to the bit:

- ``FOLD`` (no momentum): ``w <- decay*w - step * (delta @ a_prev.T)`` in one gemm, L2's decay
  (1 - eta*lmbda/n) in BLAS's beta; a penalty that does not fold (L1) first takes its own pass,
  ``w <- w - eta*lmbda/n * grad_P(w)``;
- ``FOLD_VELOCITY`` (momentum): ``v <- mu*v - step * (delta @ a_prev.T)`` in the gemm, then
  ``v <- v - eta*lmbda/n * grad_P(w); w <- w + v``;
- ``GRADIENT`` (every other optimizer): ``g <- (delta @ a_prev.T) / total`` in the gemm, then
  ``g <- g + lmbda/n * grad_P(w)`` (when lmbda > 0, a pass of its own: numba cannot nest the
  loops over the two tables), then the optimizer's rule element by element (`fastnet.optimizers`) with its state ``v`` (s1) and ``s2``.

step = eta/total, total the mini-batch's weight (its size, or the sum of its examples'
weights).  ``k`` is `_step_constants`'s tuple; ``coef`` the optimizer's constants of this step,
in the network's dtype.  Biases are never penalised.

Every function here takes a share of a layer as readily as the whole: the threaded step
(`fastnet.parallel`) passes each thread its rows of the first layer and its columns of the
others.

Shapes: ``w, v, s2, g : (n_out, n_in)``, or a share of their rows or columns;
``delta : (n_out, m)``; ``a_prev_t : (m, n_in)`` (a transposed view); ``b : (n_out, 1)``.
"""

from collections import namedtuple

from numba import literal_unroll

from .blas import _gemm_over_examples
from .config import (FOLD, FOLD_VELOCITY, GRADIENT, OPTIMIZER, PENALTY, PENALTY_FOLDS,
                     ROUTE)
from .fastexp import _like
from .jit import _jit
from .optimizers import COEFFICIENT_FUNCTIONS, ETA, LMBDA, MU, N, UPDATES
from .penalties import GRAD
from .settings import INLINE_OPTIONS, SUM_OPTIONS


Constants = namedtuple("Constants", "route step decay decay_rate mu rate inv_total optimizer "
                                   "penalty penalty_folds")
Constants.__doc__ = """The constants of one step (`_step_constants`): the `route`; step =
eta/total; decay = 1 - decay_rate, decay_rate = eta*lmbda/n; mu; rate = lmbda/n; inv_total =
1/total; the codes of the optimizer and the penalty, and whether the penalty folds into BLAS."""


@_jit
def _step_constants(hyper, kinds, total, t, coef):
    """The `Constants` of one step, and the optimizer's written into ``coef`` (on the gradient
    route: its ``coefficients`` for step t, then rate = lmbda/n last, in coef's dtype).

    total: the mini-batch's weight; n = hyper[N], or total when it is 0 (the penalty per
    mini-batch).  The expressions are those the book's update is written in (`FOLD`)."""
    eta, lmbda, n, mu = hyper[ETA], hyper[LMBDA], hyper[N], hyper[MU]
    if n == 0:
        n = total
    decay_rate = eta * (lmbda / n)
    route, optimizer = kinds[ROUTE], kinds[OPTIMIZER]
    if route == GRADIENT:
        i = 0
        for coefficients in literal_unroll(COEFFICIENT_FUNCTIONS):
            if i == optimizer:
                coefficients(hyper, t, coef)
            i += 1
        coef[len(coef) - 1] = lmbda / n
    return Constants(route, eta / total, 1 - decay_rate, decay_rate, mu, lmbda / n,
                     1.0 / total, optimizer, kinds[PENALTY], kinds[PENALTY_FOLDS] != 0)


@_jit(options=INLINE_OPTIONS)
def _accumulate(w, v, g, delta, a_prev_t, first, k):
    """Add the summed gradient of ``delta`` and ``a_prev_t`` (some of a mini-batch's examples)
    where the route puts it: into w, v or g (see the module's docstring); the ``first`` call
    of a step also scales w by the decay (v by mu; g starts afresh).  k : `Constants`."""
    if k.route == FOLD:
        beta = 1.0
        if first:
            if k.penalty_folds:
                beta = k.decay
            elif k.decay_rate != 0.0:
                _shrink(w, k.decay_rate, k.penalty)
        _gemm_over_examples(-k.step, delta, a_prev_t, beta, w)
    elif k.route == FOLD_VELOCITY:
        _gemm_over_examples(-k.step, delta, a_prev_t, k.mu if first else 1.0, v)
    else:
        _gemm_over_examples(k.inv_total, delta, a_prev_t, 0.0 if first else 1.0, g)


@_jit(options=INLINE_OPTIONS)
def _finish(w, v, s2, g, k, coef):
    """The element-by-element end of the update, after `_accumulate`: on ``FOLD_VELOCITY``
    v <- v - decay_rate * grad_P(w), w <- w + v; on ``GRADIENT`` the penalty joins g and the
    optimizer moves w.  Nothing on ``FOLD``."""
    if k.route == FOLD_VELOCITY:
        _apply_velocity(w, v, k.decay_rate, k.penalty)
    elif k.route == GRADIENT:
        if k.rate != 0.0:
            _penalize(g, w, -coef[len(coef) - 1], k.penalty)
        _apply_optimizer(w, v, s2, g, k.optimizer, coef)


@_jit
def _shrink(w, rate, penalty):
    """w <- w - rate * grad_P(w), P the penalty of code ``penalty``: plain SGD's step of a
    penalty that does not fold into BLAS (one array read and written in place: two views of
    one array, as `_penalize` would get, keep the loop from vectorizing)."""
    n, m = w.shape
    rate = _like(w, rate)
    i = 0
    for grad in literal_unroll(GRAD):
        if i == penalty:
            for r in range(n):
                for c in range(m):
                    value = w[r, c]
                    w[r, c] = value - rate * grad(value)
        i += 1


@_jit
def _penalize(target, w, rate, penalty):
    """target <- target - rate * grad_P(w), P the penalty of code ``penalty``."""
    n, m = w.shape
    i = 0
    for grad in literal_unroll(GRAD):
        if i == penalty:
            for r in range(n):
                for c in range(m):
                    target[r, c] -= rate * grad(w[r, c])
        i += 1


@_jit
def _apply_velocity(w, v, decay_rate, penalty):
    """v <- v - decay_rate * grad_P(w);  w <- w + v, in place: the end of a momentum step,
    once v holds mu*v - step*grad.  decay_rate = eta*lmbda/n."""
    n, m = w.shape
    i = 0
    for grad in literal_unroll(GRAD):
        if i == penalty:
            for r in range(n):
                for c in range(m):
                    v[r, c] -= decay_rate * grad(w[r, c])
                    w[r, c] += v[r, c]
        i += 1


@_jit
def _apply_optimizer(w, s1, s2, g, optimizer, coef):
    """w, s1, s2 <- the rule of optimizer ``optimizer`` at each element, g the gradient."""
    c0, c1, c2, c3, c4 = coef[0], coef[1], coef[2], coef[3], coef[4]
    n, m = w.shape
    i = 0
    for update in literal_unroll(UPDATES):
        if i == optimizer:
            for r in range(n):
                for c in range(m):
                    w[r, c], s1[r, c], s2[r, c] = update(w[r, c], g[r, c], s1[r, c], s2[r, c],
                                                         c0, c1, c2, c3, c4)
        i += 1


@_jit(options=INLINE_OPTIONS)
def _update_biases(b, v, s2, deltas, k, coef):
    """The biases' step from the mini-batch's deltas, in place.  b, v, s2 : (n, 1);
    deltas : (chunks, n, c), the mini-batch's deltas in chunks (one chunk: a view of its
    (n, m) delta).  On the SGD routes b <- b - step * (row sums of delta) (with momentum,
    v <- mu*v - step * (row sums); b <- b + v); on the gradient route the optimizer's rule
    with g = (row sum) / total (`_optimize_biases`)."""
    if k.route == GRADIENT:
        _optimize_biases(b, v, s2, deltas, k, coef)
    elif deltas.shape[0] == 1:
        _update_bias(b, v, deltas[0], k.mu, k.step)
    else:
        _update_bias_chunks(b, v, deltas, k.mu, k.step)


@_jit(options=SUM_OPTIONS)
def _update_bias(b, v, delta, mu, step):
    """Plain SGD's step of the biases, from one chunk of deltas: delta : (n, m)."""
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
        for j in range(chunks):
            for e in range(c):
                total += deltas[j, i, e]
        _bias_step(b, v, i, total, mu, step)


@_jit(options=INLINE_OPTIONS)
def _bias_step(b, v, i, total, mu, step):
    """Bias i's SGD step, given the row sum of its deltas (see `_update_bias`)."""
    if mu:
        v[i, 0] = mu * v[i, 0] - step * total
        b[i, 0] += v[i, 0]
    else:
        b[i, 0] -= step * total


@_jit(options=SUM_OPTIONS)
def _optimize_biases(b, s1, s2, deltas, k, coef):
    """The gradient route's step of the biases: the optimizer's rule at each bias, with
    g = (its deltas' sum) / total.  deltas : (chunks, n, c)."""
    chunks, n, c = deltas.shape
    c0, c1, c2, c3, c4 = coef[0], coef[1], coef[2], coef[3], coef[4]
    o = 0
    for update in literal_unroll(UPDATES):
        if o == k.optimizer:
            for i in range(n):
                total = 0.0
                for j in range(chunks):
                    for e in range(c):
                        total += deltas[j, i, e]
                b[i, 0], s1[i, 0], s2[i, 0] = update(b[i, 0], total * k.inv_total, s1[i, 0],
                                                     s2[i, 0], c0, c1, c2, c3, c4)
        o += 1
