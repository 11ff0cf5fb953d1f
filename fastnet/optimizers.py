"""The optimizers, as a table: how a parameter moves given its gradient.

SGD, the book's, with optional momentum (chapter 3); Nesterov momentum and Adam, as PyTorch
and scikit-learn define them.  Each entry (`Optimizer`) holds:

- ``slots``: how many arrays of state each parameter carries (velocity; Adam's two moments);
- ``coefficients``: compiled, ``(hyper, t, coef)``: the step's constants from the
  hyper-parameters ``hyper`` (`HYPER`, float64) and the number t of this step (1 for the first),
  written into ``coef`` (an array of the network's dtype, so that the update loops run in it);
- ``update``: the compiled scalar rule ``(p, g, s1, s2, c0..c4) -> (p, s1, s2)``, given the
  parameter p, its gradient g (the mean over the mini-batch, the penalty's already added),
  its state and the constants, inlined into the engine's update loops (`fastnet.updates`);
- ``fold``: whether the engine may take plain SGD's fast path instead, in which BLAS adds the
  mini-batch's gradient straight into the weights (or the velocity) and the gradient is never
  stored (`fastnet.updates`; the book's arithmetic, to the last bit).  An optimizer without it
  gets the gradient in an array of its own first.

The rules, with g the gradient and eta the learning rate:

- ``sgd``: v <- mu v - eta g; w <- w + v (mu = 0: w <- w - eta g);
- ``nesterov``: v <- mu v - eta g; w <- w + mu v - eta g (needs mu > 0);
- ``adam``: m <- b1 m + (1 - b1) g; s <- b2 s + (1 - b2) g^2;
  w <- w - eta/(1 - b1^t) * m / (sqrt(s)/sqrt(1 - b2^t) + epsilon), torch.optim.Adam's form
  (epsilon added to the bias-corrected root; scikit-learn adds it before the correction).

The fields of `HYPER` are the hyper-parameters any entry may read; a new optimizer is one
entry here (and its oracle in `fastnet.reference.Optimizer`).
"""

import math
import numbers
from collections import namedtuple

import numpy as np

from .fastexp import _one
from .jit import _jit

Optimizer = namedtuple("Optimizer", "name slots coefficients update fold")

# The hyper-parameters the compiled code reads, in this order, from one float64 array.
HYPER = ("eta", "lmbda", "n", "mu", "beta1", "beta2", "epsilon")
ETA, LMBDA, N, MU, BETA1, BETA2, EPSILON = range(len(HYPER))
COEFFICIENTS = 5  # the length of ``coef``


@_jit
def _sgd_coefficients(hyper, t, coef):
    coef[0] = hyper[ETA]
    coef[1] = hyper[MU]


@_jit
def _sgd_update(p, g, s1, s2, c0, c1, c2, c3, c4):
    s1 = c1 * s1 - c0 * g
    return p + s1, s1, s2


@_jit
def _nesterov_update(p, g, s1, s2, c0, c1, c2, c3, c4):
    s1 = c1 * s1 - c0 * g
    return p + (c1 * s1 - c0 * g), s1, s2


@_jit
def _adam_coefficients(hyper, t, coef):
    beta1, beta2 = hyper[BETA1], hyper[BETA2]
    coef[0] = hyper[ETA] / (1.0 - beta1 ** t)
    coef[1] = beta1
    coef[2] = beta2
    coef[3] = hyper[EPSILON]
    coef[4] = 1.0 / math.sqrt(1.0 - beta2 ** t)


@_jit
def _adam_update(p, g, s1, s2, c0, c1, c2, c3, c4):
    one = _one(c1)
    s1 = c1 * s1 + (one - c1) * g
    s2 = c2 * s2 + (one - c2) * (g * g)
    return p - c0 * s1 / (np.sqrt(s2) * c4 + c3), s1, s2


OPTIMIZERS = {entry.name: entry for entry in (
    Optimizer("sgd", 1, _sgd_coefficients, _sgd_update, True),
    Optimizer("nesterov", 1, _sgd_coefficients, _nesterov_update, False),
    Optimizer("adam", 2, _adam_coefficients, _adam_update, False),
)}

# What the compiled updates loop over (see `fastnet.activations.FORWARD`).
COEFFICIENT_FUNCTIONS = tuple(entry.coefficients for entry in OPTIMIZERS.values())
UPDATES = tuple(entry.update for entry in OPTIMIZERS.values())
SGD = list(OPTIMIZERS).index("sgd")


def code(name):
    """The position of optimizer ``name`` in the table: how the compiled updates are told."""
    return list(OPTIMIZERS).index(name)


def check_optimizer(name, mu=0.0, betas=(0.9, 0.999), epsilon=1e-8):
    """``(name, mu, (beta1, beta2), epsilon)`` checked: a known optimizer; mu in [0, 1), and
    > 0 for Nesterov momentum; betas in [0, 1); epsilon > 0, all finite numbers.  A ValueError
    naming the value and what it may be otherwise."""
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    mu = _real(mu, "mu")
    if not 0 <= mu < 1:
        raise ValueError(f"mu must lie in [0, 1), not {mu!r}")
    if name == "nesterov" and mu == 0:
        raise ValueError("optimizer 'nesterov' needs momentum: mu > 0 (e.g. mu=0.9)")
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (beta1, beta2), not {betas!r}") from None
    for i, beta in enumerate((beta1, beta2), 1):
        if not 0 <= _real(beta, f"beta{i}") < 1:
            raise ValueError(f"beta{i} must lie in [0, 1), not {beta!r}")
    epsilon = _real(epsilon, "epsilon")
    if epsilon <= 0:
        raise ValueError(f"epsilon must be a number > 0, not {epsilon!r}")
    return name, mu, (float(beta1), float(beta2)), epsilon


def _real(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    return float(value)
