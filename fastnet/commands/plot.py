"""`fastnet plot`: learning curves from the --history files of `fastnet train`, one panel per
monitored quantity, one line per file, labelled from its config.  `fastnet train --plot`
draws the same for the run it has just done, through `write_learning_curves`.

A history file is read warily (`fastnet.history_file`): a damaged or foreign file is one line,
exit status 2.  A picture that cannot be written after the drawing is exit status 1."""

from pathlib import Path

from .. import curve_labels, history_file, plots
from ..curve_labels import run_label  # noqa: F401  (fastnet train labels its --plot with it)
from ..plot_extra import MissingPlotExtra, require
from .common import CommandError, FailedAfterWork, check_writable

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
    """The document of a --history file, checked enough to draw it (`history_file.read`);
    CommandError if it is not one or cannot be read."""
    try:
        return history_file.read(path)
    except OSError as e:
        raise CommandError(f"{path}: cannot read it ({e.strerror or e})") from e
    except ValueError as e:
        raise CommandError(e) from None
