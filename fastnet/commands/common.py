"""What the subcommands share: the one-line user error and the exit statuses, Ctrl-C, the
--data option and loading the data, checking an output path before the work, and the argument
types.

A problem with the user's input (missing or damaged data, an unwritable output, ...) is raised
as `CommandError` and reported by `fastnet.cli.main` as one line, `fastnet COMMAND: error:
<message>`, with exit status 2, rather than as a traceback; a failure after the work began (a
save after training) is a `FailedAfterWork`, exit status 1.
"""

import argparse
import functools
import math
import sys

import numpy as np

from .. import atomic_file
from ..checks import check_count
from ..data import load_mnist, locate_data
from .status import EXIT_FAILURE, EXIT_USAGE, Interrupted, interrupted

# The sets a network can be scored on: load_mnist's second and third splits.
EVAL_SETS = ("validation", "test")


class CommandError(Exception):
    """A user-facing failure: main() prints the message and exits with ``status``, 2 (bad
    input found before any work)."""

    status = EXIT_USAGE


class FailedAfterWork(CommandError):
    """A failure after the work began (writing the trained model): exit status 1; the message
    says what was not saved."""

    status = EXIT_FAILURE


def ctrl_c_exits(message):
    """Decorate a command's run function so that a Ctrl-C (or another stop signal,
    `fastnet.interrupts`) reaching it is reported as ``message``, where ``{signal}`` names
    the signal (main() reports any other as "interrupted (Ctrl-C)")."""
    def decorate(run):
        @functools.wraps(run)
        def run_until_ctrl_c(args):
            try:
                return run(args)
            except Interrupted:
                raise
            except KeyboardInterrupt as e:
                raise interrupted(e, message) from None
        return run_until_ctrl_c
    return decorate


# -- data ------------------------------------------------------------------------------------

def add_data_option(parser):
    parser.add_argument(
        "--data", metavar="PATH",
        help="a directory of MNIST IDX files (raw or .gz) or the book's mnist.pkl.gz; "
             "default: $FASTNET_DATA, else the bundled data/mnist",
    )


def load_data(args, dtype=np.uint8, split=None):
    """load_mnist() for a subcommand with a --data option, and where the data came from:
    ((path, origin), splits), or with ``split``, only that split's (X, y).  uint8 by default,
    since the engine takes raw pixel bytes and one byte per pixel is an eighth of float64."""
    try:
        return locate_data(args.data), load_mnist(args.data, dtype, split)
    except (OSError, ValueError) as e:
        raise CommandError(e) from e


def evaluation_split(args, splits):
    """The (X, y) of load_mnist's ``splits`` that ``args.eval`` (one of EVAL_SETS) names."""
    _, validation, test = splits
    return validation if args.eval == "validation" else test


# -- models ----------------------------------------------------------------------------------

def load_model(path):
    """`fastnet.load`, with a missing or damaged model file as a CommandError."""
    from ..network import load  # numba loads with the engine: only once a model is asked for
    try:
        return load(path)
    except OSError as e:
        raise CommandError(f"{path}: cannot read the model file ({e.strerror or e})") from e
    except ValueError as e:
        raise CommandError(e) from e


# -- outputs ---------------------------------------------------------------------------------

def check_writable(flag, path):
    """Raise CommandError now, not after hours of work, unless ``path`` (the value of the
    option ``flag``) can be written."""
    try:
        atomic_file.check_writable(path)
    except OSError as e:
        raise CommandError(f"{flag} {path}: cannot write there ({e.strerror or e})") from e


# -- argument types --------------------------------------------------------------------------
# Each raises ArgumentTypeError with a one-line reason; argparse turns that into a usage error
# with exit status 2 and names the option itself.

def integer(minimum):
    """A whole number >= ``minimum``, refused in the words of `checks.check_count`, as the
    Python API and the experiments refuse it."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, not {text!r}") from None
        try:
            return check_count(value, "", minimum)
        except ValueError as e:  # "<what> must be ...", with no what: argparse names it
            raise argparse.ArgumentTypeError(str(e).strip()) from None
    return parse


def real(requirement, accept):
    """A finite number for which ``accept(value)`` holds; ``requirement`` says which, for the
    error ("a number > 0")."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
        if not (math.isfinite(value) and accept(value)):
            raise argparse.ArgumentTypeError(f"must be {requirement}, not {text}")
        return value
    return parse


# -- the first run ---------------------------------------------------------------------------

def first_run_note(dtype, kernel="epoch", prog="fastnet"):
    """Say on stderr, before the silence, that numba is about to compile the kernels for
    ``dtype``, when they are not in numba's on-disk cache (the cache is checked, not loaded):
    for commands whose worker processes train (``kernel="epoch"``: the compiled epoch holds
    every kernel it calls) or that only score (``"evaluation"``).  `fastnet train` needs no
    note of its own: `Network.SGD` says it before compiling (`train.compile_note`)."""
    if not _kernels_cached(np.dtype(dtype).name, kernel):
        from ..train import compile_note

        compile_note(dtype, prog)


def _kernels_cached(dtype_name, kernel):
    """Whether numba's cache index lists the kernel for arrays of ``dtype_name``: a cheap look
    at the index file, through numba internals; any surprise there counts as not cached (so
    the note is printed)."""
    try:
        import numba

        if kernel == "epoch":
            from ..step import _train_batches as dispatcher
        else:
            from ..layers import _bias_activate as dispatcher
        assert isinstance(dispatcher, numba.core.dispatcher.Dispatcher)
        index = dispatcher._cache._cache_file._load_index()
    except Exception:  # a NullCache (no cache directory), or numba's internals changed
        return False
    return any(f"array({dtype_name}," in str(key).lower() for key in index)
