"""What `fastnet train` shows and keeps as it goes: the hooks SGD calls during the run
(`Progress`: Ctrl-C and the other stop signals, the progress bar, the layer speeds, a line per
epoch, the history file after every epoch; `BestEpoch`: the best epoch's weights, for --keep
best), the closing summary line, the line on what --save saved, and the --history document.
"""

import math
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
        print(epoch_line(epoch, history, self.config, self.speeds), flush=True)
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
    tied, as `best_epoch` picks it), copied when an epoch improves on it: SGD's on_epoch
    hook for `fastnet train --save --keep best`."""

    def __init__(self, net):
        self.net = net
        self.epoch = None
        self.weights = self.biases = None

    def on_epoch(self, epoch, history):
        best = best_epoch(history)
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


def epoch_line(epoch, history, config, speeds=None):
    """The line printed after an epoch; ``speeds``: the layer speeds so far, start first."""
    line = (f"Epoch {epoch}: {history.evaluation_accuracy[-1]} / {config['eval_size']} "
            f"({history.seconds[-1]:.3g} s")
    if config["schedule"]:
        line += f", eta {history.eta[-1]:g}"
    if history.evaluation_cost:
        line += f", evaluation cost {history.evaluation_cost[-1]:.6g}"
    if history.training_cost:
        line += f", training cost {history.training_cost[-1]:.6g}"
    if history.training_accuracy:
        line += f", training accuracy {history.training_accuracy[-1]} / {config['train_size']}"
    if speeds is not None:
        line += f", layer speed {' '.join(f'{v:.3g}' for v in speeds[-1])}"
    return line + ")"


def best_epoch(history):
    """(epoch, correct count) of the best evaluation accuracy, the first if tied; None if no
    epoch was completed."""
    if not history.evaluation_accuracy:
        return None
    correct = max(history.evaluation_accuracy)
    return history.evaluation_accuracy.index(correct), correct


def summary(history, config, elapsed):
    done = f"{plural(history.epochs, 'epoch')} in {elapsed:.1f} s"
    best = best_epoch(history)
    if best is None:
        return f"No epoch completed; {done}"
    epoch, correct = best
    n = config["eval_size"]
    return f"Best: {correct} / {n} ({correct / n:.2%}) in epoch {epoch}; {done}"


def history_document(history, config, speeds=None):
    """The --history JSON: the config, one record per epoch (accuracies as fractions; fields
    that were not monitored left out), and the best epoch.  With ``speeds`` (the layer speeds
    at the start, then after each epoch), each record has its ``layer_speed`` and the document
    a ``start`` record with the speeds before the first epoch."""
    n_eval, n_train = config["eval_size"], config["train_size"]
    epochs = []
    for i in range(history.epochs):
        record = {"epoch": i, "evaluation_accuracy": history.evaluation_accuracy[i] / n_eval}
        if "evaluation-cost" in config["monitor"]:
            record["evaluation_cost"] = history.evaluation_cost[i]
        if "training-accuracy" in config["monitor"]:
            record["training_accuracy"] = history.training_accuracy[i] / n_train
        if "training-cost" in config["monitor"]:
            record["training_cost"] = history.training_cost[i]
        if speeds is not None:
            record["layer_speed"] = _finite(speeds[i + 1])
        record["eta"] = history.eta[i]
        record["seconds"] = history.seconds[i]
        epochs.append(record)
    best = best_epoch(history)
    document = {"config": config}
    if speeds is not None:
        document["start"] = {"layer_speed": _finite(speeds[0])}
    return {**document, "epochs": epochs,
            "best": {"epoch": best[0] if best else None,
                     "evaluation_accuracy": best[1] / n_eval if best else None}}


def _finite(values):
    """``values`` for JSON: a number that is not finite (an overflow) as null."""
    return [v if math.isfinite(v) else None for v in values]


def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"
