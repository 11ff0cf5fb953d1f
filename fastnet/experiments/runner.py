"""Running the experiments: every row x seed of a suite trained on the engine, in a pool of
worker processes, into a `Report`.

Each worker holds the data once, as pixel bytes, and is pinned to one BLAS thread, so that two
workers use two cores and no more; the longest runs start first.  The seeds are 0 .. n-1, and
seed k fixes a run completely (`Network(seed=k)` draws the initial weights and every epoch's
shuffle).  Chapter 1's baselines (`suites.BaselineRow`) involve no randomness: each runs once,
in the same pool.  A worker that dies (the out-of-memory killer's SIGKILL) ends the pool at
once, and the runs finished until then are kept (`WorkerDied`).
"""

import datetime
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits
from tqdm import tqdm

from .. import resources
from ..checks import check_count
from ..data import load_mnist
from ..interrupts import handling_sigint, signal_name
from ..network import Network
from ..train import DivergenceError
from . import baselines
from .report import plural
from .speeds import measure, progress_figures
from .suites import SUITES, BaselineRow, ExperimentError, Row, SpeedRow, Suite, select_rows

DEFAULT_SEEDS = 3
# --quick runs a tenth of each row's epochs (at least one), with one seed, and trains the
# baselines on a tenth of their images.
QUICK_EPOCH_DIVISOR = 10
# The most seeds a suite runs: 10,000 seeds of the book's 18 rows would take years.
MAX_SEEDS = 10_000
# The memory one worker process holds (numpy, numba and its kernels, the data as bytes, a
# network): at most as many workers as the memory available holds.
WORKER_BYTES = 200 * 2**20


@dataclass
class Run:
    """One row trained from one seed.  accuracy : correct evaluation images after each epoch;
    speeds : for a SpeedRow (whose accuracy is empty and n_eval 0), the layer speeds at the
    start and after each epoch (`speeds.measure`); curves : the row's ``monitor`` quantities,
    one value per epoch each (training accuracy in correct images, like ``accuracy``).

    A baseline's run has no seed (None), its one accuracy in ``accuracy``, and the number of
    images it trained on in ``train``; ``skipped`` says why it did not run, if it did not."""

    row: str
    seed: int | None
    accuracy: list
    n_eval: int
    seconds: float
    blas_threads: int | None = None
    speeds: list | None = None
    curves: dict | None = None
    train: int | None = None
    skipped: str | None = None

    @property
    def percent(self):
        return [100 * count / self.n_eval for count in self.accuracy]


@dataclass(frozen=True)
class Task:
    """A row to run from ``seed`` for ``epochs`` (a baseline: on ``train`` images; None is
    the row's own number)."""

    row: Row
    seed: int | None
    epochs: int | None
    train: int | None = None


def check_data(rows, splits):
    """Raise ExperimentError unless ``splits`` (load_mnist's three pairs) can hold every row."""
    (X, _), (Xv, _), (Xt, _) = splits
    available = {"test": Xt.shape[1], "validation": Xv.shape[1]}
    for row in rows:
        if row.train > X.shape[1]:
            raise ExperimentError(f"{row.id} trains on {row.train:,} images but the data has "
                                  f"{X.shape[1]:,} training images")
        if row.eval is not None and available[row.eval] == 0:
            raise ExperimentError(f"{row.id} is evaluated on the {row.eval} set, which the "
                                  "data leaves empty")


def run_row(row, seed, splits, epochs=None, train=None):
    """Train ``row`` from ``seed`` on ``splits`` (load_mnist's three pairs; uint8 pixels are
    best) for ``epochs`` (default: the row's), evaluating after every epoch and recording the
    row's ``monitor`` quantities, or, for a SpeedRow, measuring the layer speeds at the start
    and after every epoch.  A BaselineRow trains once, on ``train`` images (default: the
    row's), and ignores the seed and epochs.  Returns a Run."""
    if isinstance(row, BaselineRow):
        outcome = baselines.run(row, splits, train)
        accuracy = [] if outcome.skipped else [outcome.correct]
        return Run(row.id, None, accuracy, outcome.n_eval, outcome.seconds,
                   train=outcome.train, skipped=outcome.skipped)
    if isinstance(row, SpeedRow):
        try:
            measured, seconds = measure(row, seed, splits, epochs)
        except DivergenceError as e:
            raise ExperimentError(f"{row.id}, seed {seed}: {e}") from None
        return Run(row.id, seed, [], 0, seconds, speeds=measured)
    (X, y), validation, test = splits
    evaluation = test if row.eval == "test" else validation
    net = Network(row.sizes, cost=row.cost, init=row.init, seed=seed)
    start = time.perf_counter()
    monitor = {f"monitor_{name}": True for name in row.monitor}
    try:
        history = net.SGD((X[:, :row.train], y[:row.train]), epochs or row.epochs, row.batch,
                          row.eta, lmbda=row.lmbda, evaluation_data=evaluation, **monitor)
    except DivergenceError as e:
        raise ExperimentError(f"{row.id}, seed {seed}: {e}") from None
    curves = {name: list(getattr(history, name)) for name in row.monitor} or None
    return Run(row.id, seed, history.evaluation_accuracy, evaluation[0].shape[1],
               time.perf_counter() - start, curves=curves)


def blas_threads():
    """The largest thread count of the BLAS libraries loaded in this process (None if none)."""
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts, default=None)


class WorkerDied(ExperimentError):
    """A worker process died (killed by the out-of-memory killer, say): the pool ended at
    once, losing the runs in progress.  ``report``: the `Report` of the runs finished before,
    of the rows that have one (None when `_execute` raises it)."""

    def __init__(self, message, report=None):
        super().__init__(message)
        self.report = report


_worker = {}


def _init_worker(data_path):
    # Ctrl-C goes to the whole process group; the parent handles it and terminates the pool.
    # (The worker was started with SIGINT ignored, in _execute; this keeps it so.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threadpool_limits(1)
    try:
        _worker["splits"] = load_mnist(data_path, np.uint8)
    except (OSError, ValueError) as e:  # the data changed since the parent checked it
        _worker["failure"] = f"a worker process could not load the data: {e}"
        return
    _worker["blas_threads"] = blas_threads()
    # A first SGD call loads the kernels the runs take (uint8 pixels, one thread, one hidden
    # layer; Network.SGD loads them per call), so that no run's time includes loading or
    # compiling them.
    (X, y), _, (Xt, yt) = _worker["splits"]
    if X.shape[1] and Xt.shape[1]:
        Network([X.shape[0], 2, 10], seed=0).SGD((X[:, :4], y[:4]), 1, 2, 0.1,
                                                 evaluation_data=(Xt[:, :4], yt[:4]))


def _run_in_worker(task):
    if "failure" in _worker:
        raise ExperimentError(_worker["failure"])
    run = run_row(task.row, task.seed, _worker["splits"], task.epochs, task.train)
    run.blas_threads = _worker["blas_threads"]
    return run


def _execute(tasks, jobs, data_path, splits):
    """Yield the Run of each task as it finishes: in this process when jobs == 1, else in a
    pool of `jobs` worker processes.  The workers are spawned, not forked: forking a process
    that may hold BLAS and progress-bar threads is unsafe in general, and a spawned worker
    starts clean and sets its own BLAS limit before it computes anything.

    A worker that dies breaks the pool (concurrent.futures notices it at once, where
    multiprocessing.Pool would wait for ever for the run it took): `WorkerDied`, after the
    runs finished until then."""
    if jobs == 1:
        with threadpool_limits(1):
            threads = blas_threads()
            for task in tasks:
                run = run_row(task.row, task.seed, splits, task.epochs, task.train)
                run.blas_threads = threads
                yield run
        return
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                   initargs=(data_path,))
    others = set(multiprocessing.active_children())
    workers = set()
    try:
        # The workers start as the first tasks are submitted.  Started with SIGINT ignored, a
        # worker keeps it ignored from its first instruction: a Ctrl-C while it still imports
        # numpy and numba (before _init_worker) cannot print a traceback.  The parent's
        # handler is back once the workers are started.
        with handling_sigint(signal.SIG_IGN):
            futures = [executor.submit(_run_in_worker, task) for task in tasks]
        workers = set(multiprocessing.active_children()) - others
        for future in as_completed(futures):
            try:
                run = future.result()
            except BrokenProcessPool:
                raise WorkerDied(_death(workers)) from None
            yield run
    except BaseException:
        # Ctrl-C, a failed run, a dead worker: no worker may go on computing or wait for
        # tasks that will not come.
        for worker in workers | (set(multiprocessing.active_children()) - others):
            worker.terminate()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


def _death(workers):
    """What ended a worker of ``workers`` (multiprocessing.Process objects), in words, for the
    one line saying that one died; the others are terminated by the pool when it breaks."""
    codes = []
    for worker in workers:
        worker.join(timeout=5)
        if worker.exitcode is not None:
            codes.append(worker.exitcode)
    # The pool terminates the living with SIGTERM once one has died: the odd one out died.
    odd = [code for code in codes if code != -signal.SIGTERM] or codes
    if not odd:
        return "a worker process died"
    code = odd[0]
    if code < 0:
        how = f"killed by {signal_name(-code)}"
        if -code == signal.SIGKILL:
            how += ", as the out-of-memory killer does"
        return f"a worker process died ({how})"
    return f"a worker process died (exit status {code})"


@dataclass
class Report:
    """What `reproduce` did: the rows, every run (in row order, then seed order), the seeds,
    and how it ran."""

    suite: Suite
    rows: tuple
    runs: list
    seeds: list
    quick: bool
    epochs: dict  # row id -> epochs run (a baseline: None)
    jobs: int
    wall_seconds: float
    load_average: tuple
    started: str
    command: str = ""
    incomplete: bool = False  # a worker died: some runs are missing (WorkerDied)

    def runs_of(self, row):
        return [run for run in self.runs if run.row == row.id]


def tasks_for(rows, seeds, quick):
    """Every row x seed (a baseline once), the longest expected first: the pool hands tasks out
    in this order, so the short runs fill the gaps at the end and both cores stay busy."""
    tasks = []
    for row in rows:
        if isinstance(row, BaselineRow):
            tasks.append(Task(row, None, None, quick_train(row) if quick else row.train))
        else:
            tasks += [Task(row, seed, quick_epochs(row) if quick else row.epochs)
                      for seed in seeds]
    return sorted(tasks, key=_expected_seconds, reverse=True)


def _expected_seconds(task):
    if isinstance(task.row, BaselineRow):
        return task.row.expected_seconds(task.train)
    return task.row.expected_seconds(task.epochs)


def quick_epochs(row):
    return max(1, row.epochs // QUICK_EPOCH_DIVISOR)


def quick_train(row):
    """The images a baseline trains on in a --quick run."""
    return max(1, row.train // QUICK_EPOCH_DIVISOR)


def reproduce(suite, seeds=DEFAULT_SEEDS, only=None, quick=False, jobs=None, data_path=None,
              splits=None, progress=None):
    """Run the rows of ``suite`` ("seed" or "book"; ``only`` = one row's id) for seeds
    0 .. seeds-1 and return a Report.

    jobs : worker processes (default: `default_jobs()`); 1 runs everything in this process.
    data_path : where the workers load the data from (None: $FASTNET_DATA or the bundled set);
    splits : the same data already loaded (uint8), used to check it and when jobs == 1.
    progress : a file to print a line per finished run to (and a progress bar, if a terminal).
    """
    suite = SUITES[suite]
    rows = select_rows(suite, only)
    seeds = list(range(positive(seeds, "--seeds")))
    jobs = positive(default_jobs() if jobs is None else jobs, "--jobs")
    if splits is None:
        splits = load_mnist(data_path, np.uint8)
    check_data(rows, splits)
    tasks = tasks_for(rows, seeds, quick)
    jobs = min(jobs, len(tasks))
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    load_average = os.getloadavg()
    if progress is not None:
        once = sum(isinstance(row, BaselineRow) for row in rows)
        print(f"reproduce {suite.name}: {plural(len(rows) - once, 'row')} x "
              f"{plural(len(seeds), 'seed')}"
              + (f" + {plural(once, 'baseline')} once" if once else "")
              + f" = {plural(len(tasks), 'run')}, "
              f"{plural(jobs, 'worker process', 'es')} with 1 BLAS thread each, float64",
              file=progress)
        if quick:
            print(f"--quick: 1/{QUICK_EPOCH_DIVISOR} of the epochs; a smoke run, not comparable "
                  f"with the {suite.source}", file=progress)
    start = time.perf_counter()
    runs = []
    died = None
    with tqdm(total=len(tasks), unit="run", file=progress or sys.stderr,
              disable=progress is None or not progress.isatty()) as bar:
        try:
            for run in _execute(tasks, jobs, data_path, splits):
                runs.append(run)
                if progress is not None:
                    bar.write(_progress_line(suite, run), file=progress)
                bar.update()
        except WorkerDied as e:
            died = e
    wall = time.perf_counter() - start
    order = {row.id: k for k, row in enumerate(rows)}
    runs.sort(key=lambda run: (order[run.row], run.seed or 0))
    epochs = {task.row.id: task.epochs for task in tasks}
    report = Report(suite, rows, runs, seeds, quick, epochs, jobs, wall, load_average, started)
    if died is not None:
        finished = tuple(row for row in rows if report.runs_of(row))
        raise WorkerDied(f"{died}: {plural(len(runs), 'run')} of {len(tasks)} finished",
                         replace(report, rows=finished, incomplete=True))
    return report


def default_jobs():
    """Worker processes by default: one per core this process may use, as many as the memory
    available holds (`jobs_limit`)."""
    return jobs_limit()[0]


def jobs_limit():
    """(the most worker processes this machine can run, why): one per core this process may
    use, and no more than the memory available holds (WORKER_BYTES each); at least 1."""
    cores = resources.cores()
    memory = resources.available_memory()
    if memory is not None and memory // WORKER_BYTES < cores:
        return (max(1, memory // WORKER_BYTES),
                f"as each worker holds about {WORKER_BYTES // 2**20} MB and "
                f"{memory / 2**20:,.0f} MB are available")
    return cores, "the number of cores this process may use"


def positive(value, option):
    """``value`` as an int, or an ExperimentError naming ``option``, unless it is >= 1."""
    try:
        return check_count(value, option)
    except ValueError as e:
        raise ExperimentError(e) from None


def _row(suite, row_id):
    return next(row for row in suite.rows if row.id == row_id)


def _progress_line(suite, run):
    row = _row(suite, run.row)
    if isinstance(row, BaselineRow):
        if run.skipped:
            return f"{row.id:18s} not run: {run.skipped}"
        return (f"{row.id:18s} {'once':7s}: {row.headline.statistic} {run.percent[0]:.2f}% "
                f"({run.accuracy[0]} / {run.n_eval}, trained on {run.train:,} images)  "
                f"{run.seconds:7.1f} s")
    if run.speeds is not None:
        return f"{row.id:18s} seed {run.seed}: {progress_figures(run.speeds)}  " \
               f"{run.seconds:7.1f} s"
    accuracy = run.percent
    figures = [] if row.quotes else [f"last {accuracy[-1]:.2f}%"]
    for quote in row.quotes:
        epoch = quote.epoch_in(accuracy)
        figures.append(f"{quote.statistic} {accuracy[epoch]:.2f}%"
                       + (f" (epoch {epoch})" if epoch != quote.epoch else ""))
    return f"{row.id:18s} seed {run.seed}: {', '.join(figures):40s} {run.seconds:7.1f} s"
