"""Weight penalties (regularization), as a table: L2, the book's default, and L1.

The regularized cost is C = C0 + (lmbda/n) * P(w), summed over every weight (biases are never
penalised), n the size of the training set.  Each entry (`Penalty`) holds:

- ``grad``: the compiled scalar dP/dw (L2: w, L1: sgn(w) with sgn(0) = 0), inlined into the
  engine's update loops (`fastnet.updates`), which add ``(lmbda/n) * grad(w)`` to the cost's
  gradient, or ``eta*(lmbda/n) * grad(w)`` to the step of plain SGD;
- ``term``: P(w) of one weight matrix, a float (``total_cost`` adds ``(lmbda/n)`` times its sum);
- ``numpy``: dP/dw as an array, for the oracle (`fastnet.reference`);
- ``folds``: whether plain SGD may fold the penalty into BLAS's scaling of w (L2's decay
  ``w <- (1 - eta*lmbda/n) w - ...`` is one gemm with beta = 1 - eta*lmbda/n; L1's sign
  needs a pass over the weights of its own).

L2 is P(w) = w^2/2, so that its gradient is lmbda/n * w, network2.py's weight decay.  L1 is
P(w) = |w|, the book's chapter-3 rule ``w <- w - (eta*lmbda/n) sgn(w) - eta*grad``.
"""

from collections import namedtuple

import numpy as np

from .fastexp import _one, _zero
from .jit import _jit

Penalty = namedtuple("Penalty", "name grad term numpy folds")


@_jit
def _l2_grad(w):
    return w


@_jit
def _l1_grad(w):
    # sgn(w), 0 at 0 (and at nan: the weight itself stays nan).  Two selects, no branch, so
    # that the loop over the weights vectorizes.
    one, zero = _one(w), _zero(w)
    return (one if w > zero else zero) - (one if w < zero else zero)


def _l2_term(w):
    with np.errstate(over="ignore"):  # a diverged run's weights: the term is inf
        return 0.5 * float(np.sum(np.square(w, dtype=np.float64)))


def _l1_term(w):
    return float(np.sum(np.abs(w), dtype=np.float64))


PENALTIES = {entry.name: entry for entry in (
    Penalty("l2", _l2_grad, _l2_term, lambda w: w, True),
    Penalty("l1", _l1_grad, _l1_term, np.sign, False),
)}

# What the compiled updates loop over (see `fastnet.activations.FORWARD`).
GRAD = tuple(entry.grad for entry in PENALTIES.values())


def code(name):
    """The position of penalty ``name`` in the table: how the compiled updates are told."""
    return list(PENALTIES).index(name)


def check_penalty(name):
    """``name`` if it is a penalty of the table, else a ValueError naming the choices."""
    if not isinstance(name, str) or name not in PENALTIES:
        raise ValueError(f"unknown penalty {name!r}; expected one of {', '.join(PENALTIES)}")
    return name
