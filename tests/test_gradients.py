"""The batch gradient (`fastnet.gradients`) and `Network.layer_speeds`: against central
differences of the cost, against the reference's per-example backprop, and on bad input."""

import numpy as np
import pytest
from test_network import central_differences

from fastnet import Network, reference
from fastnet.gradients import gradients, layer_speeds
from fastnet.tolerances import CROSSCHECK_ATOL, FLOAT32_ATOL, GRADCHECK_RTOL


def _mean_cost(net, X, Y):
    """C = (1/m) sum_x C_x, without the L2 term: the function `gradients` differentiates."""
    return net.cost.fn(net.feedforward(X), Y) / X.shape[1]


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "log-likelihood"])
def test_gradients_match_central_differences(cost):
    rng = np.random.default_rng(3)
    net = Network([4, 5, 4, 3, 3], cost=cost, init="large", seed=2)
    X = rng.uniform(0, 1, (4, 7))
    labels = rng.integers(0, 3, 7)
    Y = np.eye(3)[:, labels]
    nabla_b, nabla_w = gradients(net, X, Y)
    numeric_b = central_differences(lambda: _mean_cost(net, X, Y), net.biases)
    numeric_w = central_differences(lambda: _mean_cost(net, X, Y), net.weights)
    for ours, numeric in zip(nabla_b + nabla_w, numeric_b + numeric_w):
        scale = np.max(np.abs(numeric))
        assert scale > 1e-4  # a gradient worth checking
        np.testing.assert_allclose(ours, numeric, rtol=0, atol=GRADCHECK_RTOL * scale)
    # layer_speeds is the norm of the hidden layers' bias gradients, from the labels.
    speeds = net.layer_speeds(X, labels)
    assert len(speeds) == 3
    np.testing.assert_allclose(speeds, [np.linalg.norm(g) for g in numeric_b[:-1]],
                               rtol=10 * GRADCHECK_RTOL)
    # Summed instead of averaged: m times as large.
    summed_b, _ = gradients(net, X, Y, average=False)
    np.testing.assert_allclose(summed_b[0], 7 * nabla_b[0], rtol=1e-12)


@pytest.mark.parametrize("sizes", [(784, 30, 30, 10), (784, 30, 30, 30, 30, 10)])
def test_layer_speeds_match_the_references_per_example_backprop(mnist_uint8, sizes):
    (X, y), _, _ = mnist_uint8
    X, y = X[:, :300], y[:300]
    net = Network(sizes, cost="cross-entropy", init="default", seed=5)
    oracle = reference.Network2(sizes, np.random.default_rng(5), "cross-entropy", "default")
    for ours, theirs in zip(net.weights + net.biases, oracle.weights + oracle.biases):
        np.testing.assert_array_equal(ours, theirs)  # the same network to start from
    # The book's generate_gradient.py: the per-example nabla_b, summed, over the count.
    X_float = X / 256.0
    nabla_b, nabla_w = oracle.summed_gradients(X_float, y, range(X.shape[1]))
    expected = [np.linalg.norm(nb / X.shape[1]) for nb in nabla_b[:-1]]
    speeds = net.layer_speeds(X, y)
    np.testing.assert_allclose(speeds, expected, rtol=0, atol=CROSSCHECK_ATOL)
    assert speeds[0] < speeds[-1]  # the vanishing gradient, at the start of training
    # And the whole batch gradient, weights included, from float pixels as from bytes.
    ours_b, ours_w = gradients(net, X_float, np.eye(10)[:, y], average=False)
    for ours, theirs in zip(ours_b + ours_w, nabla_b + nabla_w):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=CROSSCHECK_ATOL)


def test_large_batches_are_taken_in_chunks_with_the_same_result(mnist_uint8):
    (X, y), _, _ = mnist_uint8
    X, y = X[:, :2500], y[:2500]  # several chunks of EVAL_CHUNK columns, the last one short
    net = Network([784, 20, 20, 10], cost="cross-entropy", init="default", seed=0)
    parts = [gradients(net, X[:, k:k + 500], np.eye(10)[:, y[k:k + 500]], average=False)[0]
             for k in range(0, 2500, 500)]
    whole = gradients(net, X, np.eye(10)[:, y], average=False)[0]
    for layer, nb in enumerate(whole):
        np.testing.assert_allclose(nb, sum(p[layer] for p in parts), rtol=1e-12, atol=1e-12)


def test_float32_speeds_are_close_to_float64(mnist_uint8):
    (X, y), _, _ = mnist_uint8
    speeds = [Network([784, 30, 30, 10], cost="cross-entropy", init="default", dtype=dtype,
                      seed=1).layer_speeds(X[:, :200], y[:200]) for dtype in ("float64",
                                                                                 "float32")]
    np.testing.assert_allclose(speeds[1], speeds[0], rtol=0, atol=FLOAT32_ATOL)


def test_a_network_without_a_hidden_layer_has_no_layer_speeds():
    net = Network([4, 3], cost="cross-entropy", seed=0)
    assert net.layer_speeds(np.zeros((4, 2)), np.array([0, 2])) == []


@pytest.mark.parametrize("call, message", [
    (lambda net: net.layer_speeds(np.zeros((3, 2)), np.array([0, 1])), "shape"),
    (lambda net: net.layer_speeds(np.zeros((4, 2)), np.array([0, 3])), "labels"),
    (lambda net: net.layer_speeds(np.zeros((4, 2)), np.array([0.0, 1.0])), "integer"),
    (lambda net: net.layer_speeds(np.zeros((4, 0)), np.zeros(0, np.int64)), "at least one"),
    (lambda net: gradients(net, np.zeros((4, 2)), np.zeros((3, 3))), "Y must have shape"),
    (lambda net: layer_speeds(net, np.full((4, 1), np.nan), np.array([0])), "inf or nan"),
])
def test_bad_input_is_a_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call(Network([4, 5, 3], seed=0))
