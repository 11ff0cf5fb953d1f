"""What a notebook user's SGD call costs beside the epoch itself: scoring with another process
busy on a core, and the epoch lines and progress bar of ``verbose``.

Scoring runs on the training's BLAS thread policy (one BLAS thread for a one-thread run): with
another process busy, BLAS's own threads made 5 monitored epochs 4-30x slower (issue 26).  Here
a 3-epoch monitored run is timed with a busy process beside it, as users call it and with one
BLAS thread forced around the call, taking turns; ``extra_info`` has the ratio.  Then one epoch
with ``verbose`` 0, 1 and 2, taking turns: the lines and the bar are drawn by the waiting
thread, so they should cost the epoch nothing measurable (``extra_info``: each one's ratio to
``verbose=0``).
"""

import multiprocessing
import os
import statistics
import time

import pytest
import threadpoolctl

from fastnet import Network

ROUNDS = 5


def _spin(stop):
    while not stop.is_set():
        sum(i * i for i in range(10_000))


@pytest.fixture
def busy_core():
    """Another process keeping a core busy for the length of the benchmark."""
    stop = multiprocessing.Event()
    process = multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
    process.start()
    yield
    stop.set()
    process.join(10)


def _monitored_run(training, evaluation):
    net = Network([784, 30, 10], seed=1)
    history = net.SGD(training, 3, 10, 3.0, evaluation_data=evaluation,
                      monitor_training_cost=True, monitor_evaluation_cost=True, verbose=0)
    assert history.evaluation_accuracy[-1] > 0.8 * evaluation[0].shape[1]
    return history


@pytest.mark.benchmark(group="a monitored 3-epoch run beside a busy process")
def test_scoring_beside_a_busy_process(benchmark, record, data, busy_core):
    X, y = data.train
    training, evaluation = (X[:, :10000], y[:10000]), data.evaluation
    _monitored_run(training, evaluation)  # kernels loaded
    as_called, one_thread = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        # a user's default, BLAS on every core (the suite pins it to one: undone here)
        with threadpoolctl.threadpool_limits(limits=os.cpu_count(), user_api="blas"):
            _monitored_run(training, evaluation)
        as_called.append(time.perf_counter() - start)
        start = time.perf_counter()
        with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
            _monitored_run(training, evaluation)
        one_thread.append(time.perf_counter() - start)
    benchmark.pedantic(_monitored_run, args=(training, evaluation), rounds=1, iterations=1)
    record(as_called_seconds=as_called, one_blas_thread_seconds=one_thread,
           ratio_as_called_to_one_thread=statistics.median(as_called) /
           statistics.median(one_thread))


@pytest.mark.benchmark(group="one epoch: verbose 0, 1, 2")
def test_verbose_costs_the_epoch_nothing(benchmark, record, data, capsys):
    training = data.train
    nets = {v: Network([784, 30, 10], seed=1) for v in (0, 1, 2)}
    for v, net in nets.items():
        net.SGD((training[0][:, :1000], training[1][:1000]), 1, 10, 3.0, verbose=v)
    seconds = {v: [] for v in nets}
    for _ in range(ROUNDS):
        for v, net in nets.items():
            seconds[v].append(net.SGD(training, 1, 10, 3.0, verbose=v).seconds[0])
    capsys.readouterr()
    benchmark.pedantic(nets[0].SGD, args=(training, 1, 10, 3.0), kwargs={"verbose": 0},
                       rounds=1, iterations=1)
    base = min(seconds[0])
    record(epoch_seconds=seconds, ratio_verbose_1=min(seconds[1]) / base,
           ratio_verbose_2=min(seconds[2]) / base)
