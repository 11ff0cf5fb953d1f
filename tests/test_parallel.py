"""Training on several threads (`fastnet.parallel`): how many, what the result depends on,
and what happens when a thread fails.  Its agreement with the reference is checked with the
one-thread engine's, in test_crosscheck.py."""

import threading

import numpy as np
import pytest

import fastnet
from fastnet import parallel, reference
from fastnet.tolerances import CROSSCHECK_ATOL

N_TRAIN = 500


@pytest.fixture(scope="module")
def train(mnist_uint8):
    (X, y), _, _ = mnist_uint8
    return X[:, :N_TRAIN], y[:N_TRAIN]


def _parameters(net):
    return net.weights + net.biases


def _trained(train, threads, sizes=(784, 30, 10), **kwargs):
    net = fastnet.Network(list(sizes), seed=21, **kwargs)
    net.SGD(train, 2, 10, 3.0, threads=threads)
    return net


def test_same_threads_same_result(train):
    """The threads meet at barriers, so how they are scheduled cannot change the result."""
    for threads in (2, 3):
        a, b = _trained(train, threads), _trained(train, threads)
        for p, q in zip(_parameters(a), _parameters(b)):
            np.testing.assert_array_equal(p, q)


def test_threads_change_only_the_last_bits(train):
    """Two threads hand BLAS other blocks than one, which may move the last bits of some
    sums, and nothing more: after a few mini-batches the two runs agree to rounding."""
    X, y = train
    few = (X[:, :40], y[:40])
    one, two = _trained(few, 1), _trained(few, 2)
    for p, q in zip(_parameters(one), _parameters(two)):
        np.testing.assert_allclose(p, q, rtol=0, atol=CROSSCHECK_ATOL)


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("kind", ["Network", "Network2"])
def test_large_mini_batches_in_chunks_match_reference(mnist, kind, threads):
    """A mini-batch whose inputs outgrow the cache is done in chunks (500 examples of
    float64: 10 chunks of 50), the first layer's update summed chunk by chunk: the result is
    still the reference's, with momentum, L2 and a deeper network too."""
    (X, y), _, _ = mnist
    train = (X[:, :1000], y[:1000])
    assert parallel.chunks_of(500, 784, 8) == 10
    sizes = [784, 30, 20, 10] if kind == "Network2" else [784, 30, 10]
    if kind == "Network":
        net = fastnet.Network(sizes, seed=4)
        ref = reference.Network(sizes, np.random.default_rng(4))
        net.SGD(train, 2, 500, 3.0, threads=threads)
        ref.SGD(train, 2, 500, 3.0)
    else:
        net = fastnet.Network(sizes, cost="log-likelihood", init="default", seed=4)
        ref = reference.Network2(sizes, np.random.default_rng(4), cost="log-likelihood")
        net.SGD(train, 2, 500, 0.5, lmbda=5.0, mu=0.5, threads=threads)
        ref.SGD(train, 2, 500, 0.5, lmbda=5.0, mu=0.5)
    for p, q in zip(_parameters(net), ref.weights + ref.biases):
        np.testing.assert_allclose(p, q, rtol=0, atol=CROSSCHECK_ATOL)


def test_more_threads_than_neurons(train):
    """Threads whose share of a layer is empty still take part in every barrier."""
    few = _trained(train, 1, sizes=(784, 3, 2, 10))
    many = _trained(train, 5, sizes=(784, 3, 2, 10))
    for p, q in zip(_parameters(few), _parameters(many)):
        np.testing.assert_allclose(p, q, rtol=0, atol=CROSSCHECK_ATOL)


def test_helpers_only_when_asked_for_and_useful(train, monkeypatch):
    """One thread by default; a network without a hidden layer trains on one thread even
    when asked for more (every thread would compute its only layer in full)."""
    calls = []
    real = parallel.train_batches

    def spy(X, targets, weights, index, scale, shared, parts, step, on_batch=None):
        calls.append(len(parts))
        return real(X, targets, weights, index, scale, shared, parts, step, on_batch)

    monkeypatch.setattr(parallel, "train_batches", spy)
    fastnet.Network([784, 30, 10], seed=0).SGD(train, 1, 100, 3.0)
    fastnet.Network([784, 10], seed=0).SGD(train, 1, 100, 3.0, threads=2)
    fastnet.Network([784, 30, 10], seed=0).SGD(train, 1, 100, 3.0, threads=2)
    assert calls == [2]


@pytest.mark.parametrize("threads", [1, 2])
def test_on_batch_sees_every_mini_batch_and_can_stop(train, threads):
    """With on_batch, thread 0 returns to Python after each mini-batch and the others wait
    for it: the same arithmetic as without, and a stop leaves the parameters as they were
    after that mini-batch, whatever the helpers had started of the next one."""
    X, y = train
    plain = fastnet.Network([784, 30, 10], seed=8)
    plain.SGD(train, 1, 10, 3.0, threads=threads)
    watched = fastnet.Network([784, 30, 10], seed=8)
    calls = []
    watched.SGD(train, 1, 10, 3.0, threads=threads, on_batch=lambda: calls.append(1))
    assert len(calls) == N_TRAIN // 10
    for p, q in zip(_parameters(plain), _parameters(watched)):
        np.testing.assert_array_equal(p, q)

    stopped = fastnet.Network([784, 30, 10], seed=8)
    calls = []
    history = stopped.SGD(train, 1, 10, 3.0, threads=threads,
                          on_batch=lambda: calls.append(1) or len(calls) == 7)
    assert history.stopped == "interrupted" and len(calls) == 7
    expected = fastnet.Network([784, 30, 10], seed=8)
    perm = expected.rng.permutation(N_TRAIN)  # the draw SGD makes for its first epoch
    for k in range(0, 70, 10):
        index = perm[k:k + 10]
        expected.update_mini_batch(X[:, index], fastnet.one_hot(y[index], 10), 3.0)
    for p, q in zip(_parameters(expected), _parameters(stopped)):
        np.testing.assert_allclose(p, q, rtol=0, atol=CROSSCHECK_ATOL)


@pytest.mark.parametrize("threads", [0, -1, 1.5, True, "2"])
def test_bad_thread_counts(train, threads):
    net = fastnet.Network([784, 30, 10], seed=0)
    with pytest.raises(ValueError, match="threads must be an integer >= 1"):
        net.SGD(train, 1, 10, 3.0, threads=threads)


def _in_background(function, timeout=60):
    """Run `function` on a thread of its own; its result, or the exception it raised.  A
    broken barrier would wait forever: the test then fails instead of hanging."""
    outcome = []

    def run():
        try:
            outcome.append(function())
        except Exception as e:
            outcome.append(e)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(timeout)
    assert not runner.is_alive(), "still waiting after 60 s"
    return outcome[0]


def test_abort_flag_releases_a_waiting_thread():
    """A barrier whose partner will never come returns -1 once the flag is up, not never."""
    sync = parallel._sync_array(2)
    sync[parallel._ABORT] = 1
    assert _in_background(lambda: parallel._barrier(sync, 0, 2)) == -1
    sync[parallel._ABORT] = 0
    assert parallel._barrier(sync, 0, 1) == 1  # alone, a barrier is passed at once


def test_a_failing_thread_stops_the_others(train, monkeypatch):
    """When one thread fails, the others stop at their next barrier instead of waiting for
    it forever, and the error reaches the caller.  Here thread 1 fails before its first
    barrier, so thread 0 stops before it has updated anything."""
    net = fastnet.Network([784, 30, 10], seed=0)
    real = parallel._train_part

    def fail_in_thread_1(part, *args):
        if part == 1:
            raise RuntimeError("thread 1 failed")
        return real(part, *args)

    monkeypatch.setattr(parallel, "_train_part", fail_in_thread_1)
    before = [p.copy() for p in _parameters(net)]
    error = _in_background(lambda: net.SGD(train, 1, 10, 3.0, threads=2))
    assert isinstance(error, RuntimeError) and str(error) == "thread 1 failed"
    for p, q in zip(before, _parameters(net)):
        np.testing.assert_array_equal(p, q)
