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

`Network2` also carries the chapter-3 exercises and what fastnet adds beyond the book, so
that each has an oracle too: other hidden neurons (tanh, ReLU, identity; the forward forms of
`fastnet.activations`, the derivatives written here from z), the L1 penalty, momentum, Nesterov
momentum and Adam (`Optimizer`), a softmax output with log-likelihood cost, per-example
weights and target matrices.
"""

import numpy as np

from .activations import ACTIVATIONS, sigmoid, sigmoid_prime, softmax  # noqa: F401
from .costs import QuadraticCost, get_cost

# The derivative of each activation, from the weighted input z, per example: the oracle's own
# (the engine's is written from the output a, `fastnet.activations`).  ReLU's is 0 at 0.
DERIVATIVES = {
    "sigmoid": sigmoid_prime,
    "tanh": lambda z: 1.0 - np.tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(np.float64),
    "identity": lambda z: np.ones_like(z, dtype=np.float64),
}

# Each penalty's gradient dP/dw (L2: P = w^2/2; L1: P = |w|, sgn(0) = 0).
PENALTY_GRADIENTS = {"l2": lambda w: w, "l1": np.sign}


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

    activation = "sigmoid"

    def hidden_activation(self, z):
        return ACTIVATIONS[self.activation].numpy(z)

    def hidden_derivative(self, z):
        return DERIVATIVES[self.activation](z)

    def feedforward(self, a):
        """Output for the column ``a : (n_in, 1)``."""
        for layer, (b, w) in enumerate(zip(self.biases, self.weights)):
            z = np.dot(w, a) + b
            a = (self.output_activation(z) if layer == len(self.weights) - 1 else
                 self.hidden_activation(z))
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

    def summed_gradients(self, X, y, index, sample_weight=None):
        """The gradients of the examples ``index``, one backprop each, added up (each times
        its weight, with ``sample_weight``).  ``y``: int labels, or a target matrix whose
        column i is example i's target."""
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for i in index:
            target = (np.asarray(y[:, [i]], np.float64) if np.ndim(y) == 2 else
                      vectorized_result(y[i], self.sizes[-1]))
            delta_nabla_b, delta_nabla_w = self.backprop(X[:, [i]].astype(np.float64), target)
            if sample_weight is not None:
                delta_nabla_b = [sample_weight[i] * d for d in delta_nabla_b]
                delta_nabla_w = [sample_weight[i] * d for d in delta_nabla_w]
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
            activation = self.output_activation(z) if last else self.hidden_activation(z)
            activations.append(activation)
        delta = self.output_delta(zs[-1], activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for layer in range(2, self.num_layers):
            delta = (np.dot(self.weights[-layer + 1].transpose(), delta)
                     * self.hidden_derivative(zs[-layer]))
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
    """network2.py: regularized SGD, scaled initial weights, a choice of cost, and more.

    ``cost`` is "cross-entropy" (the book's default: output delta a - y on sigmoids),
    "quadratic" or "log-likelihood" (a softmax output layer, output delta a - y; a chapter-3
    exercise).  ``init="default"`` draws weights from N(0, 1/n_in), ``"large"`` from N(0, 1).
    ``activation`` is the hidden neurons' (`DERIVATIVES` names them); ``penalty`` "l2" (the
    book's weight decay) or "l1".  Training takes an ``optimizer`` (`Optimizer`: "sgd", with
    momentum ``mu``, "nesterov" or "adam").

    The original notebook's Network2 applied a softmax to the output layer when predicting.
    The softmax is monotonic, so the argmax, and with it every accuracy, is the same as
    without it; `predict` applies it anyway to stay faithful.
    """

    def __init__(self, sizes, rng, cost="cross-entropy", init="default", activation="sigmoid",
                 penalty="l2"):
        self.num_layers = len(sizes)
        self.sizes = list(sizes)
        self.rng = rng
        self.cost = get_cost(cost)
        self.activation = activation
        self.penalty = penalty
        self.biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]
        self.weights = [rng.standard_normal((y, x)) / (np.sqrt(x) if init == "default" else 1.0)
                        for x, y in zip(sizes[:-1], sizes[1:])]
        self.optimizer = None

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, mu=0.0,
            optimizer="sgd", betas=(0.9, 0.999), epsilon=1e-8, sample_weight=None, n=None):
        """Mini-batch SGD; n in the penalty is the training-set size (``n=0``: each
        mini-batch's weight instead, scikit-learn's alpha)."""
        X, y = training_data
        size = X.shape[1]
        for _ in range(epochs):
            perm = self.rng.permutation(size)
            for k in range(0, size, mini_batch_size):
                self.update_mini_batch(X, y, perm[k:k + mini_batch_size], eta, lmbda,
                                       size if n is None else n, mu, optimizer, betas, epsilon,
                                       sample_weight)

    def update_mini_batch(self, X, y, index, eta, lmbda=0.0, n=1, mu=0.0, optimizer="sgd",
                          betas=(0.9, 0.999), epsilon=1e-8, sample_weight=None):
        """One step on the examples ``index``, with the gradient of the regularized cost,
        ``(1/total) sum of grads + (lmbda/n) dP/dw``, total the number of the examples (or
        the sum of their weights), n = total when 0."""
        nabla_b, nabla_w = self.summed_gradients(X, y, index, sample_weight)
        total = len(index) if sample_weight is None else float(np.sum(sample_weight[index]))
        n = total if n == 0 else n
        penalty = PENALTY_GRADIENTS[self.penalty]
        if optimizer == "sgd" and mu == 0.0:
            # The book's form: w <- (1 - eta*lmbda/n) w - (eta/m) sum of grads, for L2.
            self.weights = [w - eta * (lmbda / n) * penalty(w) - (eta / total) * nw
                            for w, nw in zip(self.weights, nabla_w)]
            self.biases = [b - (eta / total) * nb for b, nb in zip(self.biases, nabla_b)]
            return
        if self.optimizer is None or self.optimizer.name != optimizer:
            self.optimizer = Optimizer(optimizer, self.weights + self.biases, eta, mu, betas,
                                       epsilon)
        grads = ([nw / total + (lmbda / n) * penalty(w)
                  for w, nw in zip(self.weights, nabla_w)] +
                 [nb / total for nb in nabla_b])
        self.optimizer.eta = eta
        params = self.optimizer.step(self.weights + self.biases, grads)
        k = len(self.weights)
        self.weights, self.biases = params[:k], params[k:]

    def predict(self, x):
        return int(np.argmax(softmax(self.feedforward(x))))


class Optimizer:
    """The optimizers, one parameter array at a time, as PyTorch and scikit-learn state them.

    ``step(params, grads)`` returns the new parameters, given the gradients of the regularized
    cost (the mean over the mini-batch plus the penalty's), and updates the state:

    - "sgd": v <- mu v - eta g; p <- p + v;
    - "nesterov": v <- mu v - eta g; p <- p + mu v - eta g;
    - "adam" (torch.optim.Adam): t <- t + 1; m <- b1 m + (1 - b1) g; s <- b2 s + (1 - b2) g^2;
      p <- p - eta/(1 - b1^t) * m / (sqrt(s)/sqrt(1 - b2^t) + epsilon).
    """

    def __init__(self, name, params, eta, mu=0.0, betas=(0.9, 0.999), epsilon=1e-8):
        self.name, self.eta, self.mu, self.betas, self.epsilon = name, eta, mu, betas, epsilon
        self.v = [np.zeros(p.shape) for p in params]
        self.s = [np.zeros(p.shape) for p in params]
        self.t = 0

    def step(self, params, grads):
        eta, mu = self.eta, self.mu
        if self.name == "sgd":
            self.v = [mu * v - eta * g for v, g in zip(self.v, grads)]
            return [p + v for p, v in zip(params, self.v)]
        if self.name == "nesterov":
            self.v = [mu * v - eta * g for v, g in zip(self.v, grads)]
            return [p + mu * v - eta * g for p, v, g in zip(params, self.v, grads)]
        if self.name == "adam":
            b1, b2 = self.betas
            self.t += 1
            self.v = [b1 * m + (1 - b1) * g for m, g in zip(self.v, grads)]
            self.s = [b2 * s + (1 - b2) * g * g for s, g in zip(self.s, grads)]
            c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
            return [p - (eta / c1) * m / (np.sqrt(s) / np.sqrt(c2) + self.epsilon)
                    for p, m, s in zip(params, self.v, self.s)]
        raise ValueError(f"unknown optimizer {self.name!r}")
