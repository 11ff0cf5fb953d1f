"""The oracle: the book's per-example algorithms, kept simple and slow on purpose.

`Network` is the algorithm of the book's network.py (chapter 1) and `Network2` that of
network2.py (chapter 3), as the original notebook ran them.  Backprop runs on one example at a
time, a ``(784, 1)`` column, and the mini-batch gradient is the sum of the per-example ones,
exactly as in the book.  Nothing here is optimized: every fast path in fastnet is tested
against this code, so it must stay obviously right rather than quick.

Two departures from the book's code, neither of which changes the arithmetic of training:

- Data come as whole arrays ``(X, y)`` with ``X : (784, n)`` and integer labels ``y : (n,)``,
  as `fastnet.load_mnist` returns them, instead of lists of ``(784, 1)`` arrays (which would
  cost ~460 MB for MNIST).  Example ``i`` is the column ``X[:, [i]]``.
- Randomness comes from a `numpy.random.Generator` passed in, never from global state.
  Initial parameters are drawn biases first, then weights, as in the book.  Each epoch is
  shuffled by ``rng.permutation(n)``; mini-batch ``k`` is the examples
  ``perm[k*m : (k+1)*m]``, the last one possibly shorter, as the book's slicing gives.

`Network2` also carries the chapter-3 exercises that fastnet implements (momentum and a
softmax output with log-likelihood cost), so that they have an oracle too.
"""

import numpy as np

from .activations import sigmoid, sigmoid_prime, softmax  # noqa: F401  (shared pure functions)
from .costs import QuadraticCost, get_cost


def vectorized_result(j, k=10):
    """A ``(k, 1)`` unit vector with a 1.0 in position j."""
    e = np.zeros((k, 1))
    e[j] = 1.0
    return e


class Network:
    """network.py: sigmoid layers, quadratic cost, weights and biases from N(0, 1)."""

    def __init__(self, sizes, rng):
        self.num_layers = len(sizes)
        self.sizes = list(sizes)
        self.rng = rng
        self.biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]
        self.weights = [rng.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        """Output for the column ``a : (n_in, 1)``."""
        for layer, (b, w) in enumerate(zip(self.biases, self.weights)):
            z = np.dot(w, a) + b
            a = self.output_activation(z) if layer == len(self.weights) - 1 else sigmoid(z)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta):
        """Mini-batch stochastic gradient descent; ``training_data = (X, y)``."""
        X, y = training_data
        n = X.shape[1]
        for _ in range(epochs):
            perm = self.rng.permutation(n)
            for k in range(0, n, mini_batch_size):
                self.update_mini_batch(X, y, perm[k:k + mini_batch_size], eta)

    def update_mini_batch(self, X, y, index, eta):
        """One gradient step on the examples ``index``: ``w <- w - (eta/m) * sum of grads``."""
        nabla_b, nabla_w = self.summed_gradients(X, y, index)
        m = len(index)
        self.weights = [w - (eta / m) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / m) * nb for b, nb in zip(self.biases, nabla_b)]

    def summed_gradients(self, X, y, index):
        """The gradients of the examples ``index``, one backprop each, added up."""
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for i in index:
            delta_nabla_b, delta_nabla_w = self.backprop(
                X[:, [i]].astype(np.float64), vectorized_result(y[i], self.sizes[-1]))
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        return nabla_b, nabla_w

    cost = QuadraticCost

    def output_delta(self, z, a, y):
        """The cost's output delta; network.py's quadratic cost: (a - y) * sigma'(z)."""
        return self.cost.delta(z, a, y)

    def output_activation(self, z):
        return softmax(z) if self.cost.output == "softmax" else sigmoid(z)

    def backprop(self, x, y):
        """Gradient of the cost for one example, layer by layer, as lists like the parameters."""
        nabla_b = [None] * len(self.biases)
        nabla_w = [None] * len(self.weights)
        activation = x
        activations = [x]
        zs = []
        for layer, (b, w) in enumerate(zip(self.biases, self.weights)):
            z = np.dot(w, activation) + b
            zs.append(z)
            last = layer == len(self.weights) - 1
            activation = self.output_activation(z) if last else sigmoid(z)
            activations.append(activation)
        delta = self.output_delta(zs[-1], activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for layer in range(2, self.num_layers):
            delta = np.dot(self.weights[-layer + 1].transpose(), delta) * sigmoid_prime(zs[-layer])
            nabla_b[-layer] = delta
            nabla_w[-layer] = np.dot(delta, activations[-layer - 1].transpose())
        return nabla_b, nabla_w

    def predict(self, x):
        """The digit the network picks for the column ``x``."""
        return int(np.argmax(self.feedforward(x)))

    def accuracy(self, data):
        """Number of examples of ``data = (X, y)`` classified correctly."""
        X, y = data
        return sum(int(self.predict(X[:, [i]].astype(np.float64)) == y[i])
                   for i in range(X.shape[1]))


class Network2(Network):
    """network2.py: L2-regularized SGD, scaled initial weights, a choice of cost.

    ``cost`` is "cross-entropy" (the book's default: output delta a - y on sigmoids),
    "quadratic" or "log-likelihood" (a softmax output layer, output delta a - y; a chapter-3
    exercise).  ``init="default"`` draws weights from N(0, 1/n_in), ``"large"`` from N(0, 1).
    ``mu`` adds momentum (another chapter-3 exercise): ``v <- mu*v - eta*grad; w <- w + v``.

    The original notebook's Network2 applied a softmax to the output layer when predicting.
    The softmax is monotonic, so the argmax, and with it every accuracy, is the same as
    without it; `predict` applies it anyway to stay faithful.
    """

    def __init__(self, sizes, rng, cost="cross-entropy", init="default"):
        self.num_layers = len(sizes)
        self.sizes = list(sizes)
        self.rng = rng
        self.cost = get_cost(cost)
        self.biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]
        self.weights = [rng.standard_normal((y, x)) / (np.sqrt(x) if init == "default" else 1.0)
                        for x, y in zip(sizes[:-1], sizes[1:])]
        self.velocity_w = [np.zeros(w.shape) for w in self.weights]
        self.velocity_b = [np.zeros(b.shape) for b in self.biases]

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, mu=0.0):
        """Mini-batch SGD with L2 weight decay; n in the decay term is the training-set size."""
        X, y = training_data
        n = X.shape[1]
        for _ in range(epochs):
            perm = self.rng.permutation(n)
            for k in range(0, n, mini_batch_size):
                self.update_mini_batch(X, y, perm[k:k + mini_batch_size], eta, lmbda, n, mu)

    def update_mini_batch(self, X, y, index, eta, lmbda=0.0, n=1, mu=0.0):
        """``w <- (1 - eta*lmbda/n) w - (eta/m) sum of grads``; biases are not decayed."""
        nabla_b, nabla_w = self.summed_gradients(X, y, index)
        m = len(index)
        if mu == 0.0:
            self.weights = [(1 - eta * (lmbda / n)) * w - (eta / m) * nw
                            for w, nw in zip(self.weights, nabla_w)]
            self.biases = [b - (eta / m) * nb for b, nb in zip(self.biases, nabla_b)]
            return
        # The gradient of the regularized cost is (lmbda/n) w + (1/m) sum of grads.
        self.velocity_w = [mu * v - eta * (lmbda / n) * w - (eta / m) * nw
                           for v, w, nw in zip(self.velocity_w, self.weights, nabla_w)]
        self.velocity_b = [mu * v - (eta / m) * nb for v, nb in zip(self.velocity_b, nabla_b)]
        self.weights = [w + v for w, v in zip(self.weights, self.velocity_w)]
        self.biases = [b + v for b, v in zip(self.biases, self.velocity_b)]

    def predict(self, x):
        return int(np.argmax(softmax(self.feedforward(x))))
