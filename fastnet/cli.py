"""The `fastnet` command. One function per subcommand, each registered in `build_parser()`.

A problem with the user's input (missing or damaged data, ...) is reported as one line,
`fastnet: error: <message>`, with exit status 2, rather than as a traceback.
"""

import argparse
import sys

import numpy as np

from . import __version__, experiments
from .data import load_mnist, locate_data


class CommandError(Exception):
    """A user-facing failure: main() prints the message and exits with status 2."""


def load_data(args, dtype=np.uint8):
    """load_mnist() for a subcommand with a --data option; uint8 by default, since the engine
    takes raw pixel bytes and one byte per pixel is an eighth of float64."""
    try:
        return locate_data(args.data), load_mnist(args.data, dtype)
    except (OSError, ValueError) as e:
        raise CommandError(e) from e


def cmd_data(args):
    """Print where the data comes from and the size of each split."""
    (where, origin), splits = load_data(args)
    print(f"data: {where} ({origin}{', sha256 verified' if origin == 'bundled' else ''})")
    for name, (X, _) in zip(("training", "validation", "test"), splits, strict=True):
        print(f"{name + ':':12s}{X.shape[1]:6d} images")
    return 0


def cmd_reproduce(args):
    """Rerun the notebook's or the book's experiments (fastnet.experiments) and compare."""
    try:
        return experiments.run_command(args, load_data)
    except experiments.ExperimentError as e:
        raise CommandError(e) from e


def cmd_bench(args):
    """Time one epoch of fastnet, the reference and the installed peers, side by side."""
    from .bench import command

    _, (train, validation, _) = load_data(args)
    return command(args, train, validation)


def add_data_option(parser):
    parser.add_argument(
        "--data", metavar="PATH",
        help="a directory of MNIST IDX files (raw or .gz) or the book's mnist.pkl.gz; "
             "default: $FASTNET_DATA, else the bundled data/mnist",
    )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="fastnet",
        description="Nielsen's sigmoid MNIST networks, matrix-based and numba-jitted.",
    )
    parser.add_argument("--version", action="version", version=f"fastnet {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="load the data and print the split sizes")
    add_data_option(data)
    data.set_defaults(run=cmd_data)

    reproduce = commands.add_parser(
        "reproduce", help="rerun the notebook's or the book's experiments over several seeds",
    ).add_subparsers(dest="suite", required=True, metavar="SUITE")
    for suite in experiments.SUITES.values():
        sub = reproduce.add_parser(suite.name, help=suite.title)
        experiments.add_arguments(sub, suite.name)
        add_data_option(sub)
        sub.set_defaults(run=cmd_reproduce)

    from . import train_cli  # here, not at the top: train_cli builds on this module's helpers

    train_cli.register(commands)

    bench = commands.add_parser("bench", help="time one training epoch against the reference "
                                "and the installed peers (docs/benchmarks.md)")
    bench.add_argument("--quick", action="store_true", help="a smaller run, under a minute")
    bench.add_argument("--json", metavar="PATH", help="also write the table as JSON to PATH")
    bench.add_argument("--threads", metavar="N|all|both",
                       help="BLAS threads: a number, all cores, or both 1 and all "
                            "(default: both; 1 with --quick)")
    add_data_option(bench)
    bench.set_defaults(run=cmd_bench)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CommandError as e:
        print(f"fastnet: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
