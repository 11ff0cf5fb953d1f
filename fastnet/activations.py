"""The activation functions in numpy, for the costs' output deltas and the reference.

The engine's compiled step computes them in its kernels (`fastnet.fastexp`, `kernels._activate`);
these are the plain array versions, elementwise on any shape, e.g. ``z : (n, m)``.
"""

import numpy as np


def sigmoid(z):
    """The logistic function, without overflow warnings: exp is only taken of -|z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime(z):
    """Derivative of the sigmoid."""
    return sigmoid(z) * (1 - sigmoid(z))


def softmax(z):
    """Softmax of a column vector ``z : (n, 1)``, shifted by its maximum so that exp cannot
    overflow."""
    e = np.exp(z - np.max(z))
    return e / np.sum(e)
