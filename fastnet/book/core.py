"""What `fastnet.book.network` and `fastnet.book.network2` share: the book's parameters as
plain lists, its per-example backprop, and the compiled engine that trains them.

A book network keeps ``biases`` and ``weights`` as the book does, lists of ``b : (n_out, 1)``
and ``w : (n_out, n_in)`` float64 arrays that the user may read, replace or edit in place.
Training and evaluation run on a `fastnet.Network` (the engine), which gets a copy of the
lists at the start of every call and hands its arrays back at the end; arrays handed back are
never written to again, so a user holding one sees it unchanged, as with the book's code.

Randomness is the book's, on purpose: the initial parameters come from ``np.random.randn`` and
each epoch's order from ``random.shuffle``, the global generators the book's code uses, so that
``random.seed(s); np.random.seed(s)`` gives the book's numbers.  This is the only place in
fastnet that uses global random state.
"""

import random

import numpy as np

from .. import reference
from ..data import one_hot
from ..train import DivergenceError
from ..network import Network as Engine
from ..reference import sigmoid
from ..settings import EVAL_CHUNK
from .columns import as_arrays

_warmed_up = []


class StopTraining(Exception):
    """Raised from an epoch callback to end `BookNetwork.train` early (early stopping)."""


class BookNetwork:
    """The parts of the book's ``Network`` classes common to network.py and network2.py.

    Subclasses set ``engine_cost`` (fastnet's name of the cost) and define
    ``output_delta(z, a, y)``, the error of the output layer for one example.
    """

    engine_cost = "quadratic"

    # The book's per-example algorithms, which the oracle keeps (`fastnet.reference`): one
    # code for both.  Their hidden and output neurons are the book's sigmoids.
    activation = "sigmoid"
    feedforward = reference.Network.feedforward
    backprop = reference.Network.backprop
    hidden_activation = reference.Network.hidden_activation
    hidden_derivative = reference.Network.hidden_derivative

    def output_activation(self, z):
        return sigmoid(z)

    # -- the engine ------------------------------------------------------------------------

    def engine(self):
        """The compiled `fastnet.Network` holding a copy of ``biases`` and ``weights``."""
        sizes = list(self.sizes)
        key = (tuple(sizes), self.engine_cost)
        if getattr(self, "_engine_key", None) != key:
            if not _warmed_up:
                _warm_up()
            self._engine = Engine(sizes, cost=self.engine_cost, init="large", seed=0)
            self._engine_key = key
        self._engine.biases = self.biases
        self._engine.weights = self.weights
        return self._engine

    def take_parameters(self, engine):
        """Make the engine's parameters this network's ``biases`` and ``weights``."""
        self.biases = engine.biases
        self.weights = engine.weights

    def data_sets(self, training_data, other, what):
        """The book's start of SGD: ``list()`` of the training pairs (one-hot targets) and, if
        ``other`` is given and not empty, of the evaluation pairs (int labels) named
        ``what``, as `Columns` (None for no evaluation data)."""
        train = self.columns(training_data, True, "training_data")
        other = list(other) if other else None
        return train, (self.columns(other, False, what) if other else None)

    def columns(self, data, one_hot_targets, what):
        """`columns.as_arrays` of ``list(data)``, for this network's layer sizes."""
        return as_arrays(list(data), self.sizes[0], self.sizes[-1], one_hot_targets, what,
                         spent=iter(data) is data)

    def train(self, train, epochs, mini_batch_size, eta, lmbda, on_epoch):
        """Train on the `Columns` ``train`` with the engine, in the book's order.

        The book shuffles its list of n pairs with ``random.shuffle`` at the start of every
        epoch, the shuffles accumulating.  Shuffling a list of the n positions instead makes
        the same calls to ``random`` and so the same order; each epoch's mini-batches are the
        columns of those positions, cut into runs of ``mini_batch_size``.  ``on_epoch(j)`` runs
        after epoch j on the live engine and returns the costs it measured: raising
        `StopTraining` ends the run there; a cost that is not finite is a divergence
        (`fastnet.DivergenceError`, the parameters of the last finite epoch kept), as the
        engine's own monitoring would say.  Ctrl-C stops after the current mini-batch and is
        raised again (KeyboardInterrupt), as in the book's code, with the parameters and the
        lists of the epochs done consistent.
        """
        engine = self.engine()
        positions = list(range(len(train)))
        finite = [engine.state.snapshot()]

        def order(epoch):
            random.shuffle(positions)
            return train.index[np.array(positions)]

        def after_epoch(epoch, history):
            costs = on_epoch(epoch) or ()
            if not all(np.isfinite(cost) for cost in costs):
                engine.state.restore(finite[0])
                restored = (f"the end of epoch {epoch - 1}" if epoch else
                            "their values before this run")
                raise DivergenceError(f"training diverged in epoch {epoch}: the cost is no "
                                      f"longer finite (eta={eta:g} is probably too large); "
                                      f"parameters restored to {restored}", history)
            finite[0] = engine.state.snapshot()

        try:
            history = engine.SGD((train.X, train.labels), epochs, mini_batch_size, eta,
                                 lmbda=lmbda, monitor_evaluation_accuracy=False, order=order,
                                 on_epoch=after_epoch, verbose=0)
        except StopTraining:
            return
        finally:
            self.take_parameters(engine)
        if history.stopped == "interrupted":
            raise KeyboardInterrupt

    def step(self, mini_batch, eta, lmbda, n):
        """One gradient step on the list of ``(x, y)`` pairs ``mini_batch``, on the engine;
        ``y`` may be any ``(n_out, 1)`` target here, as in the book."""
        mini_batch = list(mini_batch)
        if not mini_batch:
            raise ValueError("mini_batch is empty")
        X = _stack(mini_batch, 0, self.sizes[0], "x")
        Y = _stack(mini_batch, 1, self.sizes[-1], "y")
        engine = self.engine()
        try:
            engine.update_mini_batch(X, Y, eta, lmbda, n)
        finally:
            self.take_parameters(engine)

    # -- evaluation on the engine ----------------------------------------------------------

    @staticmethod
    def correct(engine, data):
        """How many pairs of the `Columns` ``data`` the engine classifies right (the target's
        largest entry, for soft targets, as the book's accuracy takes it)."""
        return sum(int(np.count_nonzero(np.argmax(engine.feedforward(X), axis=0)
                                        == (np.argmax(y, axis=0) if y.ndim == 2 else y)))
                   for X, y in data.chunks(EVAL_CHUNK))

    @staticmethod
    def summed_cost(engine, data, cost):
        """The sum over the pairs of ``data`` of ``cost.fn(a, y)``, y one-hot (or the
        targets themselves)."""
        k = engine.sizes[-1]
        return sum(cost.fn(engine.feedforward(X), y if y.ndim == 2 else one_hot(y, k))
                   for X, y in data.chunks(EVAL_CHUNK))


def _stack(pairs, which, rows, name):
    """Element ``which`` of every pair, each ``(rows, 1)``, side by side: ``(rows, m)``."""
    columns = []
    for i, pair in enumerate(pairs):
        try:
            value = pair[which]
            if len(pair) != 2:
                raise TypeError
        except (TypeError, IndexError):
            raise ValueError(f"mini_batch[{i}] must be a pair (x, y)") from None
        if not isinstance(value, np.ndarray) or value.shape != (rows, 1):
            raise ValueError(f"mini_batch[{i}]: {name} must be a ({rows}, 1) array, not "
                             f"{getattr(value, 'shape', type(value).__name__)}")
        columns.append(value)
    return np.concatenate(columns, axis=1)


def _warm_up():
    """Compile (or load from numba's cache) the engine for float32 images in a float64
    network, the loaders' format, so that no first epoch includes compilation."""
    _warmed_up.append(True)
    X = np.zeros((3, 4), np.float32, order="F")
    # Quiet: in a notebook the engine's own epoch line would come before the book's lines.
    Engine([3, 2, 2], seed=0).SGD((X, np.zeros(4, np.int64)), 1, 3, 0.1, verbose=0)
