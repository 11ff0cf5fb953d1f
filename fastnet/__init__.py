"""fastnet: the sigmoid networks of Nielsen's *Neural Networks and Deep Learning*, fully
matrix-based, with numba kernels, cross-checked against the book's per-example code."""

__version__ = "0.1.0"

import importlib

# Each public name and the module it comes from.  They are imported on first use (PEP 562),
# so that `import fastnet.cli` is quick and the `fastnet` command is already listening for
# Ctrl-C when numba loads.
_EXPORTS = {
    "confusion_matrix": "confusion",
    "COSTS": "costs", "QuadraticCost": "costs", "CrossEntropyCost": "costs",
    "LogLikelihoodCost": "costs",
    "load_mnist": "data", "one_hot": "data",
    "read_digit": "digit_image",
    "load": "network",
    "Network": "network",
    "DivergenceError": "train", "History": "train",
    # scikit-learn's estimator; imports scikit-learn, so only when asked for (and not by
    # `from fastnet import *`, which would then need it installed).
    "MLPClassifier": "sklearn",
}

__all__ = ["__version__", "load_mnist", "one_hot", "Network", "load", "History",
           "DivergenceError", "COSTS", "QuadraticCost", "CrossEntropyCost", "LogLikelihoodCost",
           "confusion_matrix", "read_digit"]


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
