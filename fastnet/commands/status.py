"""The exit statuses of `fastnet`, each meaning one thing, and the Ctrl-C report.

Imports nothing heavy, so that `fastnet.cli` can report a Ctrl-C that comes while numpy and
numba are still loading.
"""

EXIT_OK = 0
EXIT_FAILURE = 1  # a failure after the work began (common.FailedAfterWork), a diverged run too
EXIT_USAGE = 2  # bad input found before any work (common.CommandError), or a usage error
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a run ended by Ctrl-C

# For `--help`: what each exit status means.
EXIT_STATUSES = ("Exit status: 0 success; 1 a failure after the work began, a diverged "
                 "training run too (the message says what was not saved); 2 bad input or "
                 "usage, found before any work; 130 Ctrl-C.")


class Interrupted(KeyboardInterrupt):
    """A Ctrl-C, with the one line to say about it (what was lost); `fastnet.cli.main`
    prints ``fastnet COMMAND: <message>`` and exits with EXIT_INTERRUPTED."""


def interrupted_message(error):
    """What to print for the KeyboardInterrupt ``error``: an `Interrupted`'s message, else
    the plain fact."""
    return str(error) if isinstance(error, Interrupted) and str(error) else "interrupted (Ctrl-C)"
