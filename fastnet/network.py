"""The network: its parameters, inference, validation, model files and training calls.

`Network.SGD` is the book's entry point; it checks its arguments (`fastnet.checks`), resolves
the hyper-parameters into a `config.TrainConfig` and hands the epochs to `fastnet.train.sgd`.

The book's code runs backprop once per example, on ``(784, 1)`` columns, and adds up the
gradients.  Here a mini-batch of m examples is one ``(n_in, m)`` matrix: each layer is one
matrix product (BLAS) followed by one pass of a numba kernel (`fastnet.layers`), and the
summed gradient of a layer's weights is one more product, ``delta @ a_prev.T``, which BLAS adds
to the weights directly for plain SGD (`fastnet.updates`).  The arithmetic is the book's; only
the order of the additions differs, and `tests/test_crosscheck.py` holds the two to within
`fastnet.tolerances.CROSSCHECK_ATOL` of each other.

Training runs compiled: a whole SGD step is one numba function (`step._train_step`), and an
epoch's mini-batches one call (`step._train_batches`, from `fastnet.train`), unless an
``on_batch`` callback needs Python after each.  What training changes and works in lives in
one `state.TrainState` (``Network.state``).

Shapes: ``X : (n_in, m)``, one example per column; ``w : (n_out, n_in)``; ``b : (n_out, 1)``.
"""

import math

import numpy as np

from . import evaluation, gradients, model_file, train
from .activations import check_activation
from .checks import DTYPES, INITS  # noqa: F401  (importable from here, as before)
from .checks import (bad_column, check_count, check_data, check_dtype, check_hyperparameters,
                     check_init, check_inputs, check_nonnegative, check_sample_weight,
                     check_sizes, check_threads, check_verbose)
from .config import T, TrainConfig
from .costs import get_cost
from .history import run_config
from .optimizers import check_optimizer
from .penalties import check_penalty
from .state import TrainState
from .step import _step_flushed, make_step
from .train import StopRule


class Network:
    """A fully connected network trained by mini-batch SGD, as in the book.

    Parameters
    ----------
    sizes : sequence of int
        Neurons per layer, input first: ``[784, 30, 10]``, ``[784, 30, 30, 10]``, ...
    cost : "quadratic", "cross-entropy" or "log-likelihood"
        The cost (see `fastnet.costs`); it sets the output layer: sigmoid neurons, or a
        softmax for "log-likelihood".
    init : "large" or "default"
        Initial weights from N(0, 1) (network.py, "large") or N(0, 1/n_in) (network2.py's
        default).  Biases are always N(0, 1).
    dtype : "float64" or "float32"
        float64 reproduces the reference to the last bits; float32 is faster.
    seed : None, int or numpy.random.Generator
        Source of the initial parameters and of the shuffling of every epoch.  Parameters are
        drawn in float64, biases first, exactly as the reference does, then cast to `dtype`.
    activation : "sigmoid", "tanh", "relu" or "identity"
        The hidden layers' neurons (chapter 3's "other models of artificial neuron"; see
        `fastnet.activations`).  ReLU's derivative at 0 is 0.
    penalty : "l2" or "l1"
        What ``lmbda`` regularizes with: L2's weight decay (network2.py) or L1's
        ``w <- w - (eta*lmbda/n) sgn(w) - eta*grad`` (chapter 3).  Biases are never penalised.

    ``cost="quadratic", init="large"`` is the book's network.py; ``cost="cross-entropy",
    init="default"`` with ``lmbda`` is network2.py.

    Inputs ``X : (n_in, m)`` may be float64, float32 or uint8 everywhere (`SGD`,
    `update_mini_batch`, `feedforward`, `accuracy`, `total_cost`); uint8 is read as pixel
    bytes and scaled by 1/256, as `load_mnist(dtype=numpy.uint8)` intends.  Integers that are
    numbers, not pixels, are cast to floats first (`fastnet.MLPClassifier` does so).

    ``state`` holds everything training changes and works in (`fastnet.state.TrainState`).
    A network is trained by one caller at a time: a second, concurrent `SGD` or
    `update_mini_batch` (from another thread) is refused with a RuntimeError.  Pickling and
    copying keep the parameters and the optimizer's state, not the work arrays.
    """

    _last_step_arguments = None  # (key, (config, kinds)) of the last `update_mini_batch`

    def __init__(self, sizes, cost="quadratic", init="large", dtype="float64", seed=None,
                 activation="sigmoid", penalty="l2"):
        self.sizes = check_sizes(sizes)
        self.cost = get_cost(cost)
        self.init = check_init(init)
        self.dtype = check_dtype(dtype)
        self.activation = check_activation(activation)
        self.penalty = check_penalty(penalty)
        try:
            self.rng = np.random.default_rng(seed)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"seed must be None, a non-negative int or a Generator: {exc}")
        biases = [self.rng.standard_normal((n, 1)) for n in self.sizes[1:]]
        weights = [self.rng.standard_normal((n, k)) / (math.sqrt(k) if init == "default" else 1.0)
                   for k, n in zip(self.sizes[:-1], self.sizes[1:])]
        self.state = TrainState(self.sizes, self.dtype, weights, biases)

    # -- parameters --------------------------------------------------------------------------

    @property
    def weights(self):
        """List of the weight matrices, ``(n_out, n_in)`` each.  Assign a list to replace them
        (the optimizer's state, velocities or moments, then starts afresh)."""
        return list(self.state.weights)

    @weights.setter
    def weights(self, values):
        self.state.set_parameters(weights=self._check_parameters(
            values, [(n, k) for k, n in zip(self.sizes[:-1], self.sizes[1:])], "weights"))

    @property
    def biases(self):
        """List of the bias vectors, ``(n_out, 1)`` each.  Assign a list to replace them."""
        return list(self.state.biases)

    @biases.setter
    def biases(self, values):
        self.state.set_parameters(biases=self._check_parameters(
            values, [(n, 1) for n in self.sizes[1:]], "biases"))

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
            checked.append(value)
        return checked

    # -- inference ---------------------------------------------------------------------------

    def feedforward(self, X):
        """Output activations ``(n_out, m)`` for the inputs ``X : (n_in, m)``.

        ``X`` may be float32, float64 or uint8; uint8 is read as pixel bytes and scaled by
        1/256, as `load_mnist(dtype=numpy.uint8)` intends.  An inf or a nan in X is a
        ValueError naming its column (`checks.NonFiniteColumn`).
        """
        return evaluation.feedforward(self, self._check_inputs(X))

    def predict(self, X):
        """The class picked for each column of ``X : (n_in, m)``, as an int64 array ``(m,)``."""
        return np.argmax(self.feedforward(X), axis=0)

    def accuracy(self, X, y):
        """Number of columns of ``X : (n_in, m)`` whose prediction equals the label in ``y``."""
        X, y = check_data((X, y), "data", self.sizes, allow_empty=True, labels=True)
        return evaluation.correct(self, X, y)

    def total_cost(self, X, y, lmbda=0.0):
        """network2.py's total_cost: the mean cost over the m examples plus the penalty,
        ``0.5 * (lmbda / m) * sum ||w||^2`` for L2, ``(lmbda / m) * sum |w|`` for L1.  ``y``:
        int labels ``(m,)`` or a target matrix ``(n_out, m)``."""
        X, y = check_data((X, y), "data", self.sizes)
        return evaluation.total_cost(self, X, y, check_nonnegative(lmbda, "lmbda"))

    # -- model files -------------------------------------------------------------------------

    def save(self, path):
        """Write the network to ``path`` in the JSON format of the book's network2.py,
        atomically; `fastnet.load` reads it back (see `fastnet.model_file`)."""
        model_file.save(self, path)

    # -- training ----------------------------------------------------------------------------

    def update_mini_batch(self, X, Y, eta, lmbda=0.0, n=None, mu=0.0, optimizer="sgd",
                          betas=(0.9, 0.999), epsilon=1e-8):
        """One gradient step on the mini-batch ``X : (n_in, m)`` with targets ``Y : (n_out, m)``.

        ``w <- (1 - eta*lmbda/n) w - (eta/m) * sum of the per-example gradients``, biases
        without the decay (L2; with L1, ``w <- w - (eta*lmbda/n) sgn(w) - ...``); ``n`` is the
        size of the whole training set (needed when lmbda > 0).  With ``mu > 0``, momentum:
        ``v <- mu*v - eta*grad; w <- w + v``; ``optimizer`` as in `SGD`, whose state carries
        on from call to call.  A column of X with an inf or a nan is a ValueError naming it
        (`checks.NonFiniteColumn`), the network unchanged.
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
        if not np.isfinite(Y).all():
            raise ValueError("Y, the targets, contain inf or nan")
        config, kinds = self._step_arguments(eta, lmbda, n, mu, optimizer, betas, epsilon)
        with self.state.training():
            step = make_step(self.state, config, kinds, X.shape[1])
            x = step.x
            x[...] = X
            if X.dtype == np.uint8:
                x *= 1 / 256
            step.y[...] = Y
            with np.errstate(over="ignore", invalid="ignore"):
                bad = _step_flushed(step.x, step.y, step.sw, float(X.shape[1]), *step[3:])
            if bad >= 0:
                raise bad_column(X, int(bad), self.dtype)
            self.state.t = int(step.control[T])

    def _step_arguments(self, eta, lmbda, n, mu, optimizer, betas, epsilon):
        """The checked `TrainConfig` of an `update_mini_batch` call and its kinds array.

        A learner's loop calls with the same arguments mini-batch after mini-batch, and the
        checks and the arrays cost a third as much as the step itself at mini-batch 10: the
        last call's are kept, keyed by the arguments as given (with their types, so that a
        value one check would refuse never passes as an equal one that it accepted)."""
        key = tuple((type(v), v) for v in (eta, lmbda, n, mu, optimizer, epsilon)) + (
            type(betas), tuple(betas) if isinstance(betas, (tuple, list)) else betas,
            self.activation, self.cost, self.penalty)
        last = self._last_step_arguments
        try:
            hit = last is not None and last[0] == key
        except (TypeError, ValueError):  # an array among them: the checks below say what is wrong
            hit = False
        if hit:
            return last[1]
        eta, lmbda, mu = check_hyperparameters(eta, lmbda, mu)
        optimizer, mu, betas, epsilon = check_optimizer(optimizer, mu, betas, epsilon)
        if lmbda > 0 and n is None:
            raise ValueError("n, the size of the training set, is needed when lmbda > 0")
        n = 1 if n is None else check_count(n, "n")
        config = TrainConfig(eta, lmbda, float(n), mu, optimizer, betas, epsilon)
        arguments = config, config.kinds(self.activation, self.cost, self.penalty)
        self._last_step_arguments = key, arguments
        return arguments

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, evaluation_data=None,
            monitor_evaluation_cost=False, monitor_evaluation_accuracy=None,
            monitor_training_cost=False, monitor_training_accuracy=False, mu=0.0,
            early_stopping=None, schedule=False, on_batch=None, on_epoch=None, threads=1,
            order=None, optimizer="sgd", betas=(0.9, 0.999), epsilon=1e-8,
            sample_weight=None, monitor_loss=False, verbose=None, on_progress=None):
        """Train by mini-batch stochastic gradient descent; returns a `History`.

        ``training_data`` and ``evaluation_data`` are ``(X, y)`` pairs as `load_mnist` gives
        them: ``X : (n_in, n)`` (F-ordered is fastest), integer labels ``y : (n,)`` (or, for
        training and costs, a target matrix ``(n_out, n)``: soft or multilabel targets).  Each
        epoch shuffles with the network's Generator (``rng.permutation(n)``) and cuts the
        permutation into mini-batches, the last one possibly shorter.

        Monitoring is network2's: the four ``monitor_*`` switches; evaluation accuracy is
        monitored by default when evaluation data are given.  ``monitor_loss`` adds the loss
        tallied as the mini-batches train (`History.loss`: no pass over the data of its own).  ``lmbda`` is the penalty's
        parameter (the network's ``penalty``), with n = the training-set size; ``mu`` the
        momentum coefficient.

        ``optimizer``: "sgd" (the book's, with momentum when ``mu > 0``), "nesterov"
        (Nesterov momentum, needs ``mu > 0``) or "adam" (``eta`` its step size, ``betas`` and
        ``epsilon`` its constants, as torch.optim.Adam); see `fastnet.optimizers`.  The
        penalty's gradient joins the cost's before the optimizer sees it.  The optimizer's
        state (velocity, moments, step count) carries on from one call to the next.
        ``sample_weight`` : (n,) weights of the examples: each example's gradient counts that
        much, and a mini-batch's step is divided by its weight instead of its size.

        ``early_stopping=n`` stops after n epochs without improvement in evaluation accuracy;
        ``schedule=True`` halves eta at each such event (n defaults to 10) and stops below
        eta/128.  ``on_epoch(epoch, history)`` is called after each epoch's record.
        ``on_progress(epoch, done, total)`` is called about every 0.1 s while an epoch trains
        (by the calling thread, which waits on the compiled epoch), with the mini-batches done
        of the epoch's total, and once more at its end; a true result stops the run after the
        current mini-batch.  It costs the epoch nothing: a progress bar, a stop button.
        ``on_batch()`` is called after every mini-batch, a true result stopping the run there;
        it costs a return to Python per mini-batch (about 15% of an epoch at mini-batch 10).

        ``verbose``: 1 (or True) prints a line per epoch as the book's code does (the
        accuracy, what else is monitored, the seconds the epoch's training took); 2 adds a
        progress bar over each epoch's mini-batches (tqdm.auto: a widget in Jupyter, text on
        a terminal); 0 (or False) prints nothing.  The default, None, is 1 in an interactive
        session (a notebook, IPython, the Python prompt), where the book's readers work and a
        silent cell looks hung, and 0 elsewhere (scripts, the command line, worker
        processes), as a library is quiet unless asked; either way it costs the epoch
        nothing.  The History says the same, and more (`History.epoch_line`).

        Ctrl-C (KeyboardInterrupt) stops the run after the current mini-batch: `SGD` returns
        the History so far with ``stopped == "interrupted"``, the network as that mini-batch
        left it (between epochs, or in ``on_epoch``: as the last epoch left it); a second
        Ctrl-C aborts at once.

        ``threads`` is how many cores to train on.  With more than one, each thread owns a
        share of every layer's neurons (`fastnet.parallel`; a network without a hidden layer
        trains on one): faster on idle cores at large mini-batches, slower when another
        process keeps a core busy (the threads advance in lock-step; docs/benchmarks.md).
        The result depends on the number of threads in its last bits, as a multi-threaded
        BLAS's does, and is the same on every run with the same number; the default, 1, gives
        the same result on every machine.  Scoring runs on as many BLAS threads.

        ``order(epoch)``, if given, replaces the shuffle: it returns the int64 indices of the
        columns of X to train on in that epoch, in order (a column may be left out or repeated;
        n = their number, in the mini-batches and the penalty alike).  `fastnet.book` uses it
        to follow the book's ``random.shuffle``.

        Raises `DivergenceError` (with the history so far) if the parameters or a monitored
        cost stop being finite; the parameters and optimizer state are then restored to the
        last finite epoch.  Empty data, or data that do not fit the network, are a ValueError
        before any work.  An inf or a nan in the training or evaluation data is found in the
        first layer's products (no pass over the data set is made for it) and is a ValueError
        naming the data and the column (`checks.NonFiniteColumn`), with the network as it was
        before the call: parameters, optimizer state and generator.  The epochs run in
        `fastnet.train.sgd`.
        """
        verbose = check_verbose(verbose)
        training_data = check_data(training_data, "training_data", self.sizes)
        epochs = check_count(epochs, "epochs", minimum=0)
        m = check_count(mini_batch_size, "mini_batch_size")
        eta, lmbda, mu = check_hyperparameters(eta, lmbda, mu)
        optimizer, mu, betas, epsilon = check_optimizer(optimizer, mu, betas, epsilon)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, training_data[0].shape[1],
                                                self.dtype)
        if monitor_evaluation_accuracy is None:
            monitor_evaluation_accuracy = evaluation_data is not None
        scored = monitor_evaluation_accuracy or monitor_evaluation_cost
        if evaluation_data is not None:
            # Empty evaluation data cannot be scored; unscored, they are never read.
            evaluation_data = check_data(evaluation_data, "evaluation_data", self.sizes,
                                         allow_empty=not scored,
                                         labels=monitor_evaluation_accuracy)
        if scored and evaluation_data is None:
            raise ValueError("monitoring the evaluation data needs evaluation_data")
        if monitor_training_accuracy and training_data[1].ndim != 1:
            raise ValueError("monitoring the training accuracy needs integer labels, not a "
                             "target matrix")
        if early_stopping is not None:
            early_stopping = check_count(early_stopping, "early_stopping")
        threads = check_threads(threads, self.sizes)
        stop_rule = StopRule(eta, early_stopping, schedule)
        if stop_rule.active and not monitor_evaluation_accuracy:
            raise ValueError("early stopping and the schedule need evaluation accuracy")
        switches = {"training_cost": monitor_training_cost,
                    "training_accuracy": monitor_training_accuracy,
                    "evaluation_cost": monitor_evaluation_cost,
                    "evaluation_accuracy": monitor_evaluation_accuracy,
                    "loss": monitor_loss}
        monitor = [name for name, on in switches.items() if on]
        config = TrainConfig(eta, lmbda, None, mu, optimizer, betas, epsilon)
        settings = run_config(self, config, epochs=epochs, mini_batch_size=m, threads=threads,
                              train_size=training_data[0].shape[1],
                              eval_size=(None if evaluation_data is None else
                                         evaluation_data[0].shape[1]),
                              monitor=monitor, early_stopping=early_stopping,
                              schedule=schedule)
        with self.state.training():
            return train.sgd(self, training_data, config, epochs=epochs, mini_batch_size=m,
                             evaluation_data=evaluation_data, monitor=monitor,
                             stop_rule=stop_rule, on_batch=on_batch, on_epoch=on_epoch,
                             threads=threads, order=order, sample_weight=sample_weight,
                             verbose=verbose, settings=settings, on_progress=on_progress)

    # -- internals ---------------------------------------------------------------------------

    def _check_inputs(self, X):
        return check_inputs(X, self.sizes[0])

    def __repr__(self):
        extra = "".join(f", {name}={value!r}" for name, value, default in
                        (("activation", self.activation, "sigmoid"),
                         ("penalty", self.penalty, "l2")) if value != default)
        return (f"Network({self.sizes}, cost={self.cost.name!r}, init={self.init!r}, "
                f"dtype={self.dtype.name!r}{extra})")

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
    net = Network(model.sizes, cost=model.cost, init=model.init, dtype=model.dtype,
                  activation=model.activation, penalty=model.penalty)
    net.weights = model.weights
    net.biases = model.biases
    return net
