"""The neurons' activation functions, as a table: one entry per function, read by the engine,
the costs and the oracle alike.

Each entry (`Activation`) holds the function three ways:

- ``forward``: the compiled scalar ``f(z)``, inlined into the engine's loops
  (`fastnet.layers`), typed like its argument so that float32 loops vectorize as float32;
- ``prime``: the compiled derivative written from the *output* ``a = f(z)``: the engine keeps
  the activations of a mini-batch, not the weighted inputs (sigma' = a(1 - a), tanh' = 1 - a^2);
- ``numpy``: the plain array form ``f(z)``, for the oracle (`fastnet.reference`) and the book's
  per-example code.

The hidden layers of a `fastnet.Network` all use one entry (``activation=NAME``); the output
layer's activation is the cost's (`fastnet.costs`: the sigmoid, or a softmax).  The compiled
blocks choose an entry by its position in `ACTIVATIONS` (`code`), looping over `FORWARD` and
`PRIME` with numba's ``literal_unroll``, so a new activation is one entry here (its oracle
derivative goes in `fastnet.reference.DERIVATIVES`): nothing else in the engine names one.

``relu``'s derivative at 0 is 0, as in PyTorch and scikit-learn.  Every forward function
passes a nan through (a diverging run must stay visible), and ``relu(-inf)`` is 0.
"""

from collections import namedtuple

import numpy as np

from .fastexp import _one, _sigmoid, _tanh, _zero
from .jit import _jit

Activation = namedtuple("Activation", "name forward prime numpy")


# -- the compiled scalars -----------------------------------------------------------------------

@_jit
def _sigmoid_forward(z):
    return _sigmoid(z)


@_jit
def _sigmoid_prime(a):
    return a * (1.0 - a)


@_jit
def _tanh_forward(z):
    return _tanh(z)


@_jit
def _tanh_prime(a):
    return _one(a) - a * a


@_jit
def _relu_forward(z):
    zero = _zero(z)
    return zero if z <= zero else z  # nan <= 0 is false: a nan passes


@_jit
def _relu_prime(a):
    return _one(a) if a > _zero(a) else _zero(a)


@_jit
def _identity_forward(z):
    return z


@_jit
def _identity_prime(a):
    return _one(a)


# -- numpy forms ----------------------------------------------------------------------------------

def sigmoid(z):
    """The logistic function, without overflow warnings: exp is only taken of -|z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime(z):
    """Derivative of the sigmoid."""
    return sigmoid(z) * (1 - sigmoid(z))


def relu(z):
    """max(z, 0), nan passed through."""
    return np.where(z <= 0, 0.0, z)


def identity(z):
    return np.array(z, dtype=np.float64, copy=True)


def softmax(z):
    """Softmax of a column vector ``z : (n, 1)``, shifted by its maximum so that exp cannot
    overflow."""
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


# -- the table ------------------------------------------------------------------------------------

ACTIVATIONS = {entry.name: entry for entry in (
    Activation("sigmoid", _sigmoid_forward, _sigmoid_prime, sigmoid),
    Activation("tanh", _tanh_forward, _tanh_prime, np.tanh),
    Activation("relu", _relu_forward, _relu_prime, relu),
    Activation("identity", _identity_forward, _identity_prime, identity),
)}

# What the compiled blocks loop over (numba freezes these tuples into the code it compiles).
FORWARD = tuple(entry.forward for entry in ACTIVATIONS.values())
PRIME = tuple(entry.prime for entry in ACTIVATIONS.values())


def code(name):
    """The position of activation ``name`` in the table: how the compiled blocks are told."""
    return list(ACTIVATIONS).index(name)


def check_activation(name):
    """``name`` if it is an activation of the table, else a ValueError naming the choices."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of "
                         f"{', '.join(ACTIVATIONS)}")
    return name
