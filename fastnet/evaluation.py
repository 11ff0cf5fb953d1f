"""Inference over a data set: a network's outputs, accuracy and cost, chunk by chunk.

A data set is pushed through the network `EVAL_CHUNK` columns at a time (the outputs of a
whole set are never held at once): a matrix product per layer (numpy's, so BLAS's threads
help large products where the caller allows them) and the activation kernels of training
(`fastnet.layers`).  What is read of a network is public: its ``weights``, ``biases``,
``activation``, ``cost``, ``penalty`` and ``dtype``.

Shapes: ``X : (n_in, m)``, one example per column, float64, float32 or uint8 pixel bytes
(scaled by 1/256); labels ``y : (m,)``; outputs ``(n_out, m)``.
"""

import numpy as np

from . import activations, penalties
from .checks import check_columns
from .layers import SIGMOID, _bias_activate, _bias_softmax
from .settings import EVAL_CHUNK


def as_float(X, dtype):
    """``X`` as an array of ``dtype``; uint8 pixel bytes are divided by 256."""
    if X.dtype == np.uint8:
        return np.multiply(X, dtype.type(1 / 256), dtype=dtype)
    return np.asarray(X, dtype)


def outputs(net, X, offset=0):
    """The output activations ``(n_out, c)`` of the columns ``X : (n_in, c)``, columns
    offset.. of the caller's data (the column an inf or a nan is reported in,
    `checks.check_columns`, found in the first layer's products: no pass of its own)."""
    act = activations.code(net.activation)
    softmax = net.cost.output == "softmax"
    weights, biases = net.weights, net.biases
    last = len(weights) - 1
    # Huge weights overflow in the products; the sigmoid maps +-inf to 1 and 0, so the result
    # stays meaningful and a warning would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        a = as_float(X, net.dtype)
        for layer, (w, b) in enumerate(zip(weights, biases)):
            a = w @ a
            if layer == 0 and X.dtype != np.uint8:
                check_columns(X, a, offset)
            if layer < last:
                _bias_activate(a, b, act)
            elif softmax:
                _bias_softmax(a, b)
            else:
                _bias_activate(a, b, SIGMOID)
        return a


class NonFiniteOutput(ValueError):
    """The network's output for a column of finite inputs is not a number: its products
    overflowed both ways (inf - inf), from inputs or weights too large for the dtype.  A
    prediction from it would be meaningless (numpy's argmax of a nan column is 0)."""

    def __init__(self, column, X, net):
        values = np.abs(X[:, column]).max() if X.dtype != np.uint8 else 255
        weights = max(float(np.abs(w).max()) for w in net.weights)
        super().__init__(f"X column {column}: the network's output is not a number: its "
                         f"products overflow {net.dtype.name} (inputs up to {values:.3g}, "
                         f"weights up to {weights:.3g})")


def _checked(net, X, a, offset):
    """``a``, the outputs of the columns of ``X`` from ``offset`` on, or `NonFiniteOutput`
    for the first that holds a nan."""
    bad = np.flatnonzero(np.isnan(a).any(axis=0))
    if bad.size:
        raise NonFiniteOutput(offset + int(bad[0]), X, net)
    return a


def feedforward(net, X):
    """``outputs`` of all of ``X`` (checked by the caller), chunk by chunk; a column whose
    output is not a number is a `NonFiniteOutput`."""
    out = np.empty((net.sizes[-1], X.shape[1]), net.dtype)
    for start in range(0, X.shape[1], EVAL_CHUNK):
        stop = min(start + EVAL_CHUNK, X.shape[1])
        out[:, start:stop] = _checked(net, X[:, start:stop],
                                      outputs(net, X[:, start:stop], start), start)
    return out


def correct(net, X, y):
    """How many columns of ``X`` the network classifies as their label in ``y`` (a column whose
    output is not a number is a `NonFiniteOutput`)."""
    count = 0
    for start in range(0, X.shape[1], EVAL_CHUNK):
        stop = min(start + EVAL_CHUNK, X.shape[1])
        a = _checked(net, X[:, start:stop], outputs(net, X[:, start:stop], start), start)
        count += int(np.count_nonzero(np.argmax(a, axis=0) == y[start:stop]))
    return count


def total_cost(net, X, y, lmbda):
    """network2.py's total cost: the mean cost over the m examples, plus the penalty,
    ``(lmbda / m) * sum over the weights of P(w)`` (L2: P = w^2/2, the book's
    ``0.5 * (lmbda / m) * sum ||w||^2``; L1: P = |w|).  ``y``: int labels ``(m,)`` or targets
    ``(n_out, m)``."""
    m = X.shape[1]
    total = 0.0
    for start in range(0, m, EVAL_CHUNK):
        stop = min(start + EVAL_CHUNK, m)
        a = outputs(net, X[:, start:stop], start)
        total += net.cost.fn(a.astype(np.float64), targets(y[..., start:stop], net.sizes[-1]))
    term = penalties.PENALTIES[net.penalty].term
    return total / m + (lmbda / m) * sum(term(w) for w in net.weights)


def targets(y, n_out):
    """Targets ``(n_out, m)`` float64: one-hot columns of int labels ``y : (m,)``, or ``y``
    itself when it already is a matrix."""
    if y.ndim == 2:
        return np.asarray(y, np.float64)
    out = np.zeros((n_out, len(y)))
    out[y, np.arange(len(y))] = 1.0
    return out
