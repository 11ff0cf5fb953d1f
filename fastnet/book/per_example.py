"""The book's own algorithms, per example, for a network whose class changes what the
compiled engine would otherwise do in its place.

The book's exercises ask readers to subclass ``Network`` and override a method: a new
``cost_derivative``, a ``backprop`` with another neuron, an ``update_mini_batch`` with
momentum, a ``feedforward`` that records its activations, a cost class of their own.  The
engine never calls those methods: a run on it would ignore the override and give the wrong
result without a word.  So `fastnet.book` looks, at each call, for the methods the engine
replaces (`replaced_by`); when the class overrides one, the call runs here instead, exactly as
the book's code does (its loops, its shuffles, its printed lines), calling the user's
methods, and says so once on stderr.  Slow, as the book's code is.

Data are the book's lists of ``(x (784, 1), y)`` pairs.  One departure stays: a run whose
weights stop being finite raises `fastnet.DivergenceError`, as on the engine.
"""

import random
import sys

import numpy as np

from ..reference import vectorized_result
from ..train import DivergenceError

_told = set()


def overrides(net, base, names):
    """The names in ``names`` whose method ``net`` has from somewhere else than ``base`` (a
    subclass's, or one set on the instance)."""
    found = []
    for name in names:
        mine = getattr(net, name, None)
        theirs = getattr(base, name, None)
        if getattr(mine, "__func__", mine) is not theirs:
            found.append(name)
    return found


def say_once(net, what):
    """One line on stderr, once per class and reason: the run is the book's, per example."""
    key = (type(net), what)
    if key not in _told:
        _told.add(key)
        print(f"fastnet.book: {type(net).__name__} {what}, which the compiled engine would "
              f"not call: training and scoring per example with the book's own algorithm "
              f"(as fast as the book's code)", file=sys.stderr, flush=True)


def update_mini_batch(net, mini_batch, eta, lmbda=0.0, n=1):
    """The book's step: the per-example gradients of ``net.backprop`` summed, then
    ``w <- (1 - eta*lmbda/n) w - (eta/m) sum``, ``b <- b - (eta/m) sum``."""
    nabla_b = [np.zeros(b.shape) for b in net.biases]
    nabla_w = [np.zeros(w.shape) for w in net.weights]
    for x, y in mini_batch:
        delta_nabla_b, delta_nabla_w = net.backprop(x, y)
        nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
        nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
    m = len(mini_batch)
    net.weights = [(1 - eta * (lmbda / n)) * w - (eta / m) * nw
                   for w, nw in zip(net.weights, nabla_w)]
    net.biases = [b - (eta / m) * nb for b, nb in zip(net.biases, nabla_b)]


def evaluate(net, test_data):
    """network.py's ``evaluate``: how many ``(x, label)`` pairs ``net.feedforward`` gets
    right."""
    return sum(int(np.argmax(net.feedforward(x)) == y) for x, y in test_data)


def accuracy(net, data, convert=False):
    """network2.py's ``accuracy``: labels as ints, or one-hot with ``convert``."""
    if convert:
        return sum(int(np.argmax(net.feedforward(x)) == np.argmax(y)) for x, y in data)
    return sum(int(np.argmax(net.feedforward(x)) == y) for x, y in data)


def total_cost(net, data, lmbda, convert=False):
    """network2.py's ``total_cost``, its L2 term added once per example as the book does."""
    cost = 0.0
    for x, y in data:
        a = net.feedforward(x)
        if convert:
            y = vectorized_result(y)
        cost += net.cost.fn(a, y) / len(data)
        cost += 0.5 * (lmbda / len(data)) * sum(np.linalg.norm(w) ** 2 for w in net.weights)
    return cost


def sgd_network(net, training_data, epochs, mini_batch_size, eta, test_data=None):
    """network.py's ``SGD``, calling ``net``'s own methods."""
    training_data = list(training_data)
    n = len(training_data)
    if test_data:
        test_data = list(test_data)
    for j in range(epochs):
        random.shuffle(training_data)
        for k in range(0, n, mini_batch_size):
            net.update_mini_batch(training_data[k:k + mini_batch_size], eta)
        _check_finite(net, j)
        if test_data:
            print("Epoch {} : {} / {}".format(j, net.evaluate(test_data), len(test_data)))
        else:
            print("Epoch {} complete".format(j))


def sgd_network2(net, training_data, epochs, mini_batch_size, eta, lmbda=0.0,
                 evaluation_data=None, monitor_evaluation_cost=False,
                 monitor_evaluation_accuracy=False, monitor_training_cost=False,
                 monitor_training_accuracy=False, early_stopping_n=0):
    """network2.py's ``SGD`` (with ``early_stopping_n``), calling ``net``'s own methods;
    returns its four lists."""
    training_data = list(training_data)
    n = len(training_data)
    if evaluation_data:
        evaluation_data = list(evaluation_data)
    best_accuracy, no_accuracy_change = 0, 0
    evaluation_cost, evaluation_accuracy = [], []
    training_cost, training_accuracy = [], []
    for j in range(epochs):
        random.shuffle(training_data)
        for k in range(0, n, mini_batch_size):
            net.update_mini_batch(training_data[k:k + mini_batch_size], eta, lmbda, n)
        _check_finite(net, j)
        print("Epoch %s training complete" % j)
        if monitor_training_cost:
            cost = net.total_cost(training_data, lmbda)
            training_cost.append(cost)
            print("Cost on training data: {}".format(cost))
        if monitor_training_accuracy:
            accuracy_ = net.accuracy(training_data, convert=True)
            training_accuracy.append(accuracy_)
            print("Accuracy on training data: {} / {}".format(accuracy_, n))
        if monitor_evaluation_cost:
            cost = net.total_cost(evaluation_data, lmbda, convert=True)
            evaluation_cost.append(cost)
            print("Cost on evaluation data: {}".format(cost))
        if monitor_evaluation_accuracy:
            accuracy_ = net.accuracy(evaluation_data)
            evaluation_accuracy.append(accuracy_)
            print("Accuracy on evaluation data: {} / {}".format(accuracy_,
                                                                len(evaluation_data)))
        if early_stopping_n > 0:
            if accuracy_ > best_accuracy:
                best_accuracy, no_accuracy_change = accuracy_, 0
            else:
                no_accuracy_change += 1
            if no_accuracy_change == early_stopping_n:
                break
    return evaluation_cost, evaluation_accuracy, training_cost, training_accuracy


def _check_finite(net, epoch):
    if not all(np.all(np.isfinite(p)) for p in list(net.weights) + list(net.biases)):
        raise DivergenceError(f"training diverged in epoch {epoch}: the weights are no longer "
                              f"finite (eta is probably too large)", None)
