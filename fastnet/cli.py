"""The `fastnet` command: the top-level parser, one subcommand per module of
`fastnet.commands`, and what every command's outcome becomes: one line and an exit status.

Exit status (`commands.status`): 0 success; 1 a failure after the work began, a diverged
training run or a standard output that failed too (the message says what was not saved); 2
bad input or usage, found before any work; 128 + the signal when one ends the command: 130
Ctrl-C, 143 SIGTERM, 129 SIGHUP, 131 SIGQUIT.  Every message is one line prefixed with the
command, ``fastnet train: error: ...``, usage errors included, never a traceback; control
characters in it (a newline in a file name) are escaped (`commands.output`).
"""

import argparse
import importlib
import sys

from . import __version__
from .commands.output import guarded_output, one_line
from .commands.status import EXIT_STATUSES, interrupted_message, interrupted_status
from .interrupts import raising_stop_signals

# The subcommand modules, in the order `fastnet --help` lists them; imported in main(), so
# that a Ctrl-C while numpy and numba load is reported like any other.
COMMAND_MODULES = ("data", "reproduce", "train", "evaluate", "predict", "plot", "bench")


def build_parser(argv=None):
    """The parser of every subcommand; with ``argv`` naming one (``["train", ...]``), of that
    one alone: each module imported costs memory (2 MB for all of them) and time, and the
    others' parsers are not used.  ``fastnet --help`` and an unknown command get them all."""
    names = [argv[0]] if argv and argv[0] in COMMAND_MODULES else COMMAND_MODULES
    parser = _Parser(
        prog="fastnet",
        description="Nielsen's sigmoid MNIST networks, matrix-based and numba-jitted.",
        epilog=EXIT_STATUSES,
    )
    parser.add_argument("--version", action="version", version=f"fastnet {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in names:
        importlib.import_module(f".commands.{name}", __package__).register(subparsers)
    _remember_parsers(parser)
    return parser


def main(argv=None):
    """Run the command ``argv`` (default: sys.argv[1:]) and return its exit status.

    SIGTERM, SIGHUP and SIGQUIT end it as Ctrl-C does (`fastnet.interrupts`), and a standard
    output that fails ends the printing, not the work (`commands.output`)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    with guarded_output() as printing, raising_stop_signals():
        return printing.status_after(_run(argv), _prog(argv))


def _run(argv):
    try:
        from .commands.common import CommandError

        parser = build_parser(argv)
        args, extra = parser.parse_known_args(_negative_values(parser, argv))
        if extra:  # in the words of the subcommand that was given them, with its usage
            args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
        try:
            return args.run(args)
        except CommandError as e:
            print(f"{args.parser.prog}: error: {one_line(e)}", file=sys.stderr)
            return e.status
    except KeyboardInterrupt as e:
        print(f"{_prog(argv)}: {one_line(interrupted_message(e))}", file=sys.stderr)
        return interrupted_status(e)


class _Parser(argparse.ArgumentParser):
    """argparse's parser, its error on one line whatever the values quoted in it hold (the
    subcommands' parsers are of the same class)."""

    def error(self, message):
        super().error(one_line(message))


def _prog(argv):
    """``fastnet`` and the subcommand words of ``argv`` ("fastnet reproduce seed"), for a
    Ctrl-C that may come before the parser is built."""
    words = ["fastnet"]
    if argv and argv[0] in COMMAND_MODULES:
        words.append(argv[0])
        if argv[0] == "reproduce" and len(argv) > 1 and not argv[1].startswith("-"):
            words.append(argv[1])
    return " ".join(words)


def _subcommands(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def _remember_parsers(parser):
    """Give every parser's namespace ``parser``: the innermost subcommand's, whose usage a
    late usage error prints; and the exit statuses under every --help."""
    parser.set_defaults(parser=parser)
    if parser.epilog is None:
        parser.epilog = EXIT_STATUSES
    for sub in _subcommands(parser).values():
        _remember_parsers(sub)


def _negative_values(parser, argv):
    """``argv`` with ``--opt -x``, where --opt takes a value and -x reads as a number
    (-inf, -1e3, -nan), joined to ``--opt=-x``: argparse would take -x for an option and
    say "expected one argument" instead of why the value is refused."""
    takes_value = set()
    stack = [parser]
    while stack:
        node = stack.pop()
        stack.extend(_subcommands(node).values())
        for action in node._actions:
            if action.option_strings and action.nargs != 0:
                takes_value.update(action.option_strings)
    out = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            out.extend(argv[i:])
            break
        if word in takes_value and i + 1 < len(argv) and _is_negative_number(argv[i + 1]):
            out.append(f"{word}={argv[i + 1]}")
            i += 2
            continue
        out.append(word)
        i += 1
    return out


def _is_negative_number(word):
    if not word.startswith("-"):
        return False
    try:
        float(word)
    except ValueError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
