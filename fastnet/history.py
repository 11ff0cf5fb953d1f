"""The record of a training run, epoch by epoch: what `Network.SGD` returns, what it prints
after each epoch, and the JSON `fastnet train --history` writes (which `fastnet plot` reads).
"""

import math
from dataclasses import dataclass, field

from . import __version__, atomic_file

# The per-epoch lists, in the order the book's network2.py returns the first four.
LISTS = ("evaluation_cost", "evaluation_accuracy", "training_cost", "training_accuracy",
         "loss", "seconds", "scoring_seconds", "eta")

# What the --history file calls a monitored quantity (`config["monitor"]`), by list.
MONITOR_NAMES = {"evaluation_cost": "evaluation-cost", "training_cost": "training-cost",
                 "training_accuracy": "training-accuracy", "loss": "loss"}


@dataclass
class History:
    """Per-epoch record of a run.

    The first four lists are network2.py's return values (costs, and accuracies as counts of
    correct examples; a list stays empty when it is not monitored).  Iterating gives those
    four and the seconds, so ``ec, ea, tc, ta, secs = net.SGD(...)`` reads like the book.
    ``history`` gives the monitored lists by name, as Keras's ``History.history`` does.

    ``seconds`` is what each epoch's training took (its mini-batches, no scoring);
    ``scoring_seconds`` what its monitoring took after it (accuracies and costs); ``eta`` the
    learning rate it ran at.

    ``loss``, when monitored (``monitor_loss``), is each epoch's mean loss as it trained: the
    cost of every mini-batch before its step, averaged over the epoch's examples (weighted by
    their sample weights), without the penalty; the probabilities are clipped to
    [eps, 1 - eps] before a logarithm, as scikit-learn does.  It costs no pass over the data
    (Keras's ``loss``, scikit-learn's ``loss_curve_`` without its penalty term).

    ``stopped`` says why the run ended: "completed", "early stopping", "schedule" (the
    learning rate fell below eta0/128) or "interrupted" (Ctrl-C, or ``on_batch``).
    ``config`` holds the run's settings (those `save` writes to the file), when known.
    """

    evaluation_cost: list = field(default_factory=list)
    evaluation_accuracy: list = field(default_factory=list)
    training_cost: list = field(default_factory=list)
    training_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    eta: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    scoring_seconds: list = field(default_factory=list)
    stopped: str = "completed"
    config: dict = field(default_factory=dict, repr=False)

    def __iter__(self):
        return iter((self.evaluation_cost, self.evaluation_accuracy, self.training_cost,
                     self.training_accuracy, self.seconds))

    def __setstate__(self, state):
        """A History pickled by another version of fastnet: its fields as they were, the
        ones it lacks empty; anything that is not a History's is refused, by name."""
        fresh = History().__dict__
        unknown = sorted(set(state) - set(fresh))
        if unknown:
            raise ValueError(f"not a fastnet History (unknown fields {', '.join(unknown)}): "
                             f"pickled by an incompatible version?")
        self.__dict__.update({**fresh, **state})

    @property
    def epochs(self):
        """Number of completed epochs."""
        return len(self.seconds)

    @property
    def history(self):
        """The per-epoch lists that hold values, by name (Keras's convention, the book's
        names): ``{"evaluation_accuracy": [...], "seconds": [...], ...}``."""
        return {name: list(getattr(self, name)) for name in LISTS if getattr(self, name)}

    def best_epoch(self):
        """``(epoch, correct)`` of the best evaluation accuracy, the first if tied; None if no
        epoch has one."""
        if not self.evaluation_accuracy:
            return None
        correct = max(self.evaluation_accuracy)
        return self.evaluation_accuracy.index(correct), correct

    def __repr__(self):
        words = [f"{self.epochs} epoch{'' if self.epochs == 1 else 's'}", self.stopped]
        best = self.best_epoch()
        if best is not None:
            size = self.config.get("eval_size")
            of = f" / {size}" if size else ""
            words.append(f"best evaluation accuracy {best[1]}{of} in epoch {best[0]}")
        if self.epochs:
            words.append(f"{sum(self.seconds):.3g} s training, "
                         f"{sum(self.scoring_seconds):.3g} s scoring")
        return f"History({'; '.join(words)})"

    def epoch_line(self, epoch, speeds=None):
        """The line printed after epoch ``epoch`` (the last recorded one), in the book's style:
        the evaluation accuracy, then what else was monitored, and the seconds of training
        (scoring after it is not counted).  ``speeds``: the layer speeds so far."""
        config = self.config
        i = epoch if epoch < self.epochs else -1
        head = f"Epoch {epoch}"
        if self.evaluation_accuracy:
            head += f": {self.evaluation_accuracy[i]} / {config.get('eval_size', '?')}"
        parts = [f"{self.seconds[i]:.3g} s"]
        if config.get("schedule"):
            parts.append(f"eta {self.eta[i]:g}")
        if self.loss:
            parts.append(f"loss {self.loss[i]:.6g}")
        if self.evaluation_cost:
            parts.append(f"evaluation cost {self.evaluation_cost[i]:.6g}")
        if self.training_cost:
            parts.append(f"training cost {self.training_cost[i]:.6g}")
        if self.training_accuracy:
            parts.append(f"training accuracy {self.training_accuracy[i]} / "
                         f"{config.get('train_size', '?')}")
        if speeds is not None:
            parts.append(f"layer speed {' '.join(f'{v:.3g}' for v in speeds[-1])}")
        return f"{head} ({', '.join(parts)})"

    # -- the --history file ---------------------------------------------------------------------

    def document(self, config=None, speeds=None):
        """The --history JSON: the config (``config``, or this run's), one record per epoch
        (accuracies as fractions; fields that were not monitored left out), and the best
        epoch.  With ``speeds`` (the layer speeds at the start, then after each epoch), each
        record has its ``layer_speed`` and the document a ``start`` record."""
        config = self.config if config is None else config
        n_eval, n_train = config.get("eval_size"), config.get("train_size")
        monitor = config.get("monitor", [])
        epochs = []
        for i in range(self.epochs):
            record = {"epoch": i}
            if self.evaluation_accuracy:
                record["evaluation_accuracy"] = self.evaluation_accuracy[i] / n_eval
            if "evaluation-cost" in monitor:
                record["evaluation_cost"] = self.evaluation_cost[i]
            if "training-accuracy" in monitor:
                record["training_accuracy"] = self.training_accuracy[i] / n_train
            if "training-cost" in monitor:
                record["training_cost"] = self.training_cost[i]
            if "loss" in monitor:
                record["loss"] = _finite([self.loss[i]])[0]
            if speeds is not None:
                record["layer_speed"] = _finite(speeds[i + 1])
            record["eta"] = self.eta[i]
            record["seconds"] = self.seconds[i]
            if i < len(self.scoring_seconds):
                record["scoring_seconds"] = self.scoring_seconds[i]
            epochs.append(record)
        best = self.best_epoch()
        document = {"config": config}
        if speeds is not None:
            document["start"] = {"layer_speed": _finite(speeds[0])}
        return {**document, "epochs": epochs,
                "best": {"epoch": best[0] if best else None,
                         "evaluation_accuracy": best[1] / n_eval if best else None}}

    def save(self, path):
        """Write the JSON `fastnet train --history` writes (`document`), atomically, so that
        ``fastnet plot`` and `fastnet.plots.learning_curves` read a run made in Python."""
        atomic_file.write_json(path, self.document())


def run_config(net, config, *, epochs, mini_batch_size, threads, train_size, eval_size, monitor,
               early_stopping, schedule):
    """The settings of a `Network.SGD` run, as `History.config` and the --history file name
    them."""
    out = {"version": __version__, "sizes": list(net.sizes), "activation": net.activation,
           "cost": net.cost.name, "init": net.init, "dtype": net.dtype.name,
           "penalty": net.penalty, "train_size": train_size, "epochs": epochs,
           "mini_batch_size": mini_batch_size, "eta": config.eta, "lmbda": config.lmbda,
           "momentum": config.mu, "optimizer": config.optimizer}
    if config.optimizer == "adam":
        out.update(betas=list(config.betas), epsilon=config.epsilon)
    if eval_size is not None:
        out["eval_size"] = eval_size
    out.update(threads=threads, early_stopping=early_stopping, schedule=schedule,
               monitor=[MONITOR_NAMES[name] for name in monitor if name in MONITOR_NAMES])
    return out


def _finite(values):
    """``values`` for JSON: a number that is not finite (an overflow) as null."""
    return [v if math.isfinite(v) else None for v in values]
