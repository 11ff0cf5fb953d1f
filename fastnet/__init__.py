"""fastnet: the sigmoid networks of Nielsen's *Neural Networks and Deep Learning*, fully
matrix-based, with numba kernels, cross-checked against the book's per-example code.

Quick start (the book's chapter-1 network, then a look at what it learned)::

    import fastnet
    training, validation, test = fastnet.load_mnist()     # (X, y) pairs, X : (784, n)
    net = fastnet.Network([784, 30, 10], seed=1)          # network.py: quadratic cost
    history = net.SGD(training, 30, 10, 3.0, evaluation_data=test, verbose=1)
    net.accuracy(*test)                                   # correct test images, of 10,000
    fastnet.learning_curves(history)                      # a matplotlib Figure
    fastnet.confusion_heatmap(net, *test)                 # (the plot extra: matplotlib)

network2.py's choices are ``Network(sizes, cost="cross-entropy", init="default")`` with
``SGD(..., lmbda=5.0)``.  `Network.SGD` returns a `History` (per-epoch lists, ``.history``,
``.save(path)`` for ``fastnet plot``); Ctrl-C stops it after the current mini-batch and it
returns the History so far.  The book's own code runs unchanged on this engine with one line
changed: ``from fastnet.book import network2`` (also ``network`` and ``mnist_loader``).
The same from the command line: ``fastnet train``, ``fastnet --help``.

Public names:

- data: `load_mnist`, `one_hot`, `read_digit` (your own picture of a digit as a column)
- networks: `Network` (``SGD``, ``feedforward``, ``predict``, ``accuracy``, ``save``), `load`
  (a model file), `History`, `DivergenceError`; the costs `QuadraticCost`,
  `CrossEntropyCost`, `LogLikelihoodCost` (by name in `COSTS`)
- results: `confusion_matrix`; the pictures, each a matplotlib Figure that a notebook shows
  inline: `learning_curves`, `confusion_heatmap`, `surest_mistakes`, `digits_seen`
- `fastnet.book`: drop-ins for the book's network.py, network2.py and mnist_loader.py

The other modules are the engine's and the command line's internals.
"""

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
    # scikit-learn's estimator; imports scikit-learn, so only when asked for (and not by
    # `from fastnet import *`, which would then need it installed).
    "MLPClassifier": "sklearn",
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
    # The public names and the module's own attributes, not the machinery of the lazy
    # imports (help() lists what dir() gives, and so does tab completion).
    machinery = {"importlib", "__getattr__", "__dir__", "_EXPORTS"}
    return sorted((set(globals()) - machinery) | set(__all__))
