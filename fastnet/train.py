"""The epoch loop of SGD: shuffling, the compiled mini-batches, monitoring, divergence, stops.

`Network.SGD` checks its arguments and hands them to `sgd`, which runs the epochs: each
shuffles the training set (`order`), runs its mini-batches through the compiled step
(`kernels._train_batches`, or `parallel.train_batches` on several threads) with BLAS on one
thread, measures what is monitored (`MONITORS`), restores the parameters of the last finite
epoch if the run diverged (`DivergenceError`), records a `History` and consults the `StopRule`.

Shapes: ``X : (n_in, n)`` (F-ordered is fastest), integer labels ``y : (n,)``; an epoch's
order is an int64 index array ``(n,)``.
"""

import contextlib
import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import blas, kernels, parallel
from .checks import NonFiniteColumn, bad_column, check_order


class DivergenceError(FloatingPointError):
    """Training produced non-finite weights or costs.

    ``history`` holds the epochs completed before the divergence; the network's parameters
    have been restored to those at the end of the last finite epoch.
    """

    def __init__(self, message, history):
        super().__init__(message)
        self.history = history


@dataclass
class History:
    """Per-epoch record of a run.

    The first four lists are network2.py's return values (costs, and accuracies as counts of
    correct examples; a list stays empty when it is not monitored), then the seconds each
    epoch took and the learning rate it ran at.  Iterating gives the four lists and the
    seconds, so ``ec, ea, tc, ta, secs = net.SGD(...)`` reads like the book.

    ``stopped`` says why the run ended: "completed", "early stopping", "schedule" (the
    learning rate fell below eta0/128) or "interrupted".
    """

    evaluation_cost: list = field(default_factory=list)
    evaluation_accuracy: list = field(default_factory=list)
    training_cost: list = field(default_factory=list)
    training_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    eta: list = field(default_factory=list)
    stopped: str = "completed"

    def __iter__(self):
        return iter((self.evaluation_cost, self.evaluation_accuracy, self.training_cost,
                     self.training_accuracy, self.seconds))

    @property
    def epochs(self):
        """Number of completed epochs."""
        return len(self.seconds)


class NoImprovement:
    """The book's "no-improvement-in-n" rule on a sequence of accuracies.

    `update` returns True when ``n`` epochs in a row have not beaten the best accuracy seen
    so far, and then starts counting afresh, so that a learning-rate schedule can fire again
    after another n epochs without improvement.
    """

    def __init__(self, n):
        self.n = n
        self.best = -math.inf
        self.since_best = 0

    def update(self, accuracy):
        if accuracy > self.best:
            self.best = accuracy
            self.since_best = 0
            return False
        self.since_best += 1
        if self.since_best >= self.n:
            self.since_best = 0
            return True
        return False


class StopRule:
    """Early stopping and the learning-rate schedule of chapter 3, consulted after each epoch.

    - ``early_stopping=n`` alone: stop after n epochs without improvement.
    - ``schedule=True``: halve eta each time no-improvement-in-n fires (n defaults to 10, the
      book's choice) and stop once eta has fallen below eta0/128.

    `after_epoch(accuracy, eta)` returns ``(eta, reason)``: the learning rate for the next
    epoch, and None or the reason to stop now.
    """

    def __init__(self, eta0, early_stopping=None, schedule=False):
        self.eta0 = eta0
        self.schedule = schedule
        patience = early_stopping if early_stopping is not None else (10 if schedule else None)
        self.rule = NoImprovement(patience) if patience is not None else None

    @property
    def active(self):
        return self.rule is not None

    def after_epoch(self, accuracy, eta):
        if self.rule is None or not self.rule.update(accuracy):
            return eta, None
        if not self.schedule:
            return eta, "early stopping"
        eta = eta / 2
        return eta, ("schedule" if eta < self.eta0 / 128 else None)


# What can be monitored after an epoch: the name of the `History` list it fills -> how it is
# measured, ``f(net, training_data, evaluation_data, lmbda)``.
MONITORS = {
    "training_cost": lambda net, train, evaluation, lmbda: net._total_cost(*train, lmbda),
    "training_accuracy": lambda net, train, evaluation, lmbda: net._accuracy(*train),
    "evaluation_cost": lambda net, train, evaluation, lmbda: net._total_cost(*evaluation, lmbda),
    "evaluation_accuracy": lambda net, train, evaluation, lmbda: net._accuracy(*evaluation),
}


def sgd(net, training_data, epochs, m, eta, lmbda=0.0, evaluation_data=None, monitor=(),
        mu=0.0, stop_rule=None, on_batch=None, on_epoch=None, threads=1, order=None):
    """Train ``net`` for ``epochs`` epochs of mini-batches of m; returns a `History`.

    The arguments are `Network.SGD`'s, already checked (see `_epochs`).  An inf or a nan
    found in the data as they are read (`checks.NonFiniteColumn`) puts back everything the
    run changed, parameters, velocities and the generator's state, and is raised naming the
    data (both found in the first layer's products: `kernels._first_bad_input` in the
    compiled step, `checks.check_columns` in evaluation).
    """
    state = _state(net)
    try:
        if epochs:
            load_kernels(net, training_data, m, threads)
        return _epochs(net, training_data, epochs, m, eta, lmbda, evaluation_data, monitor,
                       mu, stop_rule, on_batch, on_epoch, threads, order)
    except NonFiniteColumn as exc:
        _set_state(net, state)
        raise NonFiniteColumn(exc.column, exc.what or "training_data", exc.beyond) from None


def _epochs(net, training_data, epochs, m, eta, lmbda, evaluation_data, monitor, mu,
            stop_rule, on_batch, on_epoch, threads, order):
    """The epochs of `sgd`.

    The arguments are `Network.SGD`'s, already checked; ``monitor`` is a sequence of
    `MONITORS` names, ``stop_rule`` a `StopRule` (or None).  ``order(epoch)`` gives the
    epoch's order of the examples, an array of indices into the columns of the training set
    (checked by `checks.check_order`; a column may be left out or repeated, and n, in the
    mini-batches and the L2 decay alike, is their number), cut into mini-batches
    ``order[0:m], order[m:2m], ...``, the last one possibly shorter; by default
    ``net.rng.permutation(n)``.
    """
    X, y = training_data
    # In the network's dtype: a float64 factor would make the float32 gather convert every
    # pixel through float64 (twice as slow, docs/benchmarks.md).
    scale = net.dtype.type(1 / 256 if X.dtype == np.uint8 else 1.0)
    history = History()
    saved = net._snapshot()
    for epoch in range(epochs):
        start = time.perf_counter()
        perm = (net.rng.permutation(X.shape[1]) if order is None else
                check_order(order(epoch), X.shape[1]))
        n = len(perm)
        # A diverging run overflows in the products; it is caught below, not warned about.
        # The full mini-batches are one call, the shorter last one, if any, a second.
        full = n - n % m
        with np.errstate(over="ignore", invalid="ignore"), blas.one_thread():
            interrupted = _train_batches(net, X, y, perm[:full], m, scale, eta, lmbda, n, mu,
                                         threads, on_batch)
            if full < n and not interrupted:
                interrupted = _train_batches(net, X, y, perm[full:], n - full, scale, eta,
                                             lmbda, n, mu, 1, on_batch)
        if interrupted:
            history.stopped = "interrupted"
            break
        seconds = time.perf_counter() - start
        monitored, problem = _monitor(net, training_data, evaluation_data, lmbda, monitor,
                                      threads)
        if problem:
            net._restore(saved)
            restored = (f"the end of epoch {epoch - 1}" if epoch else
                        "their values before this run")
            raise DivergenceError(f"training diverged in epoch {epoch}: {problem} "
                                  f"(eta={eta:g} is probably too large); parameters restored "
                                  f"to {restored}", history)
        history.seconds.append(seconds)
        history.eta.append(eta)
        for key, value in monitored.items():
            getattr(history, key).append(value)
        saved = net._snapshot()
        if on_epoch is not None:
            on_epoch(epoch, history)
        if stop_rule is not None and stop_rule.active:
            eta, reason = stop_rule.after_epoch(history.evaluation_accuracy[-1], eta)
            if reason is not None:
                history.stopped = reason
                break
    return history


def _monitor(net, training_data, evaluation_data, lmbda, monitor, threads):
    """``(monitored, problem)``: the values of the `MONITORS` asked for, by name, and None,
    or a sentence saying what is no longer finite."""
    monitored = {}
    # On several threads, monitoring keeps BLAS on one thread too: OpenBLAS's threads spin
    # for ~0.1 s after a multi-threaded product, and would take a core from the next epoch's
    # threads (docs/benchmarks.md).
    with blas.one_thread() if threads > 1 else contextlib.nullcontext():
        if not net._parameters_finite():
            return monitored, "the weights are no longer finite"
        for name in MONITORS:
            if name in monitor:
                try:
                    monitored[name] = MONITORS[name](net, training_data, evaluation_data, lmbda)
                except NonFiniteColumn as exc:
                    raise NonFiniteColumn(exc.column, name.split("_")[0] + "_data") from None
    costs = [v for k, v in monitored.items() if k.endswith("cost")]
    return monitored, (None if all(map(math.isfinite, costs)) else "the cost is no longer finite")


def _train_batches(net, X, y, index, m, scale, eta, lmbda, n, mu, threads=1, on_batch=None):
    """SGD steps on the mini-batches of size m that ``index`` cuts ``(X, y)`` into, on
    `threads` threads, calling ``on_batch()`` after each if given; returns True if on_batch
    asked to stop.  Without on_batch, one compiled call does them all: at mini-batch 10,
    returning to Python after each costs more than the step."""
    ws = net._workspace(m)
    step = kernels.make_step(net, m, eta, lmbda, n, mu)
    if threads > 1:
        return parallel.train_batches(X, y, index, scale, *ws.parallel(net.sizes, threads),
                                      step, on_batch)
    if on_batch is None:
        _raise_if_found(X, kernels._train_batches(X, y, index, scale, ws.x, ws.y, *step),
                        net.dtype)
        return False
    for k in range(0, len(index), m):
        _raise_if_found(X, kernels._train_batches(X, y, index[k:k + m], scale, ws.x, ws.y,
                                                  *step), net.dtype)
        if on_batch():
            return True
    return False


def _raise_if_found(X, column, dtype):
    """`kernels._train_batches` returns -1, or the column of X whose copy in the network's
    dtype holds an inf or a nan (`checks.bad_column`)."""
    if column >= 0:
        raise bad_column(X, int(column), dtype)


def load_kernels(net, training_data, m, threads):
    """Compile (or load from numba's cache) the kernels of an SGD run, for its very types
    (the dtypes, the memory order of X, the number of layers, one thread or several), by
    running them on no mini-batch: so that no epoch's time includes compilation.  Only what
    the run takes is loaded: each version of the compiled epoch held in memory costs 1-5 MB
    (docs/benchmarks.md), and loading every one up front, as `Network()` did, took 13 MB.
    The types do not depend on m or on the data's length: one call covers the full
    mini-batches and a shorter last one, whatever ``order`` gives."""
    X, y = training_data
    scale = net.dtype.type(1 / 256 if X.dtype == np.uint8 else 1.0)
    none = np.empty(0, np.int64)
    ws = net._workspace(m)
    step = kernels.make_step(net, m, 1.0, 0.0, 1, 0.0)
    with blas.one_thread():
        kernels._train_batches(X, y, none, scale, ws.x, ws.y, *step)
        if threads > 1:
            parallel.load_kernels(X, y, scale, *ws.parallel(net.sizes, threads), step)


def _state(net):
    """Copies of everything training changes: parameters, velocities, the generator's
    state (see `_set_state`)."""
    velocities = (None if net._velocity_w is None or net._velocity_b is None else
                  [v.copy() for v in net._velocity_w + net._velocity_b])
    return net._snapshot(), velocities, net.rng.bit_generator.state


def _set_state(net, state):
    """Put back a `_state()`: the parameters in place (the arrays stay those the caller may
    hold), the velocities (or their absence) and the generator's state."""
    params, velocities, rng_state = state
    for p, saved in zip(net._weights + net._biases, params):
        p[...] = saved
    if velocities is None:
        net._velocity_w = net._velocity_b = None
    else:
        for v, saved in zip(net._velocity_w + net._velocity_b, velocities):
            v[...] = saved
    net.rng.bit_generator.state = rng_state
