"""Ctrl-C (SIGINT) handled differently for the length of a block, by whoever needs it: the
training command (stop after the mini-batch) and the experiment runner (start the worker
processes with it ignored)."""

import contextlib
import signal
import threading


@contextlib.contextmanager
def handling_sigint(handler):
    """Within the block SIGINT goes to ``handler`` (a function of (signum, frame), or
    signal.SIG_IGN); the previous handler is back after it.  Off the main thread, which alone
    may set signal handlers, the block runs with SIGINT as it was."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
