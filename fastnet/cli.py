"""The `fastnet` command: the top-level parser, one subcommand per module of
`fastnet.commands`, and the mapping of a `CommandError` to one line and exit status 2.
"""

import argparse
import sys

from . import __version__
from .commands import bench, data, evaluate, plot, predict, reproduce, train
from .commands.common import EXIT_USAGE, CommandError

# In the order `fastnet --help` lists them.
COMMANDS = (data, reproduce, train, evaluate, predict, plot, bench)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="fastnet",
        description="Nielsen's sigmoid MNIST networks, matrix-based and numba-jitted.",
    )
    parser.add_argument("--version", action="version", version=f"fastnet {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CommandError as e:
        print(f"fastnet: error: {e}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
