"""The vectorized engine on its own: gradients, a hand-worked step, precision, determinism,
and every kind of bad input."""

import math

import numpy as np
import pytest

import fastnet
from fastnet import DivergenceError, Network
from fastnet.tolerances import FLOAT32_ATOL, GRADCHECK_RTOL


def _params(net):
    return net.weights + net.biases


def _total(net, X, Y):
    """Cost summed over the columns of X, the function whose gradient backprop computes."""
    return net.cost.fn(net.feedforward(X), Y)


def central_differences(f, parameters, h=1e-6):
    """The derivatives of ``f()`` with respect to every entry of the arrays ``parameters``
    (changed in place and restored), by central differences with step h."""
    numeric = []
    for p in parameters:
        g = np.empty_like(p)
        for idx in np.ndindex(p.shape):
            saved = p[idx]
            p[idx] = saved + h
            up = f()
            p[idx] = saved - h
            down = f()
            p[idx] = saved
            g[idx] = (up - down) / (2 * h)
        numeric.append(g)
    return numeric


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "log-likelihood"])
def test_backprop_matches_central_differences(cost):
    rng = np.random.default_rng(0)
    net = Network([4, 5, 3, 3], cost=cost, init="large", seed=1)
    X = rng.uniform(0, 1, (4, 6))
    Y = np.eye(3)[:, rng.integers(0, 3, 6)]
    # One SGD step with eta = m moves each parameter by exactly minus its summed gradient.
    before = [p.copy() for p in _params(net)]
    probe = Network([4, 5, 3, 3], cost=cost, init="large", seed=1)
    probe.update_mini_batch(X, Y, eta=6.0)
    backprop = [b - a for a, b in zip(_params(probe), before)]

    for grad, numeric in zip(backprop, central_differences(lambda: _total(net, X, Y),
                                                           _params(net))):
        scale = np.max(np.abs(numeric))
        assert scale > 1e-3  # a gradient worth checking
        np.testing.assert_allclose(grad, numeric, rtol=0, atol=GRADCHECK_RTOL * scale)


def test_hand_worked_3_2_1_step():
    net = Network([3, 2, 1], cost="quadratic")
    net.weights = [np.zeros((2, 3)), np.array([[1.0, -1.0]])]
    net.biases = [np.zeros((2, 1)), np.zeros((1, 1))]
    x = np.array([[1.0], [0.5], [0.0]])
    y = np.array([[1.0]])
    # Forward: z1 = W1 x + b1 = (0, 0), so a1 = (sigma(0), sigma(0)) = (0.5, 0.5);
    #          z2 = 1*0.5 - 1*0.5 + 0 = 0, so a2 = 0.5.
    # Output delta (quadratic): (a2 - y) * sigma'(z2) = (0.5 - 1) * 0.5 * (1 - 0.5) = -0.125.
    # nabla_b2 = -0.125;  nabla_w2 = delta2 a1^T = (-0.0625, -0.0625).
    # Hidden delta: W2^T delta2 * sigma'(z1) = (1, -1) * -0.125 * 0.25 = (-0.03125, 0.03125).
    # nabla_b1 = (-0.03125, 0.03125);  nabla_w1 = delta1 x^T
    #          = [[-0.03125, -0.015625, 0], [0.03125, 0.015625, 0]].
    # Step with eta = 2, m = 1: p <- p - 2 * nabla_p.
    net.update_mini_batch(x, y, eta=2.0)
    np.testing.assert_array_equal(net.weights[1], [[1.125, -0.875]])
    np.testing.assert_array_equal(net.biases[1], [[0.25]])
    np.testing.assert_array_equal(net.weights[0], [[0.0625, 0.03125, 0.0],
                                                   [-0.0625, -0.03125, 0.0]])
    np.testing.assert_array_equal(net.biases[0], [[0.0625], [-0.0625]])


@pytest.fixture(scope="module")
def small(mnist):
    (X, y), _, (Xt, yt) = mnist
    return (X[:, :500], y[:500]), (Xt[:, :500], yt[:500])


def test_float32_follows_float64(small):
    train, evaluation = small
    nets = {dt: Network([784, 30, 10], cost="cross-entropy", init="default", dtype=dt, seed=4)
            for dt in ("float64", "float32")}
    for net in nets.values():
        net.SGD(train, 1, 10, 0.5, lmbda=1.0)
    assert nets["float32"].weights[0].dtype == np.float32
    for p32, p64 in zip(_params(nets["float32"]), _params(nets["float64"])):
        np.testing.assert_allclose(p32, p64, rtol=0, atol=FLOAT32_ATOL)
    acc = [net.accuracy(*evaluation) for net in nets.values()]
    assert abs(acc[0] - acc[1]) <= 2


def test_same_seed_same_run(small):
    train, evaluation = small
    runs = []
    for _ in range(2):
        net = Network([784, 20, 10], seed=11)
        history = net.SGD(train, 2, 10, 3.0, evaluation_data=evaluation)
        runs.append((net, history.evaluation_accuracy))
    (a, ha), (b, hb) = runs
    assert ha == hb
    for p, q in zip(_params(a), _params(b)):
        np.testing.assert_array_equal(p, q)
    other = Network([784, 20, 10], seed=12)
    assert not np.array_equal(other.weights[0], a.weights[0])


def test_generator_is_used_not_global_state(small):
    train, _ = small
    np.random.seed(0)
    a = Network([784, 10, 10], seed=np.random.default_rng(5))
    a.SGD(train, 1, 50, 1.0)
    np.random.seed(1)
    b = Network([784, 10, 10], seed=5)
    b.SGD(train, 1, 50, 1.0)
    np.testing.assert_array_equal(a.weights[0], b.weights[0])


def test_sgd_history_and_monitoring(small):
    train, evaluation = small
    net = Network([784, 30, 10], cost="cross-entropy", init="default", seed=2)
    history = net.SGD(train, 3, 10, 0.5, lmbda=0.5, evaluation_data=evaluation,
                      monitor_evaluation_cost=True, monitor_training_cost=True,
                      monitor_training_accuracy=True)
    ec, ea, tc, ta, seconds = history
    assert len(ec) == len(ea) == len(tc) == len(ta) == len(seconds) == 3
    assert history.eta == [0.5] * 3 and history.stopped == "completed"
    assert ea[-1] == net.accuracy(*evaluation) and ta[-1] == net.accuracy(*train)
    assert tc[-1] == pytest.approx(net.total_cost(*train, lmbda=0.5))
    assert tc[-1] < tc[0] and ta[-1] > ta[0] > 100
    assert all(s > 0 for s in seconds)


def test_partial_last_batch_is_trained(small):
    (X, y), _ = small
    # 7 examples at batch size 5: one full batch and one of 2.  Reversing the order of the
    # last two examples must change the result, so they were used.
    net = Network([784, 10, 10], seed=0)
    net.SGD((X[:, :7], y[:7]), 1, 5, 3.0)
    untouched = Network([784, 10, 10], seed=0)
    untouched.SGD((X[:, :5], y[:5]), 1, 5, 3.0)
    assert not np.array_equal(net.weights[0], untouched.weights[0])


def test_total_cost_includes_l2_as_the_book_defines_it(small):
    train, _ = small
    net = Network([784, 30, 10], cost="cross-entropy", init="default", seed=2)
    l2 = sum(float(np.sum(w ** 2)) for w in net.weights)
    n = train[0].shape[1]
    assert net.total_cost(*train, lmbda=2.0) == pytest.approx(
        net.total_cost(*train) + 0.5 * (2.0 / n) * l2)


def test_uint8_inputs_are_scaled(mnist_uint8, mnist):
    (Xb, _), _, _ = mnist_uint8
    (X, _), _, _ = mnist
    net = Network([784, 30, 10], seed=0)
    np.testing.assert_array_equal(net.feedforward(Xb[:, :50]), net.feedforward(X[:, :50]))


def test_parameters_are_assignable_and_checked():
    net = Network([3, 2, 1])
    net.weights = [np.zeros((2, 3)), np.array([[2.0, 2.0]])]
    net.biases = [np.zeros((2, 1)), np.array([[-1.0]])]
    # hidden activations sigma(0) = 0.5 each, so the output is sigma(2*0.5 + 2*0.5 - 1)
    np.testing.assert_allclose(net.feedforward(np.ones((3, 1))), [[1 / (1 + math.exp(-1))]])
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(2, 3\)"):
        net.weights = [np.ones((3, 2)), np.ones((1, 2))]
    with pytest.raises(ValueError, match="expected 2 arrays"):
        net.biases = [np.ones((2, 1))]
    with pytest.raises(ValueError, match="inf or nan"):
        net.biases = [np.ones((2, 1)), np.full((1, 1), np.nan)]


# -- bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [[784], [], [784, 0, 10], [784, -3, 10], [784, 30.5, 10],
                                   [784, True, 10], "784,30,10", None, 30])
def test_bad_sizes(sizes):
    with pytest.raises(ValueError, match="sizes|layer"):
        Network(sizes)


@pytest.mark.parametrize("kwargs,match", [
    ({"cost": "hinge"}, "unknown cost"),
    ({"cost": ["quadratic"]}, "unknown cost"),
    ({"init": "xavier"}, "init must be"),
    ({"dtype": "float16"}, "dtype must be"),
    ({"dtype": "nonsense"}, "dtype must be"),
    ({"seed": -1}, "seed"),
    ({"seed": "abc"}, "seed"),
])
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Network([4, 3, 2], **kwargs)


@pytest.fixture
def tiny():
    rng = np.random.default_rng(0)
    return Network([4, 3, 2], seed=0), rng.uniform(0, 1, (4, 6)), rng.integers(0, 2, 6)


@pytest.mark.parametrize("X,match", [
    (np.zeros((5, 6)), r"X must have shape \(4, m\)"),
    (np.zeros(4), r"X must have shape \(4, m\)"),
    (np.zeros((4, 6), np.int64), "float64, float32 or uint8"),
    (np.zeros((4, 6), complex), "float64, float32 or uint8"),
    (np.array([["a"] * 6] * 4), "float64, float32 or uint8"),
])
def test_bad_inputs(tiny, X, match):
    net, _, y = tiny
    with pytest.raises(ValueError, match=match):
        net.feedforward(X)
    with pytest.raises(ValueError, match=match):
        net.SGD((X, y), 1, 2, 1.0)
    with pytest.raises(ValueError, match=match):
        net.update_mini_batch(X, np.zeros((2, 6)), 1.0)


def test_bad_targets_and_labels(tiny):
    net, X, y = tiny
    with pytest.raises(ValueError, match=r"Y must have shape \(2, 6\)"):
        net.update_mini_batch(X, np.zeros((2, 5)), 1.0)
    with pytest.raises(ValueError, match="Y must hold real numbers"):
        net.update_mini_batch(X, np.full((2, 6), "x"), 1.0)
    with pytest.raises(ValueError, match="labels must lie in 0..1"):
        net.SGD((X, y + 2), 1, 2, 1.0)
    with pytest.raises(ValueError, match="integer labels"):
        net.SGD((X, y[:5]), 1, 2, 1.0)
    with pytest.raises(ValueError, match="integer labels"):
        net.accuracy(X, y.astype(float))
    with pytest.raises(ValueError, match="pair"):
        net.SGD(X, 1, 2, 1.0)
    with pytest.raises(ValueError, match="inf or nan"):
        net.SGD((np.full((4, 6), np.nan), y), 1, 2, 1.0)


@pytest.mark.parametrize("kwargs,match", [
    ({"eta": 0.0}, "eta must be"), ({"eta": -1.0}, "eta must be"),
    ({"eta": math.nan}, "eta must be"), ({"eta": math.inf}, "eta must be"),
    ({"eta": "3"}, "eta must be"),
    ({"mini_batch_size": 0}, "mini_batch_size"), ({"mini_batch_size": 2.5}, "mini_batch_size"),
    ({"epochs": -1}, "epochs"),
    ({"lmbda": -0.1}, "lmbda"), ({"lmbda": math.nan}, "lmbda"),
    ({"mu": 1.0}, "mu"), ({"mu": -0.5}, "mu"),
    ({"early_stopping": 0}, "early_stopping"),
    ({"monitor_evaluation_cost": True}, "evaluation_data"),
    ({"early_stopping": 3, "evaluation_data": None}, "evaluation accuracy"),
])
def test_bad_hyperparameters(tiny, kwargs, match):
    net, X, y = tiny
    args = {"epochs": 1, "mini_batch_size": 2, "eta": 1.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        net.SGD((X, y), **args)


def test_update_mini_batch_needs_n_for_l2(tiny):
    net, X, _ = tiny
    with pytest.raises(ValueError, match="n, the size of the training set"):
        net.update_mini_batch(X, np.zeros((2, 6)), 1.0, lmbda=0.1)


def test_update_mini_batch_reuses_only_the_same_arguments(tiny):
    """The checked arguments of the last call are kept for the next (`_step_arguments`): a call
    with other values must take them, and a bad value after a good call is still refused."""
    _, X, _ = tiny
    Y = np.eye(2)[:, np.arange(6) % 2]
    calls = [dict(eta=3.0), dict(eta=3.0), dict(eta=1.0), dict(eta=1.0, mu=0.5),
             dict(eta=0.01, optimizer="adam"), dict(eta=0.01, optimizer="adam", betas=(0.8, 0.9)),
             dict(eta=1.0, lmbda=0.5, n=6), dict(eta=1.0, lmbda=0.5, n=60)]
    kept, fresh = Network([4, 3, 2], seed=0), Network([4, 3, 2], seed=0)
    for kwargs in calls:
        kept.update_mini_batch(X, Y, **kwargs)
        fresh._last_step_arguments = None
        fresh.update_mini_batch(X, Y, **kwargs)
        for p, q in zip(_params(kept), _params(fresh)):
            np.testing.assert_array_equal(p, q)
    before = [p.copy() for p in _params(kept)]
    kept.update_mini_batch(X, Y, 1.0, lmbda=0.5, n=60)
    assert not np.array_equal(_params(kept)[0], before[0])  # the step was taken again
    for bad, match in [(dict(eta=-1.0), "eta must be"), (dict(eta=1.0, lmbda=0.5), "n, the size"),
                       (dict(eta=1.0, lmbda=0.5, n=60, mu=1), "mu must"),
                       (dict(eta=0.01, optimizer="adam", epsilon=0), "epsilon must")]:
        with pytest.raises(ValueError, match=match):
            kept.update_mini_batch(X, Y, **bad)


def test_divergence_is_reported_and_parameters_restored(small):
    train, evaluation = small
    net = Network([784, 30, 10], cost="cross-entropy", seed=0)
    net.SGD(train, 1, 10, 0.5)
    good = [p.copy() for p in _params(net)]
    with pytest.raises(DivergenceError, match="diverged in epoch 0: the weights .* restored to "
                                              "their values before this run") as info:
        net.SGD(train, 3, 10, 1e308, evaluation_data=evaluation)
    assert info.value.history.epochs == 0
    for p, q in zip(_params(net), good):
        np.testing.assert_array_equal(p, q)


def test_an_infinite_cost_is_a_divergence_too(tiny):
    _, X, _ = tiny
    labels = np.zeros(6, np.int64)

    def saturated():
        # Output neuron 0 stuck at exactly 0 while every label is 0: each example's
        # cross-entropy is the largest float (the book's nan_to_num of inf); their sum is inf.
        net = Network([4, 3, 2], cost="cross-entropy", seed=0)
        net.biases = [net.biases[0], np.array([[-1e4], [1e4]])]
        return net

    trained = saturated()
    trained.SGD((X, labels), 1, 2, 1e-3)
    net = saturated()
    before = [p.copy() for p in _params(net)]
    assert not np.array_equal(trained.weights[0], before[0])  # an epoch does move the weights
    with pytest.raises(DivergenceError, match="epoch 0: the cost is no longer finite.*"
                                              "before this run") as info:
        net.SGD((X, labels), 2, 2, 1e-3, monitor_training_cost=True)
    assert info.value.history.epochs == 0 and info.value.history.training_cost == []
    for p, q in zip(_params(net), before):
        np.testing.assert_array_equal(p, q)


def test_on_batch_can_stop_a_run(small):
    train, evaluation = small
    net = Network([784, 10, 10], seed=0)
    calls = []
    history = net.SGD(train, 5, 10, 3.0, evaluation_data=evaluation,
                      on_batch=lambda: calls.append(1) or len(calls) == 70)
    # 50 mini-batches per epoch: the run stops in the middle of the second epoch.
    assert len(calls) == 70
    assert history.stopped == "interrupted" and history.epochs == 1


def test_early_stopping_ends_a_run_without_progress(small):
    train, evaluation = small
    net = Network([784, 10, 10], seed=0)
    # A learning rate this small cannot change the accuracy on 500 images: no improvement.
    history = net.SGD(train, 20, 10, 1e-12, evaluation_data=evaluation, early_stopping=3)
    assert history.stopped == "early stopping" and history.epochs == 4


def test_schedule_halves_eta_and_stops(small):
    train, evaluation = small
    net = Network([784, 10, 10], seed=0)
    history = net.SGD(train, 100, 10, 1e-12, evaluation_data=evaluation, early_stopping=1,
                      schedule=True)
    # Every epoch after the first fires the rule and halves eta; the eighth halving takes it
    # below eta0/128 and ends the run, after 9 epochs.
    assert history.eta == [1e-12] + [1e-12 / 2 ** k for k in range(8)]
    assert history.stopped == "schedule"


def test_public_names():
    assert fastnet.Network is Network
    assert set(fastnet.COSTS) == {"quadratic", "cross-entropy", "log-likelihood"}
