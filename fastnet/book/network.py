"""Drop-in for the book's network.py (chapter 1), fast: ``from fastnet.book import network``.

The names, signatures, data formats, printed lines and use of randomness are those of the
book's Python 3 network.py: ``Network(sizes)`` draws its biases, then its weights, from
``np.random.randn``; `Network.SGD` shuffles with ``random.shuffle`` and prints
``Epoch j : correct / n`` (or ``Epoch j complete``).  Under the same ``random.seed`` and
``np.random.seed`` it gives the book's weights to within rounding (1e-10 after two epochs,
tested) and the book's accuracies.  Training and evaluation run on fastnet's compiled engine
(see `fastnet.book.core`); ``backprop`` is the book's per-example algorithm, in numpy.

Data are the book's: lists (or any iterable) of ``(x, y)`` pairs, ``x : (784, 1)``, ``y`` a
one-hot ``(10, 1)`` array for training and an int label for testing, as
`fastnet.book.mnist_loader.load_data_wrapper` gives them.  Two departures, both for input the
book's code would mishandle: a wrong element raises ValueError naming it, and a run whose
weights stop being finite raises `fastnet.DivergenceError` instead of going on with nan.

A subclass that overrides ``update_mini_batch``, ``backprop``, ``cost_derivative``,
``feedforward`` or ``evaluate`` (as the book's exercises ask) gets the book's own per-example
algorithm, which calls its methods (`fastnet.book.per_example`; said once on stderr).
"""

import numpy as np

from ..reference import sigmoid, sigmoid_prime
from . import per_example
from .core import BookNetwork

__all__ = ["Network", "sigmoid", "sigmoid_prime"]


# The methods of the book's Network that the compiled engine does the work of without calling
# them: a class that overrides one runs the book's per-example algorithm (`per_example`).
ENGINE_REPLACES = ("update_mini_batch", "backprop", "cost_derivative", "feedforward",
                   "evaluate")


class Network(BookNetwork):
    """The book's chapter-1 network: sigmoid layers, quadratic cost, N(0, 1) parameters.

    ``sizes`` lists the neurons per layer, input first (``[784, 30, 10]``).  ``biases`` are
    ``(n_out, 1)`` and ``weights`` ``(n_out, n_in)`` arrays, drawn from ``np.random.randn``
    (global state, as in the book), biases first.
    """

    engine_cost = "quadratic"

    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(n, 1) for n in sizes[1:]]
        self.weights = [np.random.randn(n, k) for k, n in zip(sizes[:-1], sizes[1:])]

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):
        """Mini-batch SGD on ``training_data``, a list of ``(x, one-hot y)`` pairs.

        Each epoch reshuffles the pairs with ``random.shuffle`` and cuts them into
        mini-batches of ``mini_batch_size`` (the last possibly shorter), then prints
        ``Epoch j : correct / n_test`` when ``test_data`` (``(x, int label)`` pairs) is
        given and not empty, else ``Epoch j complete``.  Returns None, as the book does.
        """
        changed = per_example.overrides(self, Network, ENGINE_REPLACES)
        if changed:
            per_example.say_once(self, f"overrides {', '.join(changed)}")
            return per_example.sgd_network(self, training_data, epochs, mini_batch_size, eta,
                                           test_data)
        train, test = self.data_sets(training_data, test_data, "test_data")

        def on_epoch(j):
            if test is not None:
                print("Epoch {} : {} / {}".format(j, self.correct(self._engine, test),
                                                  len(test)))
            else:
                print("Epoch {} complete".format(j))

        self.train(train, epochs, mini_batch_size, eta, 0.0, on_epoch)

    def update_mini_batch(self, mini_batch, eta):
        """One gradient step on the list of ``(x, y)`` pairs ``mini_batch``:
        ``w <- w - (eta/m) * sum of the per-example gradients``, the same for the biases."""
        changed = per_example.overrides(self, Network, ("backprop", "cost_derivative"))
        if changed:
            per_example.say_once(self, f"overrides {', '.join(changed)}")
            return per_example.update_mini_batch(self, list(mini_batch), eta)
        self.step(mini_batch, eta, 0.0, None)

    def evaluate(self, test_data):
        """How many of the ``(x, int label)`` pairs ``test_data`` the network gets right."""
        if per_example.overrides(self, Network, ("feedforward",)):
            per_example.say_once(self, "overrides feedforward")
            return per_example.evaluate(self, list(test_data))
        return self.correct(self.engine(), self.columns(list(test_data), False, "test_data"))

    def cost_derivative(self, output_activations, y):
        """dC/da of the quadratic cost for one example: ``a - y``."""
        return output_activations - y

    def output_delta(self, z, a, y):
        return self.cost_derivative(a, y) * sigmoid_prime(z)
