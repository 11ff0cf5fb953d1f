"""The engine's tables (activations, penalties, optimizers) against the per-example oracle.

Every combination of an activation, a penalty and an optimizer of the tables trains one epoch
on real MNIST images, on one thread and on two, beside `fastnet.reference.Network2` trained
from the same start on the same mini-batches; the weights must agree to `CROSSCHECK_ATOL`.
The rows come from the tables themselves: an entry added to a table is checked here without
an edit.  Then what the optimizers keep between calls, divergence with optimizer state,
sample weights and target matrices, the penalty per mini-batch, and the bad values each
option refuses.
"""

import itertools

import numpy as np
import pytest
from test_network import central_differences

import fastnet
from fastnet import reference, train
from fastnet.activations import ACTIVATIONS
from fastnet.config import TrainConfig
from fastnet.gradients import gradients
from fastnet.optimizers import OPTIMIZERS
from fastnet.penalties import PENALTIES
from fastnet.tolerances import CROSSCHECK_ATOL, GRADCHECK_RTOL

N_TRAIN = 400
SIZES = [784, 20, 12, 10]

# Hyper-parameters at which each optimizer learns without diverging, whatever the neurons.
SETTINGS = {"sgd": {"eta": 0.1, "mu": 0.0}, "nesterov": {"eta": 0.01, "mu": 0.9},
            "adam": {"eta": 0.002, "mu": 0.0}}
SETTINGS_MOMENTUM = {"eta": 0.05, "mu": 0.8}


@pytest.fixture(scope="module")
def data(mnist):
    (X, y), _, (Xt, yt) = mnist
    return (X[:, :N_TRAIN], y[:N_TRAIN]), (Xt[:, :500], yt[:500])


def _pair(activation, penalty, cost="cross-entropy", seed=4, dtype="float64"):
    net = fastnet.Network(SIZES, cost=cost, init="default", seed=seed, activation=activation,
                          penalty=penalty, dtype=dtype)
    oracle = reference.Network2(SIZES, np.random.default_rng(seed), cost, "default",
                                activation=activation, penalty=penalty)
    return net, oracle


def _max_difference(net, oracle):
    return max(float(np.max(np.abs(a - b)))
               for a, b in zip(net.weights + net.biases, oracle.weights + oracle.biases))


COMBINATIONS = list(itertools.product(ACTIVATIONS, PENALTIES, OPTIMIZERS))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("activation,penalty,optimizer", COMBINATIONS)
def test_every_combination_matches_the_oracle(data, activation, penalty, optimizer, threads):
    train_data, evaluation = data
    net, oracle = _pair(activation, penalty)
    start = [p.copy() for p in oracle.weights + oracle.biases]
    settings = SETTINGS[optimizer]
    net.SGD(train_data, 1, 10, settings["eta"], lmbda=2.0, mu=settings["mu"],
            optimizer=optimizer, threads=threads)
    oracle.SGD(train_data, 1, 10, settings["eta"], lmbda=2.0, mu=settings["mu"],
               optimizer=optimizer)
    assert _max_difference(net, oracle) <= CROSSCHECK_ATOL
    moved = max(float(np.max(np.abs(p - q)))
                for p, q in zip(oracle.weights + oracle.biases, start))
    assert moved > 1e6 * CROSSCHECK_ATOL
    assert net.accuracy(*evaluation) == sum(
        oracle.predict(evaluation[0][:, [i]]) == evaluation[1][i]
        for i in range(evaluation[0].shape[1]))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("penalty", list(PENALTIES))
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_momentum_with_each_activation_and_penalty(data, activation, penalty, threads):
    train_data, _ = data
    net, oracle = _pair(activation, penalty, cost="log-likelihood")
    net.SGD(train_data, 1, 10, lmbda=1.0, threads=threads, **SETTINGS_MOMENTUM)
    oracle.SGD(train_data, 1, 10, lmbda=1.0, **SETTINGS_MOMENTUM)
    assert _max_difference(net, oracle) <= CROSSCHECK_ATOL


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_backprop_matches_central_differences(activation):
    """For each activation, the engine's gradient against central differences of the cost,
    at a point away from ReLU's kink (no weighted input of a hidden layer within 1e-4 of 0,
    far beyond the step)."""
    rng = np.random.default_rng(11)
    net = fastnet.Network([4, 6, 5, 3], cost="cross-entropy", init="default", seed=3,
                          activation=activation)
    X = rng.uniform(0, 1, (4, 5))
    Y = np.eye(3)[:, rng.integers(0, 3, 5)]
    a = X
    for w, b in zip(net.weights[:-1], net.biases[:-1]):
        z = w @ a + b
        assert np.min(np.abs(z)) > 1e-4
        a = ACTIVATIONS[activation].numpy(z)

    def cost():
        return net.cost.fn(net.feedforward(X), Y) / X.shape[1]

    nabla_b, nabla_w = gradients(net, X, Y)
    for ours, numeric in zip(nabla_b + nabla_w, central_differences(cost, net.biases)
                             + central_differences(cost, net.weights)):
        scale = np.max(np.abs(numeric))
        assert scale > 1e-4
        np.testing.assert_allclose(ours, numeric, rtol=0, atol=GRADCHECK_RTOL * scale)


def test_sgd_on_the_gradient_route_is_the_fold_route(data, monkeypatch):
    """Plain SGD folds its step into BLAS; the gradient route, which every other optimizer
    takes, gives the same weights when it is handed SGD (within rounding): the routes are two
    ways to one update."""
    train_data, _ = data
    folded = fastnet.Network(SIZES, cost="cross-entropy", init="default", seed=6)
    folded.SGD(train_data, 1, 10, 0.1, lmbda=2.0, mu=0.5)
    monkeypatch.setitem(OPTIMIZERS, "sgd", OPTIMIZERS["sgd"]._replace(fold=False))
    routed = fastnet.Network(SIZES, cost="cross-entropy", init="default", seed=6)
    routed.SGD(train_data, 1, 10, 0.1, lmbda=2.0, mu=0.5)
    assert routed.state._gradients is not None  # it did take the gradient route
    for p, q in zip(folded.weights + folded.biases, routed.weights + routed.biases):
        np.testing.assert_allclose(p, q, rtol=0, atol=CROSSCHECK_ATOL)


def test_optimizer_state_carries_on_across_calls(data):
    """Two calls of one epoch each are one run of two epochs, for Adam's moments and step
    count as for momentum's velocity (`state.t` counts the steps); a new optimizer starts
    afresh, and so does assigning the weights."""
    train_data, _ = data
    one = fastnet.Network(SIZES, cost="cross-entropy", init="default", seed=7)
    two = fastnet.Network(SIZES, cost="cross-entropy", init="default", seed=7)
    one.SGD(train_data, 2, 10, 0.002, optimizer="adam")
    two.SGD(train_data, 1, 10, 0.002, optimizer="adam")
    assert two.state.t == N_TRAIN // 10
    two.SGD(train_data, 1, 10, 0.002, optimizer="adam")
    assert two.state.t == one.state.t == 2 * N_TRAIN // 10
    for p, q in zip(one.weights + one.biases, two.weights + two.biases):
        np.testing.assert_array_equal(p, q)
    two.SGD(train_data, 1, 10, 0.05, mu=0.9, optimizer="nesterov")
    assert two.state.optimizer == "nesterov" and two.state.t == N_TRAIN // 10
    two.weights = two.weights
    assert two.state.optimizer is None and two.state.t == 0


def test_update_mini_batch_steps_with_each_optimizer(data):
    (X, y), _ = data
    for optimizer, settings in SETTINGS.items():
        net, oracle = _pair("tanh", "l1")
        for k in range(0, 50, 10):
            index = np.arange(k, k + 10)
            net.update_mini_batch(X[:, index], fastnet.one_hot(y[index], 10), settings["eta"],
                                  lmbda=2.0, n=N_TRAIN, mu=settings["mu"], optimizer=optimizer)
            oracle.update_mini_batch(X, y, index, settings["eta"], 2.0, N_TRAIN,
                                     settings["mu"], optimizer)
        assert _max_difference(net, oracle) <= CROSSCHECK_ATOL


@pytest.mark.parametrize("threads", [1, 2])
def test_sample_weights_and_target_matrices_match_the_oracle(data, threads):
    """Per-example weights scale each example's gradient, and a mini-batch's step is divided
    by its weight; a target matrix (soft targets here) trains as its columns say."""
    (X, y), _ = data
    rng = np.random.default_rng(12)
    weights = rng.uniform(0, 2, N_TRAIN)
    weights[:7] = 0.0
    targets = np.where(np.eye(10)[:, y] == 1, 0.9, 0.1 / 9)
    net, oracle = _pair("relu", "l2", cost="log-likelihood")
    net.SGD((X, targets), 1, 10, 0.05, lmbda=1.0, sample_weight=weights, threads=threads)
    oracle.SGD((X, targets), 1, 10, 0.05, lmbda=1.0, sample_weight=weights)
    assert _max_difference(net, oracle) <= CROSSCHECK_ATOL
    # Without the weights, another result: the weights were used.
    plain, _ = _pair("relu", "l2", cost="log-likelihood")
    plain.SGD((X, targets), 1, 10, 0.05, lmbda=1.0, threads=threads)
    assert _max_difference(plain, oracle) > 1e6 * CROSSCHECK_ATOL


def test_the_penalty_per_mini_batch(data):
    """n = 0 divides lmbda by each mini-batch's weight (scikit-learn's alpha), the short last
    mini-batch by its own."""
    (X, y), _ = data
    net, oracle = _pair("sigmoid", "l2")
    train.sgd(net, (X[:, :395], y[:395]), TrainConfig(0.05, 0.01, 0.0, 0.0, "adam"), epochs=1,
              mini_batch_size=10)
    oracle.SGD((X[:, :395], y[:395]), 1, 10, 0.05, lmbda=0.01, optimizer="adam", n=0)
    assert _max_difference(net, oracle) <= CROSSCHECK_ATOL


@pytest.mark.parametrize("optimizer", ["adam", "nesterov"])
def test_divergence_restores_parameters_and_optimizer_state(data, optimizer):
    train_data, _ = data
    net = fastnet.Network(SIZES, cost="cross-entropy", init="default", seed=8,
                          activation="relu")
    net.SGD(train_data, 1, 10, 0.001, mu=0.5, optimizer=optimizer)
    saved = net.state.snapshot()
    with pytest.raises(fastnet.DivergenceError, match="parameters and optimizer state "
                                                      "restored to their values before"):
        net.SGD(train_data, 3, 10, 1e300, mu=0.5, optimizer=optimizer)
    params, name, slots, t = net.state.snapshot()
    assert name == saved[1] == optimizer and t == saved[3] > 0
    for p, q in zip(params + [a for w, b in slots for a in w + b],
                    saved[0] + [a for w, b in saved[2] for a in w + b]):
        np.testing.assert_array_equal(p, q)


# -- bad values --------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,message", [
    ({"activation": "softplus"}, "unknown activation 'softplus'; expected one of sigmoid, "
                                 "tanh, relu, identity"),
    ({"activation": None}, "unknown activation None"),
    ({"penalty": "l3"}, "unknown penalty 'l3'; expected one of l2, l1"),
])
def test_bad_network_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fastnet.Network([4, 3, 2], **kwargs)


@pytest.mark.parametrize("kwargs,message", [
    ({"optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'; expected one of sgd, nesterov, "
                               "adam"),
    ({"optimizer": "nesterov"}, "optimizer 'nesterov' needs momentum: mu > 0"),
    ({"optimizer": "adam", "betas": (0.9, 1.0)}, r"beta2 must lie in \[0, 1\), not 1.0"),
    ({"optimizer": "adam", "betas": (-0.1, 0.999)}, r"beta1 must lie in \[0, 1\)"),
    ({"optimizer": "adam", "betas": 0.9}, "betas must be a pair"),
    ({"optimizer": "adam", "betas": (float("nan"), 0.9)}, "beta1 must be a finite number"),
    ({"optimizer": "adam", "epsilon": 0.0}, "epsilon must be a number > 0, not 0.0"),
    ({"optimizer": "adam", "epsilon": -1e-8}, "epsilon must be a number > 0"),
    ({"sample_weight": np.ones(3)}, "sample_weight must be 20 real numbers"),
    ({"sample_weight": -np.ones(20)}, "sample_weight must be finite and >= 0"),
    ({"sample_weight": np.zeros(20)}, "sample_weight is 0 for every example"),
])
def test_bad_training_options_are_refused_before_any_work(kwargs, message):
    net = fastnet.Network([4, 3, 2], seed=0)
    before = [p.copy() for p in net.weights + net.biases]
    X, y = np.random.default_rng(0).uniform(size=(4, 20)), np.zeros(20, np.int64)
    with pytest.raises(ValueError, match=message):
        net.SGD((X, y), 1, 5, 0.1, **kwargs)
    assert all(np.array_equal(p, q) for p, q in zip(before, net.weights + net.biases))
    assert net.state.t == 0 and net.state.optimizer is None


def test_target_matrices_are_checked():
    net = fastnet.Network([4, 3, 2], seed=0)
    X = np.zeros((4, 5))
    with pytest.raises(ValueError, match=r"a target matrix y must have shape \(2, 5\)"):
        net.SGD((X, np.zeros((3, 5))), 1, 5, 0.1)
    with pytest.raises(ValueError, match="the targets y contain inf or nan"):
        net.SGD((X, np.full((2, 5), np.nan)), 1, 5, 0.1)
    with pytest.raises(ValueError, match="monitoring the training accuracy needs integer"):
        net.SGD((X, np.zeros((2, 5))), 1, 5, 0.1, monitor_training_accuracy=True)
    with pytest.raises(ValueError, match="Y, the targets, contain inf or nan"):
        net.update_mini_batch(X, np.full((2, 5), np.inf), 0.1)


@pytest.mark.parametrize("threads", [1, 2])
def test_the_tallied_loss_is_the_mean_cost_before_each_step(data, threads):
    """`History.loss`: each mini-batch's cost before its step, averaged over the epoch,
    weighted by the sample weights; the same on one thread and on two."""
    (X, y), _ = data
    X, y = X[:, :95], y[:95]
    weights = np.random.default_rng(13).uniform(0.5, 1.5, 95)
    net = fastnet.Network(SIZES, cost="log-likelihood", init="default", seed=9)
    expected = fastnet.Network(SIZES, cost="log-likelihood", init="default", seed=9)
    history = net.SGD((X, y), 2, 10, 0.1, sample_weight=weights, monitor_loss=True,
                      threads=threads)
    assert len(history.loss) == 2
    for epoch in range(2):
        perm = expected.rng.permutation(95)
        total = 0.0
        for k in range(0, 95, 10):
            index = perm[k:k + 10]
            a = expected.feedforward(X[:, index])
            total += float(np.dot(weights[index], -np.log(a[y[index], np.arange(len(index))])))
            expected.SGD((X[:, index], y[index]), 1, len(index), 0.1,
                         sample_weight=weights[index], order=lambda e: np.arange(len(index)))
        np.testing.assert_allclose(history.loss[epoch], total / weights.sum(), rtol=1e-9)
