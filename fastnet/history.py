"""The record of a training run, epoch by epoch: what `Network.SGD` returns."""

from dataclasses import dataclass, field


@dataclass
class History:
    """Per-epoch record of a run.

    The first four lists are network2.py's return values (costs, and accuracies as counts of
    correct examples; a list stays empty when it is not monitored), then the seconds each
    epoch took and the learning rate it ran at.  Iterating gives the four lists and the
    seconds, so ``ec, ea, tc, ta, secs = net.SGD(...)`` reads like the book.

    ``loss``, when monitored (``monitor_loss``), is each epoch's mean loss as it trained: the
    cost of every mini-batch before its step, averaged over the epoch's examples (weighted by
    their sample weights), without the penalty; the probabilities are clipped to
    [eps, 1 - eps] before a logarithm, as scikit-learn does.  It costs no pass over the data
    (Keras's ``loss``, scikit-learn's ``loss_curve_`` without its penalty term).

    ``stopped`` says why the run ended: "completed", "early stopping", "schedule" (the
    learning rate fell below eta0/128) or "interrupted".
    """

    evaluation_cost: list = field(default_factory=list)
    evaluation_accuracy: list = field(default_factory=list)
    training_cost: list = field(default_factory=list)
    training_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    eta: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    stopped: str = "completed"

    def __iter__(self):
        return iter((self.evaluation_cost, self.evaluation_accuracy, self.training_cost,
                     self.training_accuracy, self.seconds))

    @property
    def epochs(self):
        """Number of completed epochs."""
        return len(self.seconds)
