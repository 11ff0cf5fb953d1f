"""What happens between epochs: the history of a run and the rules that stop it or cool it.

The engine (`network.Network.SGD`) runs the epochs; this module holds the pieces it consults
after each one, kept apart so that they can be tested on a scripted sequence of accuracies.
"""

import math
from dataclasses import dataclass, field


class DivergenceError(FloatingPointError):
    """Training produced non-finite weights or costs.

    ``history`` holds the epochs completed before the divergence; the network's parameters
    have been restored to those at the end of the last finite epoch.
    """

    def __init__(self, message, history):
        super().__init__(message)
        self.history = history


@dataclass
class History:
    """Per-epoch record of a run.

    The first four lists are network2.py's return values (costs, and accuracies as counts of
    correct examples; a list stays empty when it is not monitored), then the seconds each
    epoch took and the learning rate it ran at.  Iterating gives the four lists and the
    seconds, so ``ec, ea, tc, ta, secs = net.SGD(...)`` reads like the book.

    ``stopped`` says why the run ended: "completed", "early stopping", "schedule" (the
    learning rate fell below eta0/128) or "interrupted".
    """

    evaluation_cost: list = field(default_factory=list)
    evaluation_accuracy: list = field(default_factory=list)
    training_cost: list = field(default_factory=list)
    training_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    eta: list = field(default_factory=list)
    stopped: str = "completed"

    def __iter__(self):
        return iter((self.evaluation_cost, self.evaluation_accuracy, self.training_cost,
                     self.training_accuracy, self.seconds))

    @property
    def epochs(self):
        """Number of completed epochs."""
        return len(self.seconds)


class NoImprovement:
    """The book's "no-improvement-in-n" rule on a sequence of accuracies.

    `update` returns True when ``n`` epochs in a row have not beaten the best accuracy seen
    so far, and then starts counting afresh, so that a learning-rate schedule can fire again
    after another n epochs without improvement.
    """

    def __init__(self, n):
        self.n = n
        self.best = -math.inf
        self.since_best = 0

    def update(self, accuracy):
        if accuracy > self.best:
            self.best = accuracy
            self.since_best = 0
            return False
        self.since_best += 1
        if self.since_best >= self.n:
            self.since_best = 0
            return True
        return False


class StopRule:
    """Early stopping and the learning-rate schedule of chapter 3, consulted after each epoch.

    - ``early_stopping=n`` alone: stop after n epochs without improvement.
    - ``schedule=True``: halve eta each time no-improvement-in-n fires (n defaults to 10, the
      book's choice) and stop once eta has fallen below eta0/128.

    `after_epoch(accuracy, eta)` returns ``(eta, reason)``: the learning rate for the next
    epoch, and None or the reason to stop now.
    """

    def __init__(self, eta0, early_stopping=None, schedule=False):
        self.eta0 = eta0
        self.schedule = schedule
        patience = early_stopping if early_stopping is not None else (10 if schedule else None)
        self.rule = NoImprovement(patience) if patience is not None else None

    @property
    def active(self):
        return self.rule is not None

    def after_epoch(self, accuracy, eta):
        if self.rule is None or not self.rule.update(accuracy):
            return eta, None
        if not self.schedule:
            return eta, "early stopping"
        eta = eta / 2
        return eta, ("schedule" if eta < self.eta0 / 128 else None)
