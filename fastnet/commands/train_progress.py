"""What `fastnet train` shows and keeps as it goes: the hooks SGD calls during the run
(`Progress`: Ctrl-C and the other stop signals, the progress bar, the layer speeds, a line per
epoch, the history file after every epoch; `BestEpoch`: the best epoch's weights, for --keep
best), the closing summary line, the line on what --save saved, and the --history document.
"""

import signal
import sys

from .. import atomic_file
from ..interrupts import (STOP_SIGNALS, abort_on_stop_signals, exit_status, handling_signals,
                          signal_name)
from .output import one_line

# How long the history written after an epoch may wait for a FIFO's reader to take it: the
# training loop waits no longer, and a stop signal is acted on after it.
EPOCH_WRITE_SECONDS = 1.0


class Progress:
    """The hooks SGD calls during one `fastnet train`: Ctrl-C (and SIGTERM, SIGHUP, SIGQUIT:
    `fastnet.interrupts`), the progress bar, the epoch lines and the history file.

    layer_speeds : None, or a function measuring the network's layer speeds
    (`Network.layer_speeds` on fixed images), called now, for the start, and after each epoch
    (`--monitor layer-speed`); the results are kept in ``speeds`` (start first).
    """

    def __init__(self, config, show_bar, layer_speeds=None):
        self.config = config
        self.show_bar = show_bar
        self.interrupted = False
        self.signum = None  # the signal that asked the run to stop
        self.epoch = 0
        self.bar = None
        self.history_failed = False
        self.layer_speeds = layer_speeds
        self.speeds = [layer_speeds()] if layer_speeds is not None else None

    def catching_ctrl_c(self):
        """Within the block, Ctrl-C, SIGTERM, SIGHUP or SIGQUIT asks the run to stop after the
        current mini-batch."""
        return handling_signals(self._on_signal, STOP_SIGNALS)

    def _on_signal(self, signum, frame):
        self.interrupted = True
        self.signum = signum
        # A second one aborts at once, should the mini-batch never end.
        abort_on_stop_signals()

    @property
    def stopped_by(self):
        """The signal that stopped the run, in words ("Ctrl-C", "SIGTERM")."""
        return signal_name(self.signum or signal.SIGINT)

    @property
    def stopped_status(self):
        """The exit status of a run a signal stopped: 128 + the signal."""
        return exit_status(self.signum or signal.SIGINT)

    def on_progress(self, epoch, done, total):
        """SGD's report from the waiting thread, about every 0.1 s: the bar follows it, and a
        stop signal that arrived stops the run after the current mini-batch (no return to
        Python per mini-batch for either)."""
        if self.show_bar:
            if self.bar is None:
                from tqdm import tqdm  # only for a terminal; keeps start-up lean otherwise

                self.bar = tqdm(total=total, unit="batch", desc=f"Epoch {epoch}", leave=False,
                                file=sys.stderr)
            self.bar.update(done - self.bar.n)
        return self.interrupted

    def on_epoch(self, epoch, history):
        self.close_bar()
        self.epoch = epoch + 1
        if self.layer_speeds is not None:
            self.speeds.append(self.layer_speeds())
        print(history.epoch_line(epoch, self.speeds), flush=True)
        path = self.config["history"]
        if path is not None:
            try:
                atomic_file.write_json(path, history_document(history, self.config,
                                                              self.speeds),
                                       fifo_seconds=EPOCH_WRITE_SECONDS)
            except OSError as e:
                # Training goes on: the file is tried again at the end, which reports failure.
                if not self.history_failed:
                    print(one_line(f"fastnet train: warning: could not write {path} "
                                   f"({e.strerror or e}); training goes on"), file=sys.stderr)
                self.history_failed = True

    def close_bar(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class BestEpoch:
    """The parameters of the epoch with the best evaluation accuracy so far (the first, if
    tied, as `History.best_epoch` picks it), copied when an epoch improves on it: SGD's on_epoch
    hook for `fastnet train --save --keep best`."""

    def __init__(self, net):
        self.net = net
        self.epoch = None
        self.weights = self.biases = None

    def on_epoch(self, epoch, history):
        best = history.best_epoch()
        if best is not None and best[0] == epoch:
            self.epoch = epoch
            self.weights = [w.copy() for w in self.net.weights]
            self.biases = [b.copy() for b in self.net.biases]

    def restore(self):
        """Put the best epoch's parameters back into the network (nothing if no epoch
        completed)."""
        if self.epoch is not None:
            self.net.weights, self.net.biases = self.weights, self.biases


def saved_note(history, keep, best_epoch_saved, diverged, stopped_by="Ctrl-C"):
    """Which weights --save wrote, in words, for the line after the summary; ``stopped_by``
    names the signal that stopped an interrupted run."""
    if keep == "best" and best_epoch_saved is not None:
        return f"the weights after epoch {best_epoch_saved}, the best (--keep best)"
    last = history.epochs - 1
    if diverged:
        return ("its last finite parameters, which the engine restored: " +
                (f"the weights after epoch {last}" if last >= 0 else "the initial weights"))
    if history.stopped == "interrupted":
        return (f"the weights when {stopped_by} stopped epoch {history.epochs} part-way"
                + (" (no epoch completed)" if keep == "best" else ""))
    if last < 0:
        return "the initial weights (no epoch was run)"
    return f"the weights after epoch {last}, the last (--keep {keep})"


def summary(history, config, elapsed):
    """The closing line: the best epoch, and the run's seconds: all of them (``elapsed``: the
    data's loading excluded, everything from the network's creation on included), then the
    epochs' training and their scoring, the two parts the epoch lines report."""
    done = (f"{plural(history.epochs, 'epoch')} in {elapsed:.1f} s "
            f"({sum(history.seconds):.1f} s training, {sum(history.scoring_seconds):.1f} s "
            f"scoring)")
    best = history.best_epoch()
    if best is None:
        return f"No epoch completed; {done}"
    epoch, correct = best
    n = config["eval_size"]
    return f"Best: {correct} / {n} ({correct / n:.2%}) in epoch {epoch}; {done}"


def history_document(history, config, speeds=None):
    """The --history JSON of the run (`History.document`), with the command's config."""
    return history.document(config, speeds)


def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"
