"""fastnet: the sigmoid networks of Nielsen's *Neural Networks and Deep Learning*, fully
matrix-based, with numba kernels, cross-checked against the book's per-example code."""

__version__ = "0.1.0"

import importlib

# Each public name and the module it comes from.  They are imported on first use (PEP 562),
# so that `import fastnet.cli` is quick and the `fastnet` command is already listening for
# Ctrl-C when numba loads, and so that `import fastnet` does not import matplotlib.
_EXPORTS = {
    "confusion_matrix": "confusion",
    "COSTS": "costs", "QuadraticCost": "costs", "CrossEntropyCost": "costs",
    "LogLikelihoodCost": "costs",
    "load_mnist": "data", "one_hot": "data",
    "read_digit": "digit_image",
    "load": "network",
    "Network": "network",
    "learning_curves": "plots", "confusion_heatmap": "plots", "surest_mistakes": "plots",
    "digits_seen": "plots",
    "DivergenceError": "train", "History": "train",
}

__all__ = ["__version__", "load_mnist", "one_hot", "Network", "load", "History",
           "DivergenceError", "COSTS", "QuadraticCost", "CrossEntropyCost", "LogLikelihoodCost",
           "confusion_matrix", "read_digit", "learning_curves", "confusion_heatmap",
           "surest_mistakes", "digits_seen"]


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
