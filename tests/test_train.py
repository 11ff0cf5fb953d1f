"""The stopping rules on scripted accuracy sequences."""

import numpy as np

from fastnet import Network, train
from fastnet.config import TrainConfig
from fastnet.train import NoImprovement, StopRule


def _run(rule, accuracies, eta=1.0):
    """Feed the accuracies one epoch at a time; return the etas run at and the stop reason."""
    etas = []
    for accuracy in accuracies:
        etas.append(eta)
        eta, reason = rule.after_epoch(accuracy, eta)
        if reason:
            return etas, reason
    return etas, None


def test_no_improvement_counts_epochs_since_the_best():
    rule = NoImprovement(3)
    fired = [rule.update(a) for a in [10, 12, 12, 11, 12, 13, 13, 13, 13, 13, 13, 13]]
    #                                  best best  1   2   3!  best 1   2   3!  1   2   3!
    assert fired == [False, False, False, False, True, False, False, False, True,
                     False, False, True]


def test_early_stopping_stops_after_n_flat_epochs():
    etas, reason = _run(StopRule(1.0, early_stopping=2), [50, 60, 59, 61, 61, 60, 70])
    assert reason == "early stopping" and len(etas) == 6 and set(etas) == {1.0}


def test_no_rule_never_stops():
    etas, reason = _run(StopRule(1.0), [50] * 30)
    assert reason is None and len(etas) == 30 and not StopRule(1.0).active


def test_schedule_halves_eta_until_below_eta0_over_128():
    etas, reason = _run(StopRule(0.5, early_stopping=1, schedule=True), [90] + [80] * 20, 0.5)
    assert reason == "schedule"
    assert etas == [0.5, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625]


def test_schedule_waits_for_n_flat_epochs_each_time():
    accuracies = [1, 2, 3, 3, 3, 4, 4, 4] + [4] * 40
    etas, reason = _run(StopRule(1.0, early_stopping=2, schedule=True), accuracies)
    # fires after epochs 4 and 7, then every second epoch
    assert etas[:9] == [1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert reason == "schedule" and etas[-1] == 1 / 128


def test_schedule_defaults_to_no_improvement_in_ten():
    etas, _ = _run(StopRule(1.0, schedule=True), [5] * 12)
    assert etas[10] == 1.0 and etas[11] == 0.5


def test_sgd_takes_the_order_of_each_epoch_from_a_hook(mnist):
    """`train.sgd(order=...)` trains on the order it is given: the default's permutations,
    handed in, give the default's weights; another order, other weights, and the network's
    Generator is left alone."""
    (X, y), _, _ = mnist
    X, y = np.asfortranarray(X[:, :300]), y[:300]
    default = Network([784, 10, 10], seed=0)
    default.SGD((X, y), 2, 10, 3.0)
    fresh = Network([784, 10, 10], seed=0)
    drawn = [fresh.rng.permutation(300) for _ in range(2)]
    hooked = Network([784, 10, 10], seed=0)
    state = hooked.rng.bit_generator.state
    history = train.sgd(hooked, (X, y), TrainConfig(3.0), epochs=2, mini_batch_size=10,
                        order=lambda epoch: drawn[epoch])
    assert history.epochs == 2 and hooked.rng.bit_generator.state == state
    for p, q in zip(default.weights + default.biases, hooked.weights + hooked.biases):
        np.testing.assert_array_equal(p, q)
    reversed_ = Network([784, 10, 10], seed=0)
    train.sgd(reversed_, (X, y), TrainConfig(3.0), epochs=2, mini_batch_size=10,
              order=lambda epoch: drawn[epoch][::-1].copy())
    assert not np.array_equal(reversed_.weights[0], default.weights[0])
