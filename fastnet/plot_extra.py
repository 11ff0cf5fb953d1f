"""The optional `plot` extra (matplotlib, which brings Pillow): importing it when a picture is
asked for, and the one-line message that says how to install it when it is absent.

fastnet's engine needs neither package, so neither is imported at start-up: each function that
draws or reads a picture calls `require` first.
"""

import importlib

INSTALL_HINT = "install the plot extra: pip install -e '.[plot]'"


class MissingPlotExtra(ImportError):
    """matplotlib or Pillow is not installed; the message says how to install it."""


def require(module):
    """Import and return ``module`` ("matplotlib.pyplot", "PIL.Image", ...); raise
    MissingPlotExtra, one line naming the package and the extra, when it is absent."""
    try:
        if module.startswith("matplotlib"):
            matplotlib = importlib.import_module("matplotlib")
            matplotlib.use("Agg")  # files only: never open a window or need a display
        return importlib.import_module(module)
    except ImportError as e:
        package = module.split(".")[0]
        raise MissingPlotExtra(f"{package} is not installed; {INSTALL_HINT}") from e
