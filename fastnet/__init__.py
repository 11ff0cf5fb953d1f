"""fastnet: the sigmoid networks of Nielsen's *Neural Networks and Deep Learning*, fully
matrix-based, with numba kernels, cross-checked against the book's per-example code."""

__version__ = "0.1.0"

from .costs import COSTS, CrossEntropyCost, LogLikelihoodCost, QuadraticCost
from .data import load_mnist, one_hot
from .network import Network, load
from .train import DivergenceError, History

__all__ = ["__version__", "load_mnist", "one_hot", "Network", "load", "History",
           "DivergenceError", "COSTS", "QuadraticCost", "CrossEntropyCost", "LogLikelihoodCost"]
