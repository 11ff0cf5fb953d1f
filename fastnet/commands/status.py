"""The exit statuses of `fastnet`, each meaning one thing, and the report of a signal that
ended a command.

Imports nothing heavy, so that `fastnet.cli` can report a Ctrl-C that comes while numpy and
numba are still loading.
"""

from ..interrupts import exit_status, signal_name, signum_of

EXIT_OK = 0
EXIT_FAILURE = 1  # a failure after the work began (common.FailedAfterWork), a diverged run too
EXIT_USAGE = 2  # bad input found before any work (common.CommandError), or a usage error

# For `--help`: what each exit status means.
EXIT_STATUSES = ("Exit status: 0 success; 1 a failure after the work began, a diverged "
                 "training run or an output that could not be printed too (the message says "
                 "what was not saved); 2 bad input or usage, found before any work; 130 Ctrl-C; "
                 "143 SIGTERM, 129 SIGHUP, 131 SIGQUIT (128 + the signal).")


class Interrupted(KeyboardInterrupt):
    """A signal that ends the command (Ctrl-C's SIGINT unless ``signum`` says otherwise), with
    the one line to say about it (what was lost); `fastnet.cli.main` prints ``fastnet
    COMMAND: <message>`` and exits with 128 + the signal."""

    def __init__(self, message, signum=None):
        super().__init__(message)
        self.signum = signum_of(None) if signum is None else signum


def interrupted(error, message):
    """The `Interrupted` that reports the KeyboardInterrupt ``error`` (Ctrl-C or another stop
    signal) as ``message``, in which ``{signal}`` names the signal: "aborted ({signal})"."""
    signum = signum_of(error)
    return Interrupted(message.format(signal=signal_name(signum)), signum)


def interrupted_message(error):
    """What to print for the KeyboardInterrupt ``error``: an `Interrupted`'s message, else
    the plain fact, naming the signal."""
    if isinstance(error, Interrupted) and str(error):
        return str(error)
    return f"interrupted ({signal_name(signum_of(error))})"


def interrupted_status(error):
    """The exit status after the KeyboardInterrupt ``error``: 128 + its signal."""
    return exit_status(signum_of(error))
