"""`fastnet predict`: the digit a saved model reads in each of the user's pictures, prepared
as MNIST's digits were (`fastnet.digit_image`).

Each picture that cannot be read (not a picture, empty, no ink, missing, more pixels than
`digit_image.MAX_PIXELS`) is one line on stderr; the others are still read and printed, and
the exit status is then 2.
"""

import sys
from pathlib import Path

import numpy as np

from .. import digit_image, plots
from ..data import N_PIXELS
from ..plot_extra import MissingPlotExtra, require
from .common import EXIT_USAGE, CommandError, FailedAfterWork, check_writable, integer, load_model
from .output import one_line


def register(subparsers):
    predict = subparsers.add_parser(
        "predict", help="read the digit in your own pictures",
        description="Print the digit a saved model reads in each picture (PNG, JPEG, "
                    "anything Pillow reads; dark ink on light paper or the reverse), with "
                    "the output neuron's activation as its confidence. Exit status 2 if any "
                    "picture could not be read. Needs the plot extra "
                    "(pip install -e '.[plot]').")
    predict.add_argument("model", metavar="MODEL.json", help="the model file")
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="pictures of one digit each")
    predict.add_argument("--top", type=integer(1), default=1, metavar="N",
                         help="also print the runners-up, N digits in all (default: 1)")
    predict.add_argument("--show", metavar="FILE.png",
                         help="write the 28x28 images the network saw, titled with what it "
                              "read")
    predict.set_defaults(run=cmd_predict)


def cmd_predict(args):
    try:
        require("PIL.Image")
        if args.show is not None:
            require("matplotlib.figure")
    except MissingPlotExtra as e:
        raise CommandError(e) from e
    if args.show is not None:
        check_writable("--show", args.show)
    net = load_model(args.model)
    if net.sizes[0] != N_PIXELS:
        raise CommandError(f"{args.model}: a network with {net.sizes[0]} inputs cannot read "
                           f"28x28 pictures ({N_PIXELS} pixels)")

    paths, fields, failed = [], [], 0
    for path in args.images:
        try:
            fields.append(digit_image.digit_field(path))
            paths.append(path)
        except (OSError, ValueError) as e:
            failed += 1
            print(one_line(f"fastnet predict: error: {_reason(path, e)}"), file=sys.stderr)
    titles = []
    if fields:
        X = np.stack(fields).reshape(len(fields), N_PIXELS).T / 256  # one picture per column
        outputs = net.feedforward(X)
        for path, a in zip(paths, outputs.T):
            ranked = np.argsort(-a, kind="stable")[:args.top]
            best, rest = ranked[0], ranked[1:]
            line = f"{one_line(path)}: {best} ({a[best]:.2f})"
            if len(rest):
                line += "; then " + ", ".join(f"{d} ({a[d]:.2f})" for d in rest)
            print(line)
            titles.append(plots.reading_title(Path(path).name, a))
    if args.show is not None:
        try:
            plots.write_grid(fields, titles, args.show, empty="no picture could be read")
        except OSError as e:
            raise FailedAfterWork(f"could not write --show {args.show}: {e}; the readings "
                                  f"above stand, the picture was not saved") from e
        print(f"The images the network saw written to {args.show}")
    return EXIT_USAGE if failed else 0


def _reason(path, error):
    """One line for a picture that could not be read, naming it once."""
    if isinstance(error, ValueError):
        return str(error)  # digit_image's errors name the file already
    return f"{path}: cannot read it ({error.strerror or error})"
