"""Checks of the values users pass in, in one place, so that every entry point (the Python API,
the command line, the experiments) refuses the same values in the same words.

Each returns the value in the form the engine uses, or raises a one-line ValueError naming
the argument.  Shapes: ``X : (n_in, m)``, one example per column; labels ``y : (m,)``.
"""

import math
import numbers

import numpy as np

from .finite import _first_nonfinite
from .settings import EVAL_CHUNK

DTYPES = ("float64", "float32")
INITS = ("large", "default")


def check_count(value, what, minimum=1):
    """``value`` as an int, or a ValueError naming ``what``: a whole number >= ``minimum``
    (a bool is not a count)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{what} must be an integer >= {minimum}, not {value!r}")
    return int(value)


def check_sizes(sizes):
    """The layer sizes as a list of ints, input first: at least two, each >= 1."""
    try:
        sizes = list(sizes)
    except TypeError:
        raise ValueError(f"sizes must be a sequence of layer sizes, not {sizes!r}") from None
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least 2 layers (input and output), got {sizes}")
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"layer sizes must be positive integers, got {sizes}")
    return [int(size) for size in sizes]


def check_dtype(dtype):
    """The network's dtype, one of `DTYPES`, as a numpy dtype."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype is None or dtype.name not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}")
    return dtype


def check_init(init):
    """The initialization, one of `INITS`."""
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, not {init!r}")
    return init


def check_nonnegative(value, what):
    """``value`` as a float: a finite number >= 0."""
    if not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite number >= 0, not {value!r}")
    return float(value)


def check_hyperparameters(eta, lmbda, mu):
    """``(eta, lmbda, mu)`` as floats: eta > 0, lmbda >= 0, 0 <= mu < 1, all finite."""
    if not isinstance(eta, numbers.Real) or not math.isfinite(eta) or eta <= 0:
        raise ValueError(f"eta must be a finite number > 0, not {eta!r}")
    lmbda = check_nonnegative(lmbda, "lmbda")
    mu = check_nonnegative(mu, "mu")
    if mu >= 1:
        raise ValueError(f"mu must lie in [0, 1), not {mu!r}")
    return float(eta), lmbda, mu


def check_threads(threads, sizes):
    """The number of threads to train on: 1 for a network without a hidden layer, whose only
    layer, the output layer, every thread would compute in full."""
    threads = check_count(threads, "threads")
    return threads if len(sizes) > 2 else 1


def check_verbose(verbose):
    """``verbose`` as 0, 1 or 2 (see `Network.SGD`); None: 1 in an interactive session (a
    notebook, IPython, the Python prompt), else 0."""
    if verbose is None:
        return 1 if _interactive() else 0
    if isinstance(verbose, (bool, numbers.Integral)) and int(verbose) in (0, 1, 2):
        return int(verbose)
    raise ValueError(f"verbose must be one of None, 0 (False), 1 (True) or 2, not {verbose!r}")


def _interactive():
    import sys

    if hasattr(sys, "ps1") or sys.flags.interactive:
        return True
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    return get is not None and get() is not None


def check_inputs(X, n_in):
    """``X : (n_in, m)`` as an array: float64, float32 or uint8 pixels."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] != n_in:
        raise ValueError(f"X must have shape ({n_in}, m), one example per column, "
                         f"not {X.shape}")
    if X.dtype not in (np.float64, np.float32, np.uint8):
        raise ValueError(f"X must be float64, float32 or uint8 pixels, not {X.dtype}")
    return X


def check_data(data, what, sizes, allow_empty=False, labels=False):
    """A pair ``(X : (sizes[0], m), y)`` of inputs and targets that fit a network of layer
    sizes ``sizes``, with m >= 1 unless `allow_empty`; ``what`` names it in the error.  ``y``
    is m integer labels ``(m,)`` in 0..sizes[-1]-1, or (unless ``labels``: what accuracy
    needs) a matrix of real, finite targets ``(sizes[-1], m)``, one column per example (soft or
    multilabel targets).

    Whether X is finite is not looked at here: that would be a pass over the whole data set
    (0.7 s for MNIST in float64, more than an epoch); the engine finds an inf or a nan in the
    first layer's products (`NonFiniteColumn`: `finite._first_bad_input` in training,
    `check_columns` in evaluation)."""
    try:
        X, y = data
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a pair (X, y)") from None
    X = check_inputs(X, sizes[0])
    if X.shape[1] == 0 and not allow_empty:
        raise ValueError(f"{what} is empty: X has shape {X.shape}, no examples")
    y = np.asarray(y)
    m, n_out = X.shape[1], sizes[-1]
    if y.ndim == 2 and not labels:
        if y.shape != (n_out, m) or y.dtype.kind not in "fiub":
            raise ValueError(f"{what}: a target matrix y must have shape ({n_out}, {m}), one "
                             f"real column per column of X, not {y.shape} of {y.dtype}")
        if not np.isfinite(y).all():
            raise ValueError(f"{what}: the targets y contain inf or nan")
        return X, y
    if y.shape != (m,) or y.dtype.kind not in "iu":
        matrix = "" if labels else f", or a ({n_out}, {m}) matrix of targets"
        raise ValueError(f"{what}: y must be {m} integer labels, one per column of X{matrix}, "
                         f"not an array of shape {y.shape} and dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_out):
        raise ValueError(f"{what}: labels must lie in 0..{n_out - 1} for "
                         f"{n_out} output neurons")
    return X, y


def check_sample_weight(weight, m, dtype):
    """Per-example weights ``(m,)`` as an array of ``dtype``: real, finite, >= 0, not all 0."""
    try:
        weight = np.asarray(weight)
    except (TypeError, ValueError):
        raise ValueError(f"sample_weight must be an array of {m} numbers") from None
    if weight.shape != (m,) or weight.dtype.kind not in "fiub":
        raise ValueError(f"sample_weight must be {m} real numbers, one per example, not an "
                         f"array of shape {weight.shape} and dtype {weight.dtype}")
    if not np.isfinite(weight).all() or (weight < 0).any():
        raise ValueError("sample_weight must be finite and >= 0")
    if m and not weight.any():
        raise ValueError("sample_weight is 0 for every example: nothing to learn from")
    return np.ascontiguousarray(weight, dtype)


class NonFiniteColumn(ValueError):
    """Column ``column`` of X holds an inf or a nan: found by the engine as it read the data
    (the first layer's products, in training and in evaluation), never by a pass of its own
    over the data set.  ``what`` names the data ("training_data", ...), if known; ``beyond``
    names the network's dtype when X's own values are finite but one is too large for it
    (float64 pixels beyond 3.4e38 for a float32 network: their copy is an inf)."""

    def __init__(self, column, what=None, beyond=None):
        self.column, self.what, self.beyond = column, what, beyond
        prefix = f"{what}: " if what else ""
        problem = (f"holds a value too large for {beyond}" if beyond else
                   "contains inf or nan")
        super().__init__(f"{prefix}X {problem} (column {column})")


def bad_column(X, column, dtype):
    """The `NonFiniteColumn` for column ``column`` of ``X : (n_in, n)``, whose copy in the
    network's ``dtype`` training found to hold an inf or a nan (`finite._first_bad_input`)."""
    finite = bool(np.isfinite(X[:, column]).all())
    return NonFiniteColumn(column, beyond=np.dtype(dtype).name if finite else None)


def check_columns(X, z, offset=0):
    """Raise NonFiniteColumn for the first column of ``X : (n_in, c)`` that holds an inf or
    a nan, given ``z = w @ X`` (the first layer's products, ``(n, c)``): only the columns
    whose first row of z is not finite are looked at (`finite._first_nonfinite`); one of
    them with a finite x was overflowed by huge weights, and is let through.  ``offset``:
    the number of the first column in the caller's data (the one reported)."""
    j = _first_nonfinite(z, 0)
    while j >= 0:
        if not np.isfinite(X[:, j]).all():
            raise NonFiniteColumn(offset + j)
        j = _first_nonfinite(z, j + 1)


def check_order(index, n_columns):
    """The indices an ``order`` callable of `Network.SGD` returned, as int64 ``(n,)``, all in
    ``0..n_columns - 1``."""
    index = np.asarray(index)
    if index.ndim != 1 or index.dtype.kind not in "iu" or not index.size:
        raise ValueError("order(epoch) must return a non-empty 1-d array of column indices")
    if index.min() < 0 or index.max() >= n_columns:
        raise ValueError(f"order(epoch): column indices must lie in 0..{n_columns - 1}")
    return index.astype(np.int64, copy=False)


# -- what the machine can hold ------------------------------------------------------------------

def check_at_most(value, limit, what, why):
    """``value``, or a ValueError naming ``what`` unless it is at most ``limit``; ``why``
    says what the limit is ("the number of training images")."""
    if value > limit:
        raise ValueError(f"{what} must be at most {limit:,}, {why}, not {value:,}")
    return value


def training_bytes(sizes, mini_batch_size, dtype):
    """The least memory, in bytes, that training a network of layer ``sizes`` in ``dtype``
    on mini-batches of ``mini_batch_size`` allocates: the initial weights and biases, drawn in
    float64, scaled (a new array) and copied into ``dtype``; the arrays a mini-batch flows
    through (its inputs and targets, each layer's activations and deltas); those of a chunk
    of evaluation.  Threads, momentum and a saved model add to it."""
    itemsize = np.dtype(dtype).itemsize
    parameters = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))
    neurons = sum(sizes[1:])
    batch = mini_batch_size * (sizes[0] + sizes[-1] + 2 * neurons)
    evaluation = EVAL_CHUNK * (sizes[0] + 2 * neurons)
    return 16 * parameters + itemsize * (parameters + batch + evaluation)


def check_fits_memory(nbytes, available, what):
    """A ValueError, saying how much ``what`` needs, when ``nbytes`` exceed ``available``
    (bytes; None: unknown, nothing refused)."""
    if available is not None and nbytes > available:
        raise ValueError(f"{what} needs at least {_in_units(nbytes)} of memory and "
                         f"{_in_units(available)} are available")


def _in_units(nbytes):
    """``nbytes`` in words: "512 bytes", "1.5 GB" (units of 1024)."""
    if nbytes < 1024:
        return f"{nbytes:.0f} bytes"
    for unit in ("KB", "MB", "GB", "TB", "PB"):
        nbytes /= 1024
        if nbytes < 1024:
            break
    return f"{nbytes:.1f} {unit}"
