"""The implementations `fastnet bench` times, and the data each trains on.

Each is a class whose instance holds one network and trains it: ``Cls(data, sizes, batch,
dtype, threads, variant)`` builds the network of layer sizes ``sizes`` with the setup of
``variant`` (`fastnet.bench.variants`; ``BOOK``, network.py's, by default); ``epoch(k)`` runs
one epoch over the first k training images at mini-batch ``batch``; ``accuracy()`` is the
fraction right of the N_EVAL validation images (None when there is no network yet); an
optional ``warm_up(k)`` does, untimed, what the first timed ``epoch(k)`` would do once only
(load or compile code).  `threads` is the setting's thread count: fastnet trains on that many
threads; the others follow the BLAS and PyTorch limits that `timing.blas_threads` sets, and
JAX its own (`jax_run`).  ``variants`` (a class attribute) names the variants an
implementation is timed in; None: all of them (without the attribute: the book's only).

To time another implementation: write such a class (with a ``name``), put it in
IMPLEMENTATIONS with each dtype to time, and, when it needs the data in another form, make
that form in `Data` (once, outside the timings).  An optional peer, compared against in a
column of its own, also goes in PEERS with the modules it needs; an implementation that needs
a peer's library without being one names that peer in ``requires``; a class that can run only
under some thread counts says so in ``runs_on(threads)`` (None, or why not).
"""

import importlib.util
import warnings

import numpy as np

from .. import reference
from ..data import as_dtype
from ..network import Network
from .jax_run import JaxRun
from .variants import BOOK, N_EPOCH, N_EVAL, SEED  # noqa: F401  (importable from here)

ETA = BOOK.eta  # network.py's learning rate, which the book's rows train at

# Each optional peer and the modules it needs (the first one's version is the peer's).
PEERS = {"pytorch": ("torch",), "scikit-learn": ("sklearn",), "jax": ("jax", "optax")}


def installed(name):
    """Whether the peer implementation ``name`` ("pytorch", "scikit-learn", "jax") can be
    imported."""
    return all(importlib.util.find_spec(module) is not None for module in PEERS[name])


def available(cls):
    """Whether the implementation ``cls`` can run here: a peer, or one that ``requires`` a
    peer's library, only when that is installed."""
    peer = getattr(cls, "requires", cls.name if cls.name in PEERS else None)
    return peer is None or installed(peer)


class FastnetRun:
    """fastnet on the uint8 pixels; ``epoch_seconds`` is the last call's `History.seconds`
    (the epoch loop alone, without the call's checks)."""

    name = "fastnet"
    data_dtype = "uint8"
    variants = None

    def __init__(self, data, sizes, batch, dtype, threads=1, variant=BOOK):
        self.data, self.batch, self.threads, self.variant = data, batch, threads, variant
        self.net = Network(sizes, cost=variant.cost, init=variant.init, dtype=dtype, seed=SEED,
                           activation=variant.activation, penalty=variant.penalty)
        self.epoch_seconds = None

    def warm_up(self, k):
        """A call loads the kernels it needs (numba's cache) in that call: one mini-batch."""
        self.epoch(min(self.batch, k))

    def epoch(self, k):
        X, y = self.data.train_as(self.data_dtype)
        training = (X, y) if k == X.shape[1] else (X[:, :k], y[:k])
        v = self.variant
        history = self.net.SGD(training, 1, self.batch, v.eta, lmbda=v.lmbda,
                               optimizer=v.optimizer, betas=v.betas, epsilon=v.epsilon,
                               threads=self.threads)
        self.epoch_seconds = history.seconds[0]

    def accuracy(self):
        return self.net.accuracy(*self.data.evaluation) / N_EVAL


class FastnetFloat64DataRun(FastnetRun):
    """The README's path: fastnet on ``load_mnist()``'s float64 pixels, one SGD call."""

    name = "fastnet-f64data"
    data_dtype = "float64"
    variants = ("book",)


class FastnetFloat32DataRun(FastnetRun):
    """fastnet on ``load_mnist(dtype=numpy.float32)``'s pixels, one SGD call."""

    name = "fastnet-f32data"
    data_dtype = "float32"
    variants = ("book",)


class ReferenceRun:
    name = "reference"
    data_dtype = "float64"
    variants = ("book",)

    def __init__(self, data, sizes, batch, dtype, threads=1, variant=BOOK):
        assert dtype == "float64" and variant == BOOK
        self.data, self.batch = data, batch
        self.net = reference.Network(sizes, np.random.default_rng(SEED))

    def epoch(self, k):
        X, y = self.data.train_float64(k)
        self.net.SGD((X, y), 1, self.batch, ETA)

    def accuracy(self):
        X, y = self.data.evaluation
        return self.net.accuracy((X / 256.0, y)) / N_EVAL


class TorchRun:
    """PyTorch (CPU), float32 or float64: the variant's layers (`torch.nn.Linear` and
    ``Sigmoid``/``Tanh``/``ReLU``/``Identity``) from fastnet's initial parameters, the cost on a
    shuffled index gather per mini-batch, ``torch.optim.SGD`` or ``Adam``.  L2 is the
    optimizers' ``weight_decay`` (lmbda/n) on the weights' parameter group, biases in a group
    without it; L1 is ``(lmbda/n) * sum |w|`` added to the loss, n the epoch's images."""

    name = "pytorch"
    data_dtype = "uint8"  # converted per mini-batch
    variants = None
    HIDDEN = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU", "identity": "Identity"}

    def __init__(self, data, sizes, batch, dtype, threads=1, variant=BOOK):
        import torch

        self.torch, self.data, self.batch, self.variant = torch, data, batch, variant
        self.dtype = getattr(torch, dtype)
        start = Network(sizes, cost=variant.cost, init=variant.init, seed=SEED,
                        activation=variant.activation)  # the same start as fastnet's
        hidden = getattr(torch.nn, self.HIDDEN[variant.activation])
        layers, self.weights, biases = [], [], []
        for w, b in zip(start.weights, start.biases):
            linear = torch.nn.Linear(w.shape[1], w.shape[0], dtype=self.dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(w))
                linear.bias.copy_(torch.from_numpy(b[:, 0]))
            layers += [linear, hidden()]
            self.weights.append(linear.weight)
            biases.append(linear.bias)
        layers.pop()  # the output layer's function is the cost's
        if variant.cost == "quadratic":
            layers.append(torch.nn.Sigmoid())
        elif variant.cost != "cross-entropy":
            raise ValueError(f"no PyTorch form of the cost {variant.cost!r}")
        self.model = torch.nn.Sequential(*layers)
        groups = [{"params": self.weights}, {"params": biases, "weight_decay": 0.0}]
        if variant.optimizer == "adam":
            self.optimizer = torch.optim.Adam(groups, lr=variant.eta, betas=variant.betas,
                                              eps=variant.epsilon)
        else:
            self.optimizer = torch.optim.SGD(groups, lr=variant.eta)
        self.generator = torch.Generator().manual_seed(SEED)
        self.X, self.y = data.cached("torch", lambda: (  # (n, 784) uint8, one row each
            torch.from_numpy(np.ascontiguousarray(data.train[0].T)),
            torch.from_numpy(data.train[1].astype(np.int64))))
        self.k = sizes[-1]

    def epoch(self, k):
        torch, m, v = self.torch, self.batch, self.variant
        l1 = v.lmbda / k if v.penalty == "l1" else 0.0
        self.optimizer.param_groups[0]["weight_decay"] = v.lmbda / k if v.penalty == "l2" else 0.0
        perm = torch.randperm(k, generator=self.generator)
        for start in range(0, k, m):
            index = perm[start:start + m]
            x = self.X[index].to(self.dtype) / 256
            y = torch.nn.functional.one_hot(self.y[index], self.k).to(self.dtype)
            out = self.model(x)
            if v.cost == "quadratic":
                loss = 0.5 * ((out - y) ** 2).sum() / len(index)
            else:
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    out, y, reduction="sum") / len(index)
            if l1:
                loss = loss + l1 * sum(w.abs().sum() for w in self.weights)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def accuracy(self):
        X, y = self.data.evaluation
        with self.torch.no_grad():
            out = self.model(self.torch.from_numpy(X.T.astype(np.float32)).to(self.dtype) / 256)
        return float((out.argmax(dim=1).numpy() == y).mean())


class SklearnRun:
    name = "scikit-learn"
    data_dtype = "float"  # rows of the network's dtype, made once
    variants = ("book",)

    def __init__(self, data, sizes, batch, dtype, threads=1, variant=BOOK):
        self.data, self.dtype = data, dtype
        self.classes = np.arange(sizes[-1])
        self.model = self.estimator()(
            hidden_layer_sizes=tuple(sizes[1:-1]), activation="logistic", solver="sgd",
            batch_size=batch, learning_rate="constant", learning_rate_init=ETA, max_iter=1,
            momentum=0.0, nesterovs_momentum=False, alpha=0.0, shuffle=True,
            random_state=SEED, warm_start=True)

    @staticmethod
    def estimator():
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier

    def epoch(self, k):
        from sklearn.exceptions import ConvergenceWarning

        X, y = self.data.train_rows(k, self.dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=1 is the point
            self.model.fit(X, y)

    def accuracy(self):
        X, y = self.data.evaluation
        if not hasattr(self.model, "coefs_"):
            return None  # an MLPClassifier has no parameters before its first fit
        return float(self.model.score((X.T / 256.0).astype(self.dtype), y))


class FastnetSklearnRun(SklearnRun):
    """`fastnet.MLPClassifier` (fastnet.sklearn: scikit-learn's estimator on the engine) with
    the scikit-learn row's settings and data, one epoch per call: ``partial_fit``, which is
    the same epoch as the scikit-learn row's warm-started ``fit(max_iter=1)`` for plain SGD
    (the same RandomState each call, no optimizer state) and, unlike it, takes the warm-up
    call on a few images (`timing`) without all ten classes in them."""

    name = "fastnet-sklearn"
    requires = "scikit-learn"

    @staticmethod
    def estimator():
        from ..sklearn import MLPClassifier

        return MLPClassifier

    def __init__(self, data, sizes, batch, dtype, threads=1, variant=BOOK):
        super().__init__(data, sizes, batch, dtype, threads, variant)
        # With warm_start, scikit-learn's partial_fit wants every class in every call.
        self.model.set_params(warm_start=False)
        # Its rows, made here and not in the first timed call: timed on whole epochs, it may
        # get one call only (the plan's budget), whose conversion of 50,000 rows would count.
        data.train_rows(data.train[0].shape[1], dtype)

    def epoch(self, k):
        X, y = self.data.train_rows(k, self.dtype)
        self.model.partial_fit(X, y, classes=self.classes)


IMPLEMENTATIONS = [(FastnetRun, "float64"), (FastnetRun, "float32"), (ReferenceRun, "float64"),
                   (FastnetFloat64DataRun, "float64"), (FastnetFloat64DataRun, "float32"),
                   (FastnetFloat32DataRun, "float64"), (FastnetFloat32DataRun, "float32"),
                   (TorchRun, "float64"), (TorchRun, "float32"),
                   (SklearnRun, "float64"), (SklearnRun, "float32"),
                   (FastnetSklearnRun, "float64"), (FastnetSklearnRun, "float32"),
                   (JaxRun, "float64"), (JaxRun, "float32")]


class Data:
    """The training images as uint8 (what fastnet trains on) and the conversions the other
    implementations need, made once, outside the timings."""

    def __init__(self, train, evaluation):
        self.train = train
        self.evaluation = (evaluation[0][:, :N_EVAL], evaluation[1][:N_EVAL])
        self._float64 = {}
        self._rows = {}
        self._as = {"uint8": train}
        self._cached = {}

    def cached(self, key, make):
        """``make()``, made once per key and kept (another library's copy of the data)."""
        if key not in self._cached:
            self._cached[key] = make()
        return self._cached[key]

    def train_as(self, dtype):
        """The whole training set as ``load_mnist(dtype=dtype)`` gives it: (784, n)
        F-ordered pixels/256 for a float dtype (made once), the bytes themselves for uint8."""
        if dtype not in self._as:
            self._as[dtype] = (as_dtype(self.train[0], dtype), self.train[1])
        return self._as[dtype]

    def train_float64(self, k):
        if k not in self._float64:
            self._float64[k] = (self.train[0][:, :k] / 256.0, self.train[1][:k])
        return self._float64[k]

    def train_rows(self, k, dtype):
        """(k, 784) scaled rows, the layout scikit-learn takes."""
        if (k, dtype) not in self._rows:
            X = (self.train[0][:, :k].T / 256.0).astype(dtype)
            self._rows[(k, dtype)] = (np.ascontiguousarray(X), self.train[1][:k])
        return self._rows[(k, dtype)]
