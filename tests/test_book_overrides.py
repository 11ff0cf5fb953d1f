"""A learner's subclass of the book's Network: each method the compiled engine would do the
work of, overridden, makes `fastnet.book` run the book's own per-example algorithm and call
it, as the book's code does, checked against the book's code (`book_port`) with the same
override; said once on stderr."""

import random

import numpy as np
import pytest

import book_port
from fastnet.book import mnist_loader, network, network2
from fastnet.tolerances import CROSSCHECK_ATOL


@pytest.fixture(scope="module")
def data():
    train, validation, _ = (list(split) for split in mnist_loader.load_data_wrapper())
    return train[:200], validation[:100]


def seed(s):
    random.seed(s)
    np.random.seed(s)


def same(ours, theirs):
    for a, b in zip(ours.weights + ours.biases, theirs.weights + theirs.biases):
        np.testing.assert_allclose(a, b, rtol=0, atol=CROSSCHECK_ATOL)


def _run(ours_class, theirs_class, train, validation, capsys, sizes=(784, 12, 10), **sgd):
    seed(3)
    theirs = theirs_class(list(sizes))
    if "evaluation_data" in sgd or "monitor_training_cost" in sgd:
        their_result = theirs.SGD(train, 2, 10, 0.5, **sgd)
    else:
        their_result = theirs.SGD(train, 2, 10, 3.0, test_data=validation)
    their_out = capsys.readouterr().out
    seed(3)
    ours = ours_class(list(sizes))
    if "evaluation_data" in sgd or "monitor_training_cost" in sgd:
        our_result = ours.SGD(train, 2, 10, 0.5, **sgd)
    else:
        our_result = ours.SGD(train, 2, 10, 3.0, test_data=validation)
    captured = capsys.readouterr()
    same(ours, theirs)
    return ours, captured, their_out, our_result, their_result


# -- network.py ---------------------------------------------------------------------------------

class DoubledCostDerivative(network.Network):
    def cost_derivative(self, output_activations, y):
        return 2 * (output_activations - y)


class BookDoubledCostDerivative(book_port.Network1):
    def output_delta(self, z, a, y):  # the book's backprop: cost_derivative(a, y) * sigma'(z)
        return 2 * (a - y) * book_port.sigmoid_prime(z)


class HalvedBackprop(network.Network):
    def backprop(self, x, y):
        nabla_b, nabla_w = super().backprop(x, y)
        return [0.5 * nb for nb in nabla_b], [0.5 * nw for nw in nabla_w]


class BookHalvedBackprop(book_port.Network1):
    def backprop(self, x, y):
        nabla_b, nabla_w = super().backprop(x, y)
        return [0.5 * nb for nb in nabla_b], [0.5 * nw for nw in nabla_w]


class CountedSteps(network.Network):
    def update_mini_batch(self, mini_batch, eta):
        self.steps = getattr(self, "steps", 0) + 1
        super().update_mini_batch(mini_batch, eta / 2)


class BookCountedSteps(book_port.Network1):
    def update_mini_batch(self, mini_batch, eta, lmbda=0.0, n=1):
        super().update_mini_batch(mini_batch, eta / 2)


class RecordedFeedforward(network.Network):
    def feedforward(self, a):
        self.seen = getattr(self, "seen", 0) + 1
        return super().feedforward(a)


class SecondBestEvaluate(network.Network):
    def evaluate(self, test_data):
        return sum(int(np.argsort(self.feedforward(x)[:, 0])[-2] == y) for x, y in test_data)


class BookSecondBestEvaluate(book_port.Network1):
    def evaluate(self, test_data):
        return sum(int(np.argsort(self.feedforward(x)[:, 0])[-2] == y) for x, y in test_data)


@pytest.mark.parametrize("ours_class,theirs_class,changed", [
    (DoubledCostDerivative, BookDoubledCostDerivative, "cost_derivative"),
    (HalvedBackprop, BookHalvedBackprop, "backprop"),
    (CountedSteps, BookCountedSteps, "update_mini_batch"),
    (RecordedFeedforward, book_port.Network1, "feedforward"),
    (SecondBestEvaluate, BookSecondBestEvaluate, "evaluate"),
])
def test_network_overrides_are_called_as_the_book_calls_them(data, capsys, ours_class,
                                                               theirs_class, changed):
    train, validation = data
    ours, captured, their_out, _, _ = _run(ours_class, theirs_class, train, validation, capsys)
    assert captured.out == their_out  # the epoch lines, the overridden evaluate's counts too
    assert captured.err.count("fastnet.book:") == 1
    assert f"{ours_class.__name__} overrides {changed}" in captured.err
    if ours_class is CountedSteps:
        assert ours.steps == 2 * 20
    if ours_class is RecordedFeedforward:
        assert ours.seen == 2 * len(validation)
    # once per class: a second network of the class trains without a second note
    ours_class([784, 12, 10]).SGD(train[:20], 1, 10, 3.0)
    assert "fastnet.book:" not in capsys.readouterr().err


def test_without_overrides_the_engine_trains_and_says_nothing(data, capsys):
    train, validation = data
    _, captured, their_out, _, _ = _run(network.Network, book_port.Network1, train, validation,
                                        capsys)
    assert captured.out == their_out and captured.err == ""


# -- network2.py --------------------------------------------------------------------------------

class DoubledCost(network2.CrossEntropyCost):
    @staticmethod
    def delta(z, a, y):
        return 2 * (a - y)


class BookDoubledCost(book_port.CrossEntropyCost):
    @staticmethod
    def delta(z, a, y):
        return 2 * (a - y)


class SquaredTotalCost(network2.Network):
    def total_cost(self, data, lmbda, convert=False):
        return super().total_cost(data, lmbda, convert) ** 2


class BookSquaredTotalCost(book_port.Network2):
    def total_cost(self, data, lmbda, convert=False):
        return super().total_cost(data, lmbda, convert) ** 2


MONITORS = dict(lmbda=1.0, monitor_training_cost=True, monitor_training_accuracy=True)


def test_a_cost_class_of_ones_own(data, capsys):
    train, validation = data

    class Ours(network2.Network):
        def __init__(self, sizes):
            super().__init__(sizes, cost=DoubledCost)

    class Theirs(book_port.Network2):
        def __init__(self, sizes):
            super().__init__(sizes, cost=BookDoubledCost)

    _, captured, their_out, ours, theirs = _run(Ours, Theirs, train, validation, capsys,
                                                evaluation_data=validation,
                                                monitor_evaluation_accuracy=True, **MONITORS)
    assert "overrides cost DoubledCost" in captured.err
    assert captured.out.splitlines()[0] == their_out.splitlines()[0]
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-10)
    assert ours[1] == theirs[1] and ours[3] == theirs[3]


def test_network2_total_cost_overridden(data, capsys):
    train, validation = data
    _, captured, _, ours, theirs = _run(SquaredTotalCost, BookSquaredTotalCost, train,
                                        validation, capsys, **MONITORS)
    assert "SquaredTotalCost overrides total_cost" in captured.err
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-10)  # the squared costs
    assert ours[3] == theirs[3]
