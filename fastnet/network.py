"""The network: its parameters, inference, validation, model files and one SGD step.

`Network.SGD` is the book's entry point; it checks its arguments (`fastnet.checks`) and hands
the epochs to `fastnet.train.sgd`.

The book's code runs backprop once per example, on ``(784, 1)`` columns, and adds up the
gradients.  Here a mini-batch of m examples is one ``(n_in, m)`` matrix: each layer is one
matrix product (BLAS) followed by one pass of a numba kernel, and the summed gradient of a
layer's weights is one more product, ``delta @ a_prev.T``, which BLAS adds to the weights
directly.  The arithmetic is the book's; only the order of the additions differs, and
`tests/test_crosscheck.py` holds the two to within `fastnet.tolerances.CROSSCHECK_ATOL` of each
other.

Training runs compiled: a whole SGD step is one numba function (`kernels._train_step`), and an
epoch's mini-batches one call (`kernels._train_batches`, from `fastnet.train`), unless an
``on_batch`` callback needs Python after each.  Every array a mini-batch touches is allocated
once per mini-batch size (`_Workspace`) and reused.

Shapes: ``X : (n_in, m)``, one example per column; ``w : (n_out, n_in)``; ``b : (n_out, 1)``.
"""

import math

import numpy as np

from . import aligned, gradients, kernels, model_file, parallel, train
from .checks import DTYPES, INITS  # noqa: F401  (importable from here, as before)
from .checks import (bad_column, check_columns, check_count, check_data, check_dtype,
                     check_hyperparameters, check_init, check_inputs, check_nonnegative,
                     check_sizes, check_threads)
from .costs import get_cost
from .data import one_hot
from .settings import EVAL_CHUNK
from .train import StopRule


class _Workspace:
    """The arrays one mini-batch of size m flows through, allocated once and reused.

    ``x : (n_in, m)`` F-ordered, so that gathering examples writes whole columns;
    ``y : (n_out, m)``; ``a[l]``, ``delta[l] : (sizes[l+1], m)``, as tuples, the form the
    compiled step takes them in.  The gradients never get arrays of their own: BLAS adds them
    to the weights directly (see `kernels._update_weights`).
    """

    def __init__(self, sizes, m, dtype):
        self.x = aligned.empty((sizes[0], m), dtype, order="F")
        self.y = aligned.empty((sizes[-1], m), dtype)
        self.a = tuple(aligned.empty((n, m), dtype) for n in sizes[1:])
        self.delta = tuple(aligned.empty((n, m), dtype) for n in sizes[1:])
        self._parallel = {}

    def parallel(self, sizes, threads):
        """The arrays of `parallel.train_batches` for `threads` threads, made once."""
        if threads not in self._parallel:
            self._parallel[threads] = parallel.buffers(sizes, self.x.shape[1], self.x.dtype,
                                                       threads)
        return self._parallel[threads]


class Network:
    """A fully connected sigmoid network trained by mini-batch SGD, as in the book.

    Parameters
    ----------
    sizes : sequence of int
        Neurons per layer, input first: ``[784, 30, 10]``, ``[784, 30, 30, 10]``, ...
    cost : "quadratic", "cross-entropy" or "log-likelihood"
        The cost (see `fastnet.costs`).  "log-likelihood" gives a softmax output layer.
    init : "large" or "default"
        Initial weights from N(0, 1) (network.py, "large") or N(0, 1/n_in) (network2.py's
        default).  Biases are always N(0, 1).
    dtype : "float64" or "float32"
        float64 reproduces the reference to the last bits; float32 is faster.
    seed : None, int or numpy.random.Generator
        Source of the initial parameters and of the shuffling of every epoch.  Parameters are
        drawn in float64, biases first, exactly as the reference does, then cast to `dtype`.

    ``cost="quadratic", init="large"`` is the book's network.py; ``cost="cross-entropy",
    init="default"`` with ``lmbda`` is network2.py.
    """

    def __init__(self, sizes, cost="quadratic", init="large", dtype="float64", seed=None):
        self.sizes = check_sizes(sizes)
        self.cost = get_cost(cost)
        self.init = check_init(init)
        self.dtype = check_dtype(dtype)
        try:
            self.rng = np.random.default_rng(seed)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"seed must be None, a non-negative int or a Generator: {exc}")
        biases = [self.rng.standard_normal((n, 1)) for n in self.sizes[1:]]
        weights = [self.rng.standard_normal((n, k)) / (math.sqrt(k) if init == "default" else 1.0)
                   for k, n in zip(self.sizes[:-1], self.sizes[1:])]
        self._biases = [aligned.copy(b, self.dtype) for b in biases]
        self._weights = [aligned.copy(w, self.dtype) for w in weights]
        self._velocity_w = None
        self._velocity_b = None
        self._workspaces = {}

    # -- parameters --------------------------------------------------------------------------

    @property
    def weights(self):
        """List of the weight matrices, ``(n_out, n_in)`` each.  Assign a list to replace them."""
        return list(self._weights)

    @weights.setter
    def weights(self, values):
        self._weights = self._check_parameters(values, [(n, k) for k, n in
                                                         zip(self.sizes[:-1], self.sizes[1:])],
                                               "weights")
        self._velocity_w = None

    @property
    def biases(self):
        """List of the bias vectors, ``(n_out, 1)`` each.  Assign a list to replace them."""
        return list(self._biases)

    @biases.setter
    def biases(self, values):
        self._biases = self._check_parameters(values, [(n, 1) for n in self.sizes[1:]], "biases")
        self._velocity_b = None

    def _check_parameters(self, values, shapes, what):
        values = list(values)
        if len(values) != len(shapes):
            raise ValueError(f"{what}: expected {len(shapes)} arrays for sizes {self.sizes}, "
                             f"got {len(values)}")
        checked = []
        for layer, (value, shape) in enumerate(zip(values, shapes)):
            value = np.asarray(value)
            if value.shape != shape:
                raise ValueError(f"{what}[{layer}] must have shape {shape}, not {value.shape}")
            if not np.issubdtype(value.dtype, np.number) or np.iscomplexobj(value):
                raise ValueError(f"{what}[{layer}] must be real numbers, not {value.dtype}")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{what}[{layer}] contains inf or nan")
            checked.append(aligned.copy(value, self.dtype))
        return checked

    # -- inference ---------------------------------------------------------------------------

    def feedforward(self, X):
        """Output activations ``(n_out, m)`` for the inputs ``X : (n_in, m)``.

        ``X`` may be float32, float64 or uint8; uint8 is read as pixel bytes and scaled by
        1/256, as `load_mnist(dtype=numpy.uint8)` intends.  An inf or a nan in X is a
        ValueError naming its column (`checks.NonFiniteColumn`).
        """
        X = self._check_inputs(X)
        out = np.empty((self.sizes[-1], X.shape[1]), self.dtype)
        for start in range(0, X.shape[1], EVAL_CHUNK):
            stop = min(start + EVAL_CHUNK, X.shape[1])
            out[:, start:stop] = self._forward(X[:, start:stop], start)
        return out

    def _forward(self, X, offset):
        """The output activations of the columns ``X : (n_in, c)``, columns offset.. of the
        caller's data (the column an inf or a nan is reported in, `checks.check_columns`,
        from the first layer's products: no pass of its own over X)."""
        # Huge weights overflow in the products; the sigmoid maps +-inf to 1 and 0, so the
        # result stays meaningful and a warning would only be noise.
        with np.errstate(over="ignore", invalid="ignore"):
            a = self._as_float(X)
            for layer, (w, b) in enumerate(zip(self._weights, self._biases)):
                a = w @ a
                if layer == 0 and X.dtype != np.uint8:
                    check_columns(X, a, offset)
                self._activate(layer, a, b)
            return a

    def _activate(self, layer, z, b):
        """z <- activation(z + b), in place: sigmoid, or softmax in the output layer if asked."""
        if layer == len(self._weights) - 1 and self.cost.output == "softmax":
            kernels._bias_softmax(z, b)
        else:
            kernels._bias_sigmoid(z, b)

    def predict(self, X):
        """The class picked for each column of ``X : (n_in, m)``, as an int64 array ``(m,)``."""
        return np.argmax(self.feedforward(X), axis=0)

    def accuracy(self, X, y):
        """Number of columns of ``X : (n_in, m)`` whose prediction equals the label in ``y``."""
        return self._accuracy(*self._check_data((X, y), "data", allow_empty=True))

    def _accuracy(self, X, y):
        # Chunk by chunk: the outputs of a whole data set (10 x 50,000 float64, 4 MB) are
        # never held at once.
        correct = 0
        for start in range(0, X.shape[1], EVAL_CHUNK):
            stop = min(start + EVAL_CHUNK, X.shape[1])
            predicted = np.argmax(self._forward(X[:, start:stop], start), axis=0)
            correct += int(np.count_nonzero(predicted == y[start:stop]))
        return correct

    def total_cost(self, X, y, lmbda=0.0):
        """network2.py's total_cost: the mean cost over the examples plus the L2 term
        ``0.5 * (lmbda / m) * sum ||w||^2``, with m the number of examples evaluated."""
        X, y = self._check_data((X, y), "data")
        return self._total_cost(X, y, check_nonnegative(lmbda, "lmbda"))

    def _total_cost(self, X, y, lmbda):
        m = X.shape[1]
        total = 0.0
        for start in range(0, m, EVAL_CHUNK):
            stop = min(start + EVAL_CHUNK, m)
            a = self._forward(X[:, start:stop], start)
            total += self.cost.fn(a.astype(np.float64), one_hot(y[start:stop], self.sizes[-1]))
        with np.errstate(over="ignore"):  # weights of a diverged run: the cost is inf
            l2 = sum(float(np.sum(np.square(w, dtype=np.float64))) for w in self._weights)
        return total / m + 0.5 * (lmbda / m) * l2

    # -- model files -------------------------------------------------------------------------

    def save(self, path):
        """Write the network to ``path`` in the JSON format of the book's network2.py,
        atomically; `fastnet.load` reads it back (see `fastnet.model_file`)."""
        model_file.save(self, path)

    # -- training ----------------------------------------------------------------------------

    def update_mini_batch(self, X, Y, eta, lmbda=0.0, n=None, mu=0.0):
        """One gradient step on the mini-batch ``X : (n_in, m)`` with targets ``Y : (n_out, m)``.

        ``w <- (1 - eta*lmbda/n) w - (eta/m) * sum of the per-example gradients``, biases
        without the decay; ``n`` is the size of the whole training set (needed when lmbda > 0).
        With ``mu > 0``, momentum: ``v <- mu*v - eta*grad; w <- w + v``.  A column of X
        with an inf or a nan is a ValueError naming it (`checks.NonFiniteColumn`), the
        network unchanged.
        """
        X = self._check_inputs(X)
        if X.shape[1] == 0:
            raise ValueError(f"X is empty: shape {X.shape}, no examples to step on")
        Y = np.asarray(Y)
        if Y.shape != (self.sizes[-1], X.shape[1]):
            raise ValueError(f"Y must have shape ({self.sizes[-1]}, {X.shape[1]}) to match X, "
                             f"not {Y.shape}")
        if Y.dtype.kind not in "fiub":
            raise ValueError(f"Y must hold real numbers, not {Y.dtype}")
        eta, lmbda, mu = check_hyperparameters(eta, lmbda, mu)
        if lmbda > 0 and n is None:
            raise ValueError("n, the size of the training set, is needed when lmbda > 0")
        n = 1 if n is None else check_count(n, "n")
        ws = self._workspace(X.shape[1])
        ws.x[...] = X
        if X.dtype == np.uint8:
            ws.x *= 1 / 256
        ws.y[...] = Y
        bad = self._step(ws, eta, lmbda, n, mu)
        if bad >= 0:
            raise bad_column(X, int(bad), self.dtype)

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, evaluation_data=None,
            monitor_evaluation_cost=False, monitor_evaluation_accuracy=None,
            monitor_training_cost=False, monitor_training_accuracy=False, mu=0.0,
            early_stopping=None, schedule=False, on_batch=None, on_epoch=None, threads=1,
            order=None):
        """Train by mini-batch stochastic gradient descent; returns a `History`.

        ``training_data`` and ``evaluation_data`` are ``(X, y)`` pairs as `load_mnist` gives
        them: ``X : (n_in, n)`` (F-ordered is fastest), integer labels ``y : (n,)``.  Each
        epoch shuffles with the network's Generator (``rng.permutation(n)``) and cuts the
        permutation into mini-batches, the last one possibly shorter.

        Monitoring is network2's: the four ``monitor_*`` switches; evaluation accuracy is
        monitored by default when evaluation data are given.  ``lmbda`` is the L2 parameter,
        with n = the training-set size in the decay; ``mu`` the momentum coefficient.

        ``early_stopping=n`` stops after n epochs without improvement in evaluation accuracy;
        ``schedule=True`` halves eta at each such event (n defaults to 10) and stops below
        eta/128.  ``on_batch()`` is called after every mini-batch: a true result stops the run
        after that mini-batch (used for Ctrl-C and progress bars).  ``on_epoch(epoch, history)``
        is called after each epoch's record.

        ``threads`` is how many cores to train on.  With more than one, each thread owns a
        share of every layer's neurons (`fastnet.parallel`; a network without a hidden layer
        trains on one): faster on idle cores at large mini-batches, slower when another
        process keeps a core busy (the threads advance in lock-step; docs/benchmarks.md).
        The result depends on the number of threads in its last bits, as a multi-threaded
        BLAS's does, and is the same on every run with the same number; the default, 1, gives
        the same result on every machine.

        ``order(epoch)``, if given, replaces the shuffle: it returns the int64 indices of the
        columns of X to train on in that epoch, in order (a column may be left out or repeated;
        n = their number, in the mini-batches and the L2 decay alike).  `fastnet.book` uses it
        to follow the book's ``random.shuffle``.

        Raises `DivergenceError` (with the history so far) if the parameters or a monitored
        cost stop being finite; the parameters are then restored to the last finite epoch.
        Empty data, or data that do not fit the network, are a ValueError before any work.
        An inf or a nan in the training or evaluation data is found in the first layer's
        products (no pass over the data set is made for it) and is a ValueError naming the
        data and the column (`checks.NonFiniteColumn`), with the network as it was before the
        call: parameters, velocities and generator.  The epochs run in `fastnet.train.sgd`.
        """
        training_data = self._check_data(training_data, "training_data")
        epochs = check_count(epochs, "epochs", minimum=0)
        m = check_count(mini_batch_size, "mini_batch_size")
        eta, lmbda, mu = check_hyperparameters(eta, lmbda, mu)
        if monitor_evaluation_accuracy is None:
            monitor_evaluation_accuracy = evaluation_data is not None
        scored = monitor_evaluation_accuracy or monitor_evaluation_cost
        if evaluation_data is not None:
            # Empty evaluation data cannot be scored; unscored, they are never read.
            evaluation_data = self._check_data(evaluation_data, "evaluation_data",
                                               allow_empty=not scored)
        if scored and evaluation_data is None:
            raise ValueError("monitoring the evaluation data needs evaluation_data")
        if early_stopping is not None:
            early_stopping = check_count(early_stopping, "early_stopping")
        threads = check_threads(threads, self.sizes)
        stop_rule = StopRule(eta, early_stopping, schedule)
        if stop_rule.active and not monitor_evaluation_accuracy:
            raise ValueError("early stopping and the schedule need evaluation accuracy")
        switches = {"training_cost": monitor_training_cost,
                    "training_accuracy": monitor_training_accuracy,
                    "evaluation_cost": monitor_evaluation_cost,
                    "evaluation_accuracy": monitor_evaluation_accuracy}
        monitor = [name for name, on in switches.items() if on]
        return train.sgd(self, training_data, epochs, m, eta, lmbda, evaluation_data, monitor,
                         mu, stop_rule, on_batch, on_epoch, threads, order)

    def _step(self, ws, eta, lmbda, n, mu):
        """One SGD step on the mini-batch held in the workspace ``ws`` (see
        `kernels._train_step` for the arithmetic); returns -1, or the column of ``ws.x`` that
        holds an inf or a nan (the step then changed nothing)."""
        return kernels._train_step(ws.x, ws.y, *kernels.make_step(self, ws.x.shape[1], eta,
                                                                 lmbda, n, mu))

    # -- internals ---------------------------------------------------------------------------

    def _workspace(self, m):
        ws = self._workspaces.get(m)
        if ws is None:
            ws = self._workspaces[m] = _Workspace(self.sizes, m, self.dtype)
        return ws

    def _ensure_velocity(self):
        if self._velocity_w is None:
            self._velocity_w = [aligned.zeros(w.shape, w.dtype) for w in self._weights]
        if self._velocity_b is None:
            self._velocity_b = [aligned.zeros(b.shape, b.dtype) for b in self._biases]

    def _parameters_finite(self):
        return all(kernels._all_finite(p) for p in self._weights + self._biases)

    def _snapshot(self):
        return [aligned.copy(p) for p in self._weights + self._biases]

    def _restore(self, saved):
        n = len(self._weights)
        self._weights, self._biases = saved[:n], saved[n:]
        self._velocity_w = self._velocity_b = None

    def _as_float(self, X):
        """``X`` as an array of the network's dtype; uint8 pixel bytes are divided by 256."""
        if X.dtype == np.uint8:
            return np.multiply(X, self.dtype.type(1 / 256), dtype=self.dtype)
        return np.asarray(X, self.dtype)

    def _check_inputs(self, X):
        return check_inputs(X, self.sizes[0])

    def _check_data(self, data, what, allow_empty=False):
        return check_data(data, what, self.sizes, allow_empty)

    def __repr__(self):
        return (f"Network({self.sizes}, cost={self.cost.name!r}, init={self.init!r}, "
                f"dtype={self.dtype.name!r})")

    # -- measuring ---------------------------------------------------------------------------

    def layer_speeds(self, X, y):
        """How fast each hidden layer learns (chapter 5): for each hidden layer, first hidden
        layer first, the Euclidean norm of the gradient of the cost with respect to its
        biases averaged over the examples ``X : (n_in, m)``, ``y : (m,)`` labels, the book's
        ||delta^l||.  A list of floats; see `fastnet.gradients`."""
        return gradients.layer_speeds(self, X, y)


def load(path):
    """The `fastnet.Network` stored at ``path``, by fastnet or by the book's network2.py
    (`fastnet.model_file` reads and checks the file).  A file that fails a check raises
    ValueError naming the file and the problem; one that cannot be read, OSError."""
    model = model_file.read(path)
    net = Network(model.sizes, cost=model.cost, init=model.init, dtype=model.dtype)
    net.weights = model.weights
    net.biases = model.biases
    return net
