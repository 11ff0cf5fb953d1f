"""The epoch loop of SGD: shuffling, the compiled mini-batches, monitoring, divergence, stops.

`Network.SGD` checks its arguments and hands them to `sgd`, which runs the epochs: each
shuffles the training set (or takes the caller's ``order``), runs its mini-batches through the
compiled step (`step._train_batches`, or `parallel.train_batches` on several threads) with
BLAS on one thread, measures what is monitored (`MONITORS`, on the same thread policy),
restores the parameters and optimizer state of the last finite epoch if the run diverged
(`DivergenceError`), records a `History` and consults the `StopRule`.

Ctrl-C: the compiled epoch runs in a worker thread while the calling (main) thread waits; a
KeyboardInterrupt there asks the epoch to stop after the current mini-batch (``control[STOP]``,
which the compiled loop polls), and the run ends with ``History.stopped == "interrupted"``, the
network as it was after that mini-batch.  A second Ctrl-C aborts at once.  A Ctrl-C between
epochs (the shuffle, the recording, the caller's ``on_epoch``) ends the run there, the same way.  Off the main thread
(where Python delivers no KeyboardInterrupt) the epoch runs in the calling thread.

Shapes: ``X : (n_in, n)`` (F-ordered is fastest), integer labels ``y : (n,)`` or targets
``(n_out, n)``; an epoch's order is an int64 index array ``(n,)``.
"""

import math
import sys
import threading
import time
from dataclasses import replace

import numpy as np

from . import blas, evaluation, parallel
from .checks import NonFiniteColumn, bad_column, check_order
from .config import DONE, STOP, T
from .config import control as new_control
from .history import History
from .jit import will_compile
from .step import STOPPED, _train_batches, make_step

__all__ = ["DivergenceError", "History", "NoImprovement", "StopRule", "MONITORS", "sgd"]

# How often the waiting thread looks up from the epoch (a progress report, a Ctrl-C).
POLL_SECONDS = 0.1


class DivergenceError(FloatingPointError):
    """Training produced non-finite weights or costs.

    ``history`` holds the epochs completed before the divergence; the network's parameters
    have been restored to those at the end of the last finite epoch.
    """

    def __init__(self, message, history):
        super().__init__(message)
        self.history = history


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
    "training_cost": lambda net, train, other, lmbda: evaluation.total_cost(net, *train, lmbda),
    "training_accuracy": lambda net, train, other, lmbda: evaluation.correct(net, *train),
    "evaluation_cost": lambda net, train, other, lmbda: evaluation.total_cost(net, *other, lmbda),
    "evaluation_accuracy": lambda net, train, other, lmbda: evaluation.correct(net, *other),
}


def sgd(net, training_data, config, *, epochs, mini_batch_size, evaluation_data=None,
        monitor=(), stop_rule=None, on_batch=None, on_epoch=None, threads=1, order=None,
        sample_weight=None, verbose=0, settings=None, on_progress=None):
    """Train ``net`` (a `fastnet.Network`) for ``epochs`` epochs of mini-batches; returns a
    `History`.

    ``config`` is the run's `fastnet.config.TrainConfig`; the other arguments are
    `Network.SGD`'s, already checked (see `_epochs`); ``monitor`` may also name "loss" (the
    loss tallied as the mini-batches train, `History.loss`); ``sample_weight`` (n,) in the
    network's dtype or None; ``verbose``: 0, 1 (a line per epoch, `History.epoch_line`) or 2
    (the lines and a progress bar over each epoch's mini-batches, updated by the waiting
    thread every `POLL_SECONDS`); ``on_progress(epoch, done, total)``, `Network.SGD`'s,
    called by the waiting thread too; ``settings``: the run's `History.config`.  An inf or a nan
    found in the data as they are read (`checks.NonFiniteColumn`) puts back everything the
    run changed, parameters, optimizer state and the generator's state, and is raised naming
    the data.
    """
    state = net.state
    saved = state.snapshot(), net.rng.bit_generator.state
    try:
        if epochs:
            load_kernels(net, training_data, config, mini_batch_size, threads, sample_weight)
        with _ProgressBar(verbose >= 2) as bar:
            reports = [hook for hook in (bar.update if verbose >= 2 else None, on_progress)
                       if hook is not None]

            def progress(epoch, done, total):
                return any([report(epoch, done, total) for report in reports])

            return _epochs(net, training_data, config, epochs, mini_batch_size,
                           evaluation_data, monitor, stop_rule, on_batch, on_epoch, threads,
                           order, sample_weight, progress if reports else None,
                           verbose >= 1, settings or {}, saved[0])
    except NonFiniteColumn as exc:
        state.restore(saved[0])
        net.rng.bit_generator.state = saved[1]
        raise NonFiniteColumn(exc.column, exc.what or "training_data", exc.beyond) from None


def _epochs(net, training_data, config, epochs, m, evaluation_data, monitor, stop_rule,
            on_batch, on_epoch, threads, order, sample_weight, progress, lines, settings, saved):
    """The epochs of `sgd`.

    ``monitor`` is a sequence of `MONITORS` names, ``stop_rule`` a `StopRule` (or None).
    ``order(epoch)`` gives the epoch's order of the examples, an array of indices into the
    columns of the training set (checked by `checks.check_order`; a column may be left out or
    repeated, and n, in the mini-batches and the penalty alike, is their number), cut into
    mini-batches ``order[0:m], order[m:2m], ...``, the last one possibly shorter; by default
    ``net.rng.permutation(n)``.  ``saved``: the state's snapshot at the start, what a
    divergence in the first epoch puts back.
    """
    X, y = training_data
    scale, weights = _scale_and_weights(net, X, sample_weight)
    history = History(config=settings)
    state = net.state
    kinds = config.kinds(net.activation, net.cost, net.penalty, loss="loss" in monitor)
    eta = config.eta
    # A Ctrl-C outside the compiled epoch and the scoring (shuffling, recording, the
    # caller's on_epoch) ends the run there too, with what was recorded.
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            perm = (net.rng.permutation(X.shape[1]) if order is None else
                    check_order(order(epoch), X.shape[1]))
            n = len(perm)
            # n, what lmbda is divided by: the epoch's number of examples, as in the book,
            # unless the config says otherwise.
            run = replace(config, eta=eta, n=float(n) if config.n is None else config.n)
            epoch_run = _EpochRun(net, X, y, weights, scale, run, kinds, threads, on_batch,
                                  progress, epoch)
            try:
                interrupted = epoch_run(perm, m)
            except KeyboardInterrupt:
                interrupted = True  # a Ctrl-C that reached Python between mini-batches
            if "loss" in monitor and not interrupted:
                if not math.isfinite(epoch_run.loss):
                    state.restore(saved)
                    raise DivergenceError(f"training diverged in epoch {epoch}: the loss is no "
                                          f"longer finite (eta={eta:g} is probably too large); "
                                          f"{_restored_what(state)} restored to "
                                          f"{_restored_to(epoch)}", history)
                history.loss.append(epoch_run.loss)
            if interrupted:
                history.stopped = "interrupted"
                break
            seconds = time.perf_counter() - start
            monitored, problem = _monitor(net, training_data, evaluation_data, config.lmbda,
                                          monitor, threads)
            scoring = time.perf_counter() - start - seconds
            if problem:
                state.restore(saved)
                if "loss" in monitor:
                    history.loss.pop()
                raise DivergenceError(f"training diverged in epoch {epoch}: {problem} "
                                      f"(eta={eta:g} is probably too large); "
                                      f"{_restored_what(state)} restored to "
                                      f"{_restored_to(epoch)}", history)
            history.seconds.append(seconds)
            history.scoring_seconds.append(scoring)
            history.eta.append(eta)
            for key, value in monitored.items():
                getattr(history, key).append(value)
            saved = state.snapshot()
            if lines:
                print(history.epoch_line(epoch), flush=True)
            if on_epoch is not None:
                on_epoch(epoch, history)
            if stop_rule is not None and stop_rule.active:
                eta, reason = stop_rule.after_epoch(history.evaluation_accuracy[-1], eta)
                if reason is not None:
                    history.stopped = reason
                    break
    except KeyboardInterrupt:
        history.stopped = "interrupted"
    return history


def _scale_and_weights(net, X, sample_weight):
    """What the compiled epoch multiplies each pixel by (1/256 for uint8 pixels), and the
    example weights it gathers (empty: none).  The scale is in the network's dtype: a float64
    factor would make the float32 gather convert every pixel through float64 (twice as slow,
    docs/benchmarks.md)."""
    scale = net.dtype.type(1 / 256 if X.dtype == np.uint8 else 1.0)
    weights = sample_weight if sample_weight is not None else np.empty(0, net.dtype)
    return scale, weights


def _restored_what(state):
    return "parameters and optimizer state" if state.slots else "parameters"


def _restored_to(epoch):
    return f"the end of epoch {epoch - 1}" if epoch else "their values before this run"


class _ProgressBar:
    """A tqdm.auto bar over an epoch's mini-batches (a widget in Jupyter, text on a
    terminal), made on the first report; `update(epoch, done, total)` is the waiting
    thread's progress report (`_EpochRun`).  Inactive: nothing, tqdm not even imported."""

    def __init__(self, active):
        self.active, self.bar, self.epoch = active, None, None

    def __enter__(self):
        return self

    def update(self, epoch, done, total):
        """Show ``done`` of ``total`` mini-batches of ``epoch``; returns None (no stop)."""
        if not self.active:
            return
        if self.bar is None or epoch != self.epoch:
            self.close()
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=f"Epoch {epoch}", unit="batch", leave=False)
            self.epoch = epoch
        self.bar.update(done - self.bar.n)
        if done == total:
            self.bar.refresh()  # tqdm draws at most every 0.1 s: the end is always shown

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __exit__(self, *exc):
        self.close()
        return False


class _EpochRun:
    """One epoch's mini-batches, ``perm`` cut into runs of m: the full ones in one compiled
    call, a shorter last one in a second; called, returns True if the epoch was stopped
    (Ctrl-C, or ``on_batch``) before its end."""

    def __init__(self, net, X, y, weights, scale, config, kinds, threads, on_batch, progress,
                 epoch):
        self.net, self.X, self.y, self.weights, self.scale = net, X, y, weights, scale
        self.config, self.kinds, self.threads = config, kinds, threads
        self.on_batch, self.progress, self.epoch = on_batch, progress, epoch
        self.control = new_control()

    @property
    def loss(self):
        """The epoch's mean tallied loss (nan before any example)."""
        return self.loss_sum / self.loss_weight if self.loss_weight else math.nan

    def __call__(self, perm, m):
        self.loss_sum = self.loss_weight = 0.0
        n = len(perm)
        full = n - n % m
        self.total = -(-n // m)
        # A diverging run overflows in the products; it is caught after the epoch, not
        # warned about.
        with np.errstate(over="ignore", invalid="ignore"), blas.one_thread():
            stopped = self._batches(perm[:full], m, self.threads)
            if full < n and not stopped:
                stopped = self._batches(perm[full:], n - full, 1)
        return stopped

    def _batches(self, index, m, threads):
        """The mini-batches of size m that ``index`` cuts the data into, on `threads` threads;
        True if they were stopped before the end."""
        if not len(index):
            return False
        state, weighted = self.net.state, self.weights.size > 0
        step = make_step(state, self.config, self.kinds, m, weighted, self.control)
        tally = step.work[3]
        tally[:] = 0.0
        if threads > 1:
            buffers = state.workspace(m).parallel(state.sizes, threads)

            def call(index, on_batch=None):
                return parallel.train_batches(self.X, self.y, self.weights, index, self.scale,
                                              *buffers, step, on_batch)
        else:
            def call(index, on_batch=None):
                return _train_batches(self.X, self.y, self.weights, index, self.scale, *step)
        try:
            if self.on_batch is None:
                self._report()  # a stop asked for before the epoch: after its first mini-batch
                result = self._waiting(lambda: call(index))
                self._report()
            elif threads > 1:
                result = call(index, self.on_batch)
            else:
                result = -1
                for k in range(0, len(index), m):
                    result = call(index[k:k + m])
                    if result >= 0:
                        break
                    if self.on_batch():
                        result = STOPPED
                        break
        finally:
            state.t = int(self.control[T])  # the optimizer's steps, all taken
            self.loss_sum += tally[0]
            self.loss_weight += tally[1]
        if result >= 0:
            raise bad_column(self.X, int(result), self.net.dtype)
        return result == STOPPED

    def _report(self):
        """Tell `progress` how far the epoch is; a true answer asks it to stop after the
        current mini-batch (``control[STOP]``, polled by the compiled loop)."""
        if self.progress is not None and self.progress(self.epoch, int(self.control[DONE]),
                                                       self.total):
            self.control[STOP] = 1

    def _waiting(self, call):
        """``call()`` (compiled, without the GIL) in a worker thread while this thread waits,
        reporting progress and turning a first Ctrl-C into a stop request (see the module);
        in the calling thread when that is not the main thread."""
        if threading.current_thread() is not threading.main_thread():
            return call()
        outcome, done = [], threading.Event()

        def work():
            try:
                # The BLAS thread limit is set again here, in the thread that calls BLAS:
                # set only in the waiting thread, the two-thread epoch measured 5-15% slower
                # (docs/benchmarks.md, Threads).
                with blas.one_thread():
                    outcome.append((True, call()))
            except BaseException as exc:  # raised again in the waiting thread
                outcome.append((False, exc))
            finally:
                done.set()

        worker = threading.Thread(target=work, name="fastnet-epoch", daemon=True)
        worker.start()
        interrupted = False
        # An Event, not Thread.join: a join that a KeyboardInterrupt interrupts can leave the
        # thread looking finished while it still runs (CPython, bpo-21822).
        while not done.is_set():
            try:
                if not done.wait(POLL_SECONDS):
                    self._report()
            except KeyboardInterrupt:
                if interrupted or self.control[STOP]:
                    raise  # a second Ctrl-C: at once (the worker stops after its mini-batch)
                interrupted = True
                self.control[STOP] = 1
        worker.join()
        ok, value = outcome[0]
        if not ok:
            raise value
        return value


def _monitor(net, training_data, evaluation_data, lmbda, monitor, threads):
    """``(monitored, problem)``: the values of the `MONITORS` asked for, by name, and None,
    or a sentence saying what is no longer finite."""
    monitored = {}
    # Scoring keeps training's thread policy: BLAS on one thread per training thread.  On a
    # machine where another process keeps a core busy, BLAS's own threads made 5 monitored
    # epochs 4-30x slower; and after a multi-threaded product, OpenBLAS's threads spin for
    # ~0.1 s, taking a core from the next epoch's threads (docs/benchmarks.md).
    with blas.threads(threads):
        if not net.state.parameters_finite():
            return monitored, "the weights are no longer finite"
        for name in MONITORS:
            if name in monitor:
                try:
                    monitored[name] = MONITORS[name](net, training_data, evaluation_data, lmbda)
                except NonFiniteColumn as exc:
                    raise NonFiniteColumn(exc.column, name.split("_")[0] + "_data") from None
                except evaluation.NonFiniteOutput:
                    return monitored, "the network's outputs are no longer numbers"
    costs = [v for k, v in monitored.items() if k.endswith("cost")]
    return monitored, (None if all(map(math.isfinite, costs)) else "the cost is no longer finite")


def load_kernels(net, training_data, config, m, threads, sample_weight=None):
    """Compile (or load from numba's cache) the kernels of an SGD run, for its very types
    (the dtypes, the memory order of X, the kind of targets, the number of layers, one thread
    or several), by running them on no mini-batch: so that no epoch's time includes
    compilation.  Only what the run takes is loaded: each version of the compiled epoch held
    in memory costs 1-5 MB (docs/benchmarks.md), and loading every one up front took 13 MB.
    The types do not depend on m, the data's length or the hyper-parameters: one call covers
    the full mini-batches and a shorter last one, whatever ``order`` gives."""
    X, y = training_data
    scale, weights = _scale_and_weights(net, X, sample_weight)
    # What numba types the compiled epoch by, in arrays (dtype, layout, flags) and tuples
    # (how many layers): loaded once per process for each, then nothing to do (a look at the
    # argument types costs about 1 ms, a third of an SGD call's own work).
    key = (net.dtype.str, len(net.sizes), threads > 1,
           *((a.dtype.str, a.ndim, a.flags.c_contiguous, a.flags.f_contiguous,
              a.flags.writeable, a.flags.aligned) for a in (X, y, weights)))
    if key in _loaded:
        return
    none = np.empty(0, np.int64)
    state = net.state
    kinds = config.kinds(net.activation, net.cost, net.penalty)
    step = make_step(state, config, kinds, m, weights.size > 0)
    args = (X, y, weights, none, scale, *step)
    if will_compile(_train_batches, args):
        compile_note(net.dtype)
    with blas.one_thread():
        _train_batches(*args)
        if threads > 1:
            parallel.load_kernels(X, y, weights, scale,
                                  *state.workspace(m).parallel(state.sizes, threads), step)
    _loaded.add(key)


_loaded = set()


# What the note before compiling says it takes: the kernels of one dtype, on this project's
# 2-core machine (docs/benchmarks.md).
COMPILE_TIME = "about 15-25 s on idle cores, a minute on busy ones"


def compile_note(dtype, prog="fastnet"):
    """One line on stderr, before numba compiles the kernels of an SGD run: the silence that
    follows is not a hang."""
    print(f"{prog}: compiling the numba kernels for {np.dtype(dtype).name} ({COMPILE_TIME}; "
          f"numba keeps them in its cache for later runs) ...", file=sys.stderr, flush=True)
