"""The vectorized engine against the per-example reference, on real MNIST images.

Both start from the same parameters (same seed, same draws) and see the same mini-batches
(same Generator, same permutation), so after a full epoch their weights must agree to
`CROSSCHECK_ATOL`: only the order of the additions inside a mini-batch differs.  The engine
is checked on one thread and with the neurons shared out among several (`fastnet.parallel`).

At batch size 1 the book's eta is too large for such a check: single-example steps at eta 3.0
amplify a one-ulp difference to O(1) within an epoch, so those cases run at eta 0.1.
"""

import numpy as np
import pytest

import fastnet
from fastnet import reference
from fastnet.tolerances import CROSSCHECK_ATOL

N_TRAIN = 1000
N_EVAL = 1000

SHAPES = {"one-hidden": [784, 30, 10], "wide": [784, 100, 10], "two-hidden": [784, 30, 20, 10]}
BATCHES = [(1, "small"), (7, "book"), (10, "book"), (100, "book")]


@pytest.fixture(scope="module")
def slices(mnist):
    (X, y), _, (Xt, yt) = mnist
    return (X[:, :N_TRAIN], y[:N_TRAIN]), (Xt[:, :N_EVAL], yt[:N_EVAL])


def _max_difference(net, ref):
    return max(float(np.max(np.abs(a - b)))
               for a, b in zip(net.weights + net.biases, ref.weights + ref.biases))


def _pair(kind, sizes, seed=7, cost=None):
    """A fastnet network and the reference network it must reproduce, from one seed."""
    if kind == "Network":
        return (fastnet.Network(sizes, cost="quadratic", init="large", seed=seed),
                reference.Network(sizes, np.random.default_rng(seed)))
    cost = cost or "cross-entropy"
    return (fastnet.Network(sizes, cost=cost, init="default", seed=seed),
            reference.Network2(sizes, np.random.default_rng(seed), cost=cost))


# One thread, and shares of the neurons on 2 and 3 threads (3: shares of unequal sizes, and
# more threads than this CI machine has cores).
THREADS = [1, 2, 3]


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("batch,eta_kind", BATCHES)
@pytest.mark.parametrize("kind", ["Network", "Network2"])
def test_one_epoch_matches_reference(slices, kind, shape, batch, eta_kind, threads):
    train, evaluation = slices
    net, ref = _pair(kind, SHAPES[shape])
    assert _max_difference(net, ref) == 0.0  # the same initial draws
    start = [p.copy() for p in ref.weights + ref.biases]
    book_eta = 3.0 if kind == "Network" else 0.5
    eta = book_eta if eta_kind == "book" else 0.1
    if kind == "Network":
        net.SGD(train, 1, batch, eta, threads=threads)
        ref.SGD(train, 1, batch, eta)
    else:
        net.SGD(train, 1, batch, eta, lmbda=5.0, threads=threads)
        ref.SGD(train, 1, batch, eta, lmbda=5.0)
    assert _max_difference(net, ref) <= CROSSCHECK_ATOL
    # training moved the parameters far more than the tolerance, so agreeing is not trivial
    moved = max(float(np.max(np.abs(p - q))) for p, q in zip(ref.weights + ref.biases, start))
    assert moved > 1e6 * CROSSCHECK_ATOL
    assert net.accuracy(*evaluation) == ref.accuracy(evaluation)


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "log-likelihood"])
def test_network2_costs_and_momentum_match_reference(slices, cost, threads):
    """The chapter-3 extensions (log-likelihood with softmax, momentum) against the oracle."""
    train, evaluation = slices
    net, ref = _pair("Network2", [784, 30, 10], seed=3, cost=cost)
    net.SGD(train, 2, 10, 0.1, lmbda=1.0, mu=0.5, threads=threads)
    ref.SGD(train, 2, 10, 0.1, lmbda=1.0, mu=0.5)
    assert _max_difference(net, ref) <= CROSSCHECK_ATOL
    assert net.accuracy(*evaluation) == ref.accuracy(evaluation)


def test_the_check_notices_a_wrong_step(slices):
    """A learning rate off by one part in a million is far outside the tolerance: the check
    is sharp enough to catch a real error in the update."""
    train, _ = slices
    net, ref = _pair("Network", [784, 30, 10])
    net.SGD(train, 1, 10, 3.0 * (1 + 1e-6))
    ref.SGD(train, 1, 10, 3.0)
    assert _max_difference(net, ref) > 1000 * CROSSCHECK_ATOL


def test_uint8_pixels_train_like_floats(mnist_uint8, slices):
    """Pixels kept as bytes and scaled per mini-batch give the float64 result exactly:
    value/256 is exact in binary floating point."""
    (Xb, yb), _, _ = mnist_uint8
    train, _ = slices
    a = fastnet.Network([784, 30, 10], seed=5)
    b = fastnet.Network([784, 30, 10], seed=5)
    a.SGD(train, 1, 10, 3.0)
    b.SGD((Xb[:, :N_TRAIN], yb[:N_TRAIN]), 1, 10, 3.0)
    for p, q in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(p, q)
