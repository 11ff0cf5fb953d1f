"""Drop-in for the book's network2.py (chapter 3), fast: ``from fastnet.book import network2``.

The names, signatures, data formats, return values, printed lines, model files and use of
randomness are those of the book's Python 3 network2.py (the DeepLearningPython port, with
its ``early_stopping_n``): ``Network(sizes, cost=CrossEntropyCost)`` draws its parameters from
``np.random.randn`` (`default_weight_initializer`, or `large_weight_initializer`), `SGD`
shuffles with ``random.shuffle``, prints what the book prints and returns its four lists.
Under the same ``random.seed`` and ``np.random.seed`` it gives the book's weights to within
rounding (1e-10 after two epochs, tested), accuracies and costs.  Training, monitoring and
evaluation run on fastnet's compiled engine (see `fastnet.book.core`).

Two of the book's quirks are kept, since they are what its numbers mean:

- `total_cost` adds the L2 term once per example, each time divided by the number of
  examples, so it returns ``mean cost + 0.5 * lmbda * sum ||w||^2`` (not lmbda/n).
- early stopping compares the accuracy computed last in the epoch (the evaluation accuracy
  if monitored, else the training accuracy) with the best so far, starting from 0, and
  returns once ``early_stopping_n`` epochs in a row have not beaten it.

Departures, all for input the book's code would mishandle: a wrong element of the data raises
ValueError naming it; so does early stopping without a monitored accuracy; a run whose weights
or monitored costs stop being finite raises `fastnet.DivergenceError`.

A subclass that overrides ``update_mini_batch``, ``backprop``, ``feedforward``, ``accuracy``
or ``total_cost`` (as the book's exercises ask), or a cost class of one's own, gets the book's
own per-example algorithm, which calls them (`fastnet.book.per_example`; said once on stderr).
"""

import numpy as np

from .. import atomic_file, model_file
from ..costs import CrossEntropyCost, QuadraticCost
from ..reference import sigmoid, sigmoid_prime, vectorized_result
from . import per_example
from .core import BookNetwork, StopTraining

__all__ = ["QuadraticCost", "CrossEntropyCost", "Network", "load", "vectorized_result",
           "sigmoid", "sigmoid_prime"]

ENGINE_COSTS = {QuadraticCost: "quadratic", CrossEntropyCost: "cross-entropy"}
# The methods of the book's Network that the compiled engine does the work of without calling
# them: a class that overrides one (or a cost the engine does not have) runs the book's
# per-example algorithm (`per_example`).
ENGINE_REPLACES = ("update_mini_batch", "backprop", "feedforward", "accuracy", "total_cost")


class Network(BookNetwork):
    """The book's chapter-3 network: a choice of cost, L2 regularization, scaled weights.

    ``cost`` is `CrossEntropyCost` (the default) or `QuadraticCost`, classes with the book's
    ``fn(a, y)`` and ``delta(z, a, y)``.  The parameters come from
    `default_weight_initializer` (weights N(0, 1/n_in)); ``biases`` are ``(n_out, 1)`` and
    ``weights`` ``(n_out, n_in)`` arrays.
    """

    def __init__(self, sizes, cost=CrossEntropyCost):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.default_weight_initializer()
        self.cost = cost

    def _changed(self, names):
        """What of ``names`` this network's class overrides, and its cost if the engine does
        not have it; said once on stderr when there is something."""
        changed = per_example.overrides(self, Network, names)
        if self.cost not in ENGINE_COSTS:
            changed.append(f"cost {getattr(self.cost, '__name__', self.cost)}")
        if changed:
            per_example.say_once(self, f"overrides {', '.join(changed)}")
        return changed

    @property
    def engine_cost(self):
        """The engine's name of the cost.  The engine trains with the book's two costs only
        (a cost of one's own trains per example, `_changed`); for scoring, where only the
        sigmoid output layer counts, any cost is the cross-entropy's network."""
        return ENGINE_COSTS.get(self.cost, "cross-entropy")

    def default_weight_initializer(self):
        """Biases from N(0, 1), weights from N(0, 1/n_in), by ``np.random.randn``."""
        self.biases = [np.random.randn(n, 1) for n in self.sizes[1:]]
        self.weights = [np.random.randn(n, k) / np.sqrt(k)
                        for k, n in zip(self.sizes[:-1], self.sizes[1:])]

    def large_weight_initializer(self):
        """Biases and weights from N(0, 1), by ``np.random.randn`` (chapter 1's choice)."""
        self.biases = [np.random.randn(n, 1) for n in self.sizes[1:]]
        self.weights = [np.random.randn(n, k) for k, n in zip(self.sizes[:-1], self.sizes[1:])]

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, evaluation_data=None,
            monitor_evaluation_cost=False, monitor_evaluation_accuracy=False,
            monitor_training_cost=False, monitor_training_accuracy=False, early_stopping_n=0):
        """Mini-batch SGD with L2 weight decay ``lmbda`` (n = the training-set size).

        ``training_data`` are ``(x, one-hot y)`` pairs, ``evaluation_data`` ``(x, int
        label)`` pairs.  After each epoch it prints ``Epoch j training complete`` and the
        monitored costs and accuracies, in the book's words and order.  Returns
        ``(evaluation_cost, evaluation_accuracy, training_cost, training_accuracy)``, each a
        list with one value per epoch, empty when not monitored.  ``early_stopping_n > 0``
        stops after that many epochs without a better accuracy (see the module docstring).
        """
        if self._changed(ENGINE_REPLACES):
            return per_example.sgd_network2(
                self, training_data, epochs, mini_batch_size, eta, lmbda, evaluation_data,
                monitor_evaluation_cost, monitor_evaluation_accuracy, monitor_training_cost,
                monitor_training_accuracy, early_stopping_n)
        train, evaluation = self.data_sets(training_data, evaluation_data, "evaluation_data")
        if (monitor_evaluation_cost or monitor_evaluation_accuracy) and evaluation is None:
            raise ValueError("monitoring the evaluation data needs evaluation_data")
        if early_stopping_n > 0 and not (monitor_evaluation_accuracy
                                         or monitor_training_accuracy):
            raise ValueError("early stopping needs a monitored accuracy "
                             "(monitor_evaluation_accuracy=True)")
        evaluation_cost, evaluation_accuracy = [], []
        training_cost, training_accuracy = [], []
        best = {"accuracy": 0, "epochs_without": 0, "last": None}

        def record(values, line, value, *more):
            values.append(value)
            print(line.format(value, *more))
            return value

        def on_epoch(j):
            """The book's monitoring after epoch j; returns the costs it measured (a cost that
            is not finite ends the run as a divergence, `BookNetwork.train`)."""
            engine = self._engine
            costs = []
            print("Epoch %s training complete" % j)
            if monitor_training_cost:
                costs.append(record(training_cost, "Cost on training data: {}",
                                    self._total_cost(engine, train, lmbda)))
            if monitor_training_accuracy:
                best["last"] = record(training_accuracy, "Accuracy on training data: {} / {}",
                                      self.correct(engine, train), len(train))
            if monitor_evaluation_cost:
                costs.append(record(evaluation_cost, "Cost on evaluation data: {}",
                                    self._total_cost(engine, evaluation, lmbda)))
            if monitor_evaluation_accuracy:
                best["last"] = record(evaluation_accuracy, "Accuracy on evaluation data: {} / {}",
                                      self.correct(engine, evaluation), len(evaluation))
            if not all(np.isfinite(cost) for cost in costs):
                return costs
            if early_stopping_n > 0:
                if best["last"] > best["accuracy"]:
                    best["accuracy"], best["epochs_without"] = best["last"], 0
                else:
                    best["epochs_without"] += 1
                if best["epochs_without"] == early_stopping_n:
                    raise StopTraining
            return costs

        self.train(train, epochs, mini_batch_size, eta, lmbda, on_epoch)
        return evaluation_cost, evaluation_accuracy, training_cost, training_accuracy

    def update_mini_batch(self, mini_batch, eta, lmbda, n):
        """One gradient step on the list of ``(x, y)`` pairs ``mini_batch``:
        ``w <- (1 - eta*lmbda/n) w - (eta/m) * sum of the per-example gradients``, biases
        without the decay; ``n`` is the size of the whole training set."""
        if self._changed(("backprop",)):
            return per_example.update_mini_batch(self, list(mini_batch), eta, lmbda, n)
        self.step(mini_batch, eta, lmbda, n)

    def output_delta(self, z, a, y):
        return self.cost.delta(z, a, y)

    def accuracy(self, data, convert=False):
        """How many pairs of ``data`` the network gets right.  ``convert=False``: the labels
        are ints (validation and test data); ``convert=True``: one-hot (training data)."""
        return self.correct(self.engine(), self.columns(list(data), convert, "data"))

    def total_cost(self, data, lmbda, convert=False):
        """The book's total cost of ``data``: the mean cost plus ``0.5 * lmbda * sum ||w||^2``
        (the book adds 0.5*(lmbda/n)*sum ||w||^2 once per example).  ``convert=False``: the
        targets are one-hot (training data); ``convert=True``: int labels."""
        if self._changed(("feedforward",)):
            return per_example.total_cost(self, list(data), lmbda, convert)
        return self._total_cost(self.engine(), self.columns(list(data), not convert, "data"),
                                lmbda)

    def _total_cost(self, engine, data, lmbda):
        n = len(data)
        l2 = sum(np.linalg.norm(w) ** 2 for w in engine.weights)
        return self.summed_cost(engine, data, self.cost) / n + n * (0.5 * (lmbda / n) * l2)

    def save(self, filename):
        """Write the network to ``filename`` as the book's network2.py does (JSON: sizes,
        weights, biases, the cost's class name), atomically."""
        atomic_file.write_json(filename, {
            "sizes": list(self.sizes),
            "weights": [np.asarray(w).tolist() for w in self.weights],
            "biases": [np.asarray(b).tolist() for b in self.biases],
            "cost": str(self.cost.__name__)})


def load(filename):
    """The `Network` saved in ``filename`` by `Network.save` or by the book's network2.py.

    As in the book, it builds a ``Network`` first, which draws from ``np.random``, then sets
    the saved parameters.  A damaged file raises ValueError naming it (`fastnet.model_file`).
    """
    saved = model_file.read(filename)
    if saved.activation != "sigmoid":
        raise ValueError(f"{filename}: a network of {saved.activation} hidden neurons; the "
                         f"book's network2 computes sigmoid networks only (load it with "
                         f"fastnet.load)")
    cost = {book.__name__: book for book in ENGINE_COSTS}.get(saved.cost)  # a class name
    if cost is None:
        raise ValueError(f"{filename}: the book's network2 has no cost {saved.cost}")
    net = Network(list(saved.sizes), cost=cost)
    net.weights = saved.weights
    net.biases = saved.biases
    return net
