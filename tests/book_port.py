"""THE ORACLE for fastnet.book: the book's own Python 3 code, transcribed for the tests.

What the DeepLearningPython port's network.py, network2.py (with early_stopping_n) and
mnist_loader.load_data_wrapper do, step by step and per example, with the global random state,
printing the same lines: slow and plain on purpose.  Tests and benchmarks run it side by side
with fastnet.book under the same seeds.  It must not import fastnet.book.  Written for these
tests from a reading of that code (not copied); keep it faithful to the book, not to fastnet.
"""

import json
import random

import numpy as np


def sigmoid(z):
    with np.errstate(over="ignore"):  # the book's formula; exp(-z) may overflow to inf -> 0
        return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def vectorized_result(j):
    e = np.zeros((10, 1))
    e[j] = 1.0
    return e


def wrap(images, labels, one_hot):
    """load_data_wrapper's format for one split of load_data: a zip of ((784, 1) row views,
    one-hot (10, 1) arrays or the labels as they come)."""
    inputs = [np.reshape(x, (784, 1)) for x in images]
    return zip(inputs, [vectorized_result(y) for y in labels] if one_hot else labels)


class QuadraticCost:
    @staticmethod
    def fn(a, y):
        return 0.5 * np.linalg.norm(a - y) ** 2

    @staticmethod
    def delta(z, a, y):
        return (a - y) * sigmoid_prime(z)


class CrossEntropyCost:
    @staticmethod
    def fn(a, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a)))

    @staticmethod
    def delta(z, a, y):
        return a - y


class Network1:
    """network.py."""

    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(rows, 1) for rows in sizes[1:]]
        self.weights = [np.random.randn(rows, cols) for cols, rows in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):
        training_data = list(training_data)
        if test_data:
            test_data = list(test_data)
        for j in range(epochs):
            random.shuffle(training_data)
            for k in range(0, len(training_data), mini_batch_size):
                self.update_mini_batch(training_data[k:k + mini_batch_size], eta)
            if test_data:
                print("Epoch {} : {} / {}".format(j, self.evaluate(test_data), len(test_data)))
            else:
                print("Epoch {} complete".format(j))

    def update_mini_batch(self, mini_batch, eta, lmbda=0.0, n=1):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            dnb, dnw = self.backprop(x, y)
            nabla_b = [s + d for s, d in zip(nabla_b, dnb)]
            nabla_w = [s + d for s, d in zip(nabla_w, dnw)]
        m = len(mini_batch)
        self.weights = [(1 - eta * (lmbda / n)) * w - (eta / m) * nw
                        for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / m) * nb for b, nb in zip(self.biases, nabla_b)]

    def output_delta(self, z, a, y):
        return (a - y) * sigmoid_prime(z)

    def backprop(self, x, y):
        nabla_b = [None] * len(self.biases)
        nabla_w = [None] * len(self.weights)
        activations, zs = [x], []
        for b, w in zip(self.biases, self.weights):
            zs.append(np.dot(w, activations[-1]) + b)
            activations.append(sigmoid(zs[-1]))
        delta = self.output_delta(zs[-1], activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return nabla_b, nabla_w

    def evaluate(self, test_data):
        return sum(int(np.argmax(self.feedforward(x)) == y) for x, y in test_data)


class Network2(Network1):
    """network2.py, the port's version with early_stopping_n."""

    def __init__(self, sizes, cost=CrossEntropyCost):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.default_weight_initializer()
        self.cost = cost

    def default_weight_initializer(self):
        self.biases = [np.random.randn(rows, 1) for rows in self.sizes[1:]]
        self.weights = [np.random.randn(rows, cols) / np.sqrt(cols)
                        for cols, rows in zip(self.sizes[:-1], self.sizes[1:])]

    def large_weight_initializer(self):
        self.biases = [np.random.randn(rows, 1) for rows in self.sizes[1:]]
        self.weights = [np.random.randn(rows, cols)
                        for cols, rows in zip(self.sizes[:-1], self.sizes[1:])]

    def output_delta(self, z, a, y):
        return self.cost.delta(z, a, y)

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, evaluation_data=None,
            monitor_evaluation_cost=False, monitor_evaluation_accuracy=False,
            monitor_training_cost=False, monitor_training_accuracy=False, early_stopping_n=0):
        training_data = list(training_data)
        n = len(training_data)
        if evaluation_data:
            evaluation_data = list(evaluation_data)
        best_accuracy, no_accuracy_change = 0, 0
        ec, ea, tc, ta = [], [], [], []
        for j in range(epochs):
            random.shuffle(training_data)
            for k in range(0, n, mini_batch_size):
                self.update_mini_batch(training_data[k:k + mini_batch_size], eta, lmbda, n)
            print("Epoch %s training complete" % j)
            if monitor_training_cost:
                cost = self.total_cost(training_data, lmbda)
                tc.append(cost)
                print("Cost on training data: {}".format(cost))
            if monitor_training_accuracy:
                accuracy = self.accuracy(training_data, convert=True)
                ta.append(accuracy)
                print("Accuracy on training data: {} / {}".format(accuracy, n))
            if monitor_evaluation_cost:
                cost = self.total_cost(evaluation_data, lmbda, convert=True)
                ec.append(cost)
                print("Cost on evaluation data: {}".format(cost))
            if monitor_evaluation_accuracy:
                accuracy = self.accuracy(evaluation_data)
                ea.append(accuracy)
                print("Accuracy on evaluation data: {} / {}".format(accuracy,
                                                                    len(evaluation_data)))
            if early_stopping_n > 0:
                if accuracy > best_accuracy:
                    best_accuracy, no_accuracy_change = accuracy, 0
                else:
                    no_accuracy_change += 1
                if no_accuracy_change == early_stopping_n:
                    return ec, ea, tc, ta
        return ec, ea, tc, ta

    def accuracy(self, data, convert=False):
        if convert:
            return sum(int(np.argmax(self.feedforward(x)) == np.argmax(y)) for x, y in data)
        return sum(int(np.argmax(self.feedforward(x)) == y) for x, y in data)

    def total_cost(self, data, lmbda, convert=False):
        # As the port does: the L2 term is added inside the loop, once per example.
        cost = 0.0
        for x, y in data:
            a = self.feedforward(x)
            if convert:
                y = vectorized_result(y)
            cost += self.cost.fn(a, y) / len(data)
            cost += 0.5 * (lmbda / len(data)) * sum(np.linalg.norm(w) ** 2 for w in self.weights)
        return cost

    def save(self, filename):
        with open(filename, "w") as f:
            json.dump({"sizes": self.sizes, "weights": [w.tolist() for w in self.weights],
                       "biases": [b.tolist() for b in self.biases],
                       "cost": str(self.cost.__name__)}, f)


def load(filename):
    with open(filename) as f:
        data = json.load(f)
    net = Network2(data["sizes"], cost=globals()[data["cost"]])
    net.weights = [np.array(w) for w in data["weights"]]
    net.biases = [np.array(b) for b in data["biases"]]
    return net
