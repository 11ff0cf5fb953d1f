"""`fastnet plot`: learning curves from the --history files of `fastnet train`, one panel per
monitored quantity, one line per file, labelled from its config.  `fastnet train --plot`
draws the same for the run it has just done, through `write_learning_curves`.

A history file is read warily: anything in it that drawing or labelling uses is checked first
(`_history_problem`), so that a damaged or foreign file is one line, exit status 2.  A picture
that cannot be written after the drawing is exit status 1."""

import json
import math
import numbers
from pathlib import Path

from .. import curve_labels, plots
from ..curve_labels import run_label  # noqa: F401  (fastnet train labels its --plot with it)
from ..plot_extra import MissingPlotExtra, require
from .common import CommandError, FailedAfterWork, check_writable

# The largest epoch number a history may hold: matplotlib draws epochs as floats, which hold
# every whole number up to here exactly.
MAX_EPOCH = 2 ** 53


DESCRIPTION = ("Draw the learning curves of one or more `fastnet train --history` files: a "
               "panel per monitored quantity, a line per file. Needs the plot extra "
               "(pip install -e '.[plot]').")


def register(subparsers):
    plot = subparsers.add_parser("plot", help="draw learning curves from --history files",
                                 description=DESCRIPTION)
    plot.add_argument("histories", nargs="+", metavar="HISTORY.json",
                      help="files written by `fastnet train --history`")
    plot.add_argument("--out", metavar="FILE.png", required=True, help="the picture to write")
    plot.set_defaults(run=cmd_plot)


def cmd_plot(args):
    check_plot_extra()
    check_writable("--out", args.out)
    docs = [read_history(path) for path in args.histories]
    write_learning_curves(list(zip(labels(docs, args.histories), docs)), args.out)
    print(f"Learning curves written to {args.out}")
    return 0


def check_plot_extra():
    """CommandError now, before any work, unless matplotlib is installed."""
    try:
        require("matplotlib.figure")
    except MissingPlotExtra as e:
        raise CommandError(e) from e


def write_learning_curves(runs, path):
    """`plots.write_curves` with a failure to write as a FailedAfterWork (exit status 1: the
    curves were drawn)."""
    try:
        plots.write_curves(runs, path)
    except OSError as e:
        raise FailedAfterWork(f"could not write {path}: {e}") from e


def labels(docs, paths):
    """A label per history document (`curve_labels.labels`), the file names as the names."""
    return curve_labels.labels([doc["config"] for doc in docs], [Path(p).name for p in paths])


def read_history(path):
    """The document of a --history file, checked enough to draw it; CommandError if not."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise CommandError(f"{path}: cannot read it ({e.strerror or e})") from e
    except (ValueError, UnicodeDecodeError) as e:
        raise CommandError(f"{path}: not a fastnet --history file (not JSON: {e})") from e
    except RecursionError:
        raise CommandError(f"{path}: not a fastnet --history file (nested too deeply)") from None
    problem = _history_problem(doc)
    if problem:
        raise CommandError(f"{path}: not a fastnet --history file ({problem})")
    if not doc["epochs"]:
        raise CommandError(f"{path}: holds no epochs to plot")
    if not any(key in record for record in doc["epochs"] for key, _, _ in plots.CURVES):
        raise CommandError(f"{path}: holds no curve to plot (no epoch has any of "
                           f"{', '.join(key for key, _, _ in plots.CURVES)})")
    return doc


# What each setting a label or a panel reads must be, when it is not null.
_SETTINGS = {
    "sizes": ("a list of whole numbers", lambda v: isinstance(v, list) and all(map(_is_int, v))),
    "cost": ("a string", lambda v: isinstance(v, str)),
    "activation": ("a string", lambda v: isinstance(v, str)),
    "penalty": ("a string", lambda v: isinstance(v, str)),
    "optimizer": ("a string", lambda v: isinstance(v, str)),
    "init": ("a string", lambda v: isinstance(v, str)),
    "dtype": ("a string", lambda v: isinstance(v, str)),
    "eval": ("a string", lambda v: isinstance(v, str)),
    "eta": ("a finite number", lambda v: _is_real(v)),
    "lmbda": ("a finite number", lambda v: _is_real(v)),
    "momentum": ("a finite number", lambda v: _is_real(v)),
    "mini_batch_size": ("a whole number", lambda v: _is_int(v)),
    "train_size": ("a whole number", lambda v: _is_int(v)),
    "threads": ("a whole number", lambda v: _is_int(v)),
    "seed": ("a whole number", lambda v: _is_int(v)),
    "early_stopping": ("a whole number", lambda v: _is_int(v)),
    "schedule": ("true or false", lambda v: isinstance(v, bool)),
}


def _history_problem(doc):
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        return "no config object"
    for key, (kind, fits) in _SETTINGS.items():
        value = doc["config"].get(key)
        if value is not None and not fits(value):
            return f"config.{key} is not {kind}"
    if not isinstance(doc.get("epochs"), list):
        return "no epochs list"
    for i, record in enumerate(doc["epochs"]):
        if not isinstance(record, dict) or not _is_int(record.get("epoch")):
            return f"epochs[{i}] has no whole epoch number"
        if not 0 <= record["epoch"] <= MAX_EPOCH:
            return f"epochs[{i}].epoch is not an epoch number from 0 to 2**53"
        for key, _, _ in plots.CURVES:
            if key in record and not _is_real(record[key]):
                return f"epochs[{i}].{key} is not a finite number"
    return None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value):
    """A number a float holds, finite (JSON's 1e400 reads as inf, 10**400 as an int no float
    holds)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False
