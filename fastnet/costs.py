"""Cost functions, as the classes of the book's network2.py, registered by name.

Each cost has the book's two static methods, vectorized over columns:

- ``fn(a, y)``: the cost summed over the examples, ``a, y : (n_out, m)``;
- ``delta(z, a, y)``: the error of the output layer, ``(n_out, m)``.

and what the engine and the reference both read, here and nowhere else: which activation its
output layer uses (`output`: "sigmoid" or "softmax"), and whether ``delta`` carries the
factor sigma'(z) (`delta_has_sigma_prime`, for the reference, which calls ``delta``).  The
compiled step (`layers._output_delta`) keeps activations, not weighted inputs, and reads each
cost's two compiled scalars of one output neuron, from a and y alone: ``output_delta`` (the
delta: (a - y) a(1 - a) or a - y) and ``loss`` (the cost, with the probabilities clipped to
[eps, 1 - eps] before the logarithm as scikit-learn does; what `fit` reports as ``loss_``).
They are a table like the activations (`DELTAS`, `LOSSES`, in the order of `COSTS`).
The JSON model files of network2.py name a cost by its class name; `COSTS` maps fastnet's
names and `BY_CLASS_NAME` the book's.
"""

import numpy as np

from .activations import sigmoid_prime
from .fastexp import _one, _zero
from .jit import _jit


@_jit
def _quadratic_delta(a, y):
    return (a - y) * (a * (1.0 - a))


@_jit
def _difference_delta(a, y):
    return a - y


@_jit
def _quadratic_loss(a, y):
    d = a - y
    return 0.5 * d * d


@_jit
def _cross_entropy_loss(a, y):
    eps = np.finfo(np.float64).eps
    p = min(max(float(a), eps), 1.0 - eps)
    loss = 0.0
    if y != _zero(y):
        loss -= y * np.log(p)
    if y != _one(y):
        loss -= (1.0 - y) * np.log(1.0 - p)
    return loss


@_jit
def _log_likelihood_loss(a, y):
    if y == _zero(y):
        return 0.0
    eps = np.finfo(np.float64).eps
    return -y * np.log(min(max(float(a), eps), 1.0 - eps))


class QuadraticCost:
    """C = ||a - y||^2 / 2 per example, on a sigmoid output layer (chapter 1)."""

    name = "quadratic"
    output = "sigmoid"
    delta_has_sigma_prime = True
    output_delta = _quadratic_delta
    loss = _quadratic_loss

    @staticmethod
    def fn(a, y):
        return 0.5 * float(np.sum((a - y) ** 2))

    @staticmethod
    def delta(z, a, y):
        return (a - y) * sigmoid_prime(z)


class CrossEntropyCost:
    """C = -sum(y ln a + (1 - y) ln(1 - a)) on a sigmoid output layer (chapter 3).

    Its output delta has no sigma'(z) factor, so saturated output neurons still learn.  A
    saturated neuron can give 0 * log(0) = nan or log(0) = -inf; as in the book, nan_to_num
    turns those into 0 and the largest float.
    """

    name = "cross-entropy"
    output = "sigmoid"
    delta_has_sigma_prime = False
    output_delta = _difference_delta
    loss = _cross_entropy_loss

    @staticmethod
    def fn(a, y):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return float(np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a))))

    @staticmethod
    def delta(z, a, y):
        return a - y


class LogLikelihoodCost:
    """C = -ln a_y on a softmax output layer (a chapter-3 exercise).

    With a softmax output, the output delta is again a - y.  An output of exactly 0 for the
    true class gives an infinite cost, turned into the largest float as above.
    """

    name = "log-likelihood"
    output = "softmax"
    delta_has_sigma_prime = False
    output_delta = _difference_delta
    loss = _log_likelihood_loss

    @staticmethod
    def fn(a, y):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return float(np.sum(np.nan_to_num(-y * np.log(a))))

    @staticmethod
    def delta(z, a, y):
        return a - y


COSTS = {cost.name: cost for cost in (QuadraticCost, CrossEntropyCost, LogLikelihoodCost)}
BY_CLASS_NAME = {cost.__name__: cost for cost in COSTS.values()}

# What the compiled step loops over (see `fastnet.activations.FORWARD`).
DELTAS = tuple(cost.output_delta for cost in COSTS.values())
LOSSES = tuple(cost.loss for cost in COSTS.values())


def code(cost):
    """The position of the cost class ``cost`` in `COSTS`: how the compiled step is told."""
    return list(COSTS.values()).index(cost)


def get_cost(cost):
    """The cost class for a name ("quadratic", ...), a class name ("QuadraticCost"), or a class."""
    if isinstance(cost, type) and cost in BY_CLASS_NAME.values():
        return cost
    found = (COSTS.get(cost) or BY_CLASS_NAME.get(cost)) if isinstance(cost, str) else None
    if found is None:
        raise ValueError(f"unknown cost {cost!r}; expected one of {', '.join(COSTS)}")
    return found
