"""The signals that end a run, and handling them differently for the length of a block.

Ctrl-C sends SIGINT, which Python turns into KeyboardInterrupt.  `kill`, `timeout`, Slurm and
Docker send SIGTERM, a closed terminal SIGHUP, Ctrl-\\ SIGQUIT; by default each kills the
process on the spot, losing what a Ctrl-C would have saved.  Within `raising_stop_signals`
those three raise `Stopped`, a KeyboardInterrupt, so that whatever cleans up after a Ctrl-C
(the training command's save, the experiment runner's workers) cleans up after them too.
Who needs otherwise handles them for a block: the training command stops after the current
mini-batch, the experiment runner starts its workers with SIGINT ignored.
"""

import contextlib
import signal
import threading

# Every signal that asks the program to end, Ctrl-C's first.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


class Stopped(KeyboardInterrupt):
    """SIGTERM, SIGHUP or SIGQUIT arrived (``signum``): raised where the program was, as
    Ctrl-C raises KeyboardInterrupt."""

    def __init__(self, signum):
        super().__init__()
        self.signum = signum


def signum_of(error):
    """The signal a KeyboardInterrupt stands for: a `Stopped`'s (or anything carrying a
    ``signum``), else SIGINT."""
    return getattr(error, "signum", signal.SIGINT)


def signal_name(signum):
    """How messages name ``signum``: "Ctrl-C" for SIGINT, else "SIGTERM" and the like."""
    if signum == signal.SIGINT:
        return "Ctrl-C"
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def exit_status(signum):
    """128 + ``signum``: what a shell reports for a process a signal ended (130 for Ctrl-C)."""
    return 128 + int(signum)


def raise_stopped(signum, frame):
    """The handler that makes SIGINT a KeyboardInterrupt and the other stop signals
    `Stopped`."""
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stopped(signum)


@contextlib.contextmanager
def handling_signals(handler, signals=STOP_SIGNALS):
    """Within the block each of ``signals`` goes to ``handler`` (a function of (signum,
    frame), or signal.SIG_IGN); the previous handlers are back after it.  Off the main thread,
    which alone may set signal handlers, the block runs with the signals as they were."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum in signals}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def handling_sigint(handler):
    """`handling_signals` for SIGINT alone."""
    return handling_signals(handler, (signal.SIGINT,))


def raising_stop_signals():
    """Within the block SIGTERM, SIGHUP and SIGQUIT raise `Stopped` (SIGINT keeps raising
    KeyboardInterrupt, as Python has it)."""
    return handling_signals(raise_stopped, STOP_SIGNALS[1:])


def abort_on_stop_signals():
    """From now on every stop signal raises at once (`raise_stopped`): what a second one does
    after a first asked a run to stop gently."""
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            signal.signal(signum, raise_stopped)
