"""The optional `plot` extra (matplotlib, which brings Pillow): importing it when a picture is
asked for, and the one-line message that says how to install it when it is absent.

fastnet's engine needs neither package, so neither is imported at start-up: each function that
draws or reads a picture calls `require` first.  fastnet draws on `matplotlib.figure.Figure`
objects and never imports pyplot, so it neither needs a display nor changes the backend a
notebook or a script has chosen.
"""

import importlib

INSTALL_HINT = "install the plot extra: pip install -e '.[plot]'"


class MissingPlotExtra(ImportError):
    """matplotlib or Pillow is not installed; the message says how to install it."""


def require(module):
    """Import and return ``module`` ("matplotlib.figure", "PIL.Image", ...); raise
    MissingPlotExtra, one line naming the package and the extra, when it is absent."""
    package = module.split(".")[0]
    try:
        # The package first: a submodule already in sys.modules would be returned as it is,
        # even when the package itself has gone (which is how the tests uninstall it).
        importlib.import_module(package)
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingPlotExtra(f"{package} is not installed; {INSTALL_HINT}") from e
