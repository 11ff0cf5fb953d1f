"""The experiments as data: the original notebook's four runs (`NOTEBOOK`) and every MNIST
result of chapters 1 and 3 of the book (`BOOK`), one `Row` per line of the tables of issue 6,
each with the figure(s) its source quotes (`Quote`); `SUITES` names them for
`fastnet reproduce seed|book`.
"""

from dataclasses import dataclass

import numpy as np

# A row whose figure differs from the book's by more than this many points is explained in
# results.md.
AGREEMENT_POINTS = 0.5


class ExperimentError(Exception):
    """Bad options, or data that cannot hold a row: the command line reports it in one line."""


@dataclass(frozen=True)
class Quote:
    """A figure the book (or the notebook) quotes for a row: an accuracy in percent.

    epoch : None for the peak, the best evaluation accuracy over all epochs; else the accuracy
        after that epoch, counted from 0 as the book's printout ("Epoch 0: ...") counts.
    relation : "" for an exact figure, "about" for a rounded one or one read off a graph,
        "under" for an upper bound.
    wording : how the source places an epoch figure: "at", "after" or "by" epoch k.
    """

    value: float
    epoch: int | None = None
    relation: str = ""
    wording: str = "at"

    @property
    def statistic(self):
        return "peak" if self.epoch is None else f"epoch {self.epoch}"

    def __str__(self):
        where = "peak" if self.epoch is None else f"{self.wording} epoch {self.epoch}"
        return f"{self.relation + ' ' if self.relation else ''}{self.value:g} {where}"

    def epoch_in(self, accuracy):
        """The epoch of the curve ``accuracy`` (one value per epoch) this figure reads: the
        first best one for the peak; for an epoch figure, that epoch, or the last one when the
        run was shorter (--quick)."""
        if self.epoch is None:
            return int(np.argmax(accuracy))
        return min(self.epoch, len(accuracy) - 1)

    def of(self, accuracy):
        """This statistic of the curve ``accuracy``."""
        return accuracy[self.epoch_in(accuracy)]

    def agrees(self, ours):
        """Whether ``ours`` matches the quoted figure to within AGREEMENT_POINTS; an "under"
        figure is matched by anything below it (plus the same slack)."""
        difference = ours - self.value
        if self.relation == "under":
            return difference <= AGREEMENT_POINTS
        return abs(difference) <= AGREEMENT_POINTS


@dataclass(frozen=True)
class Row:
    """One experiment: a network trained with the source's hyper-parameters, evaluated after
    every epoch on the set the source used.

    program : the book's program the run stands for, "network.py" or "network2.py".
    train : how many training images, the first ones of the 50,000 (the book's
        ``training_data[:1000]``); the L2 decay uses n = train, as the book's code does.
    eval : "test" or "validation".
    quotes : the figures the source quotes; the last one is the row's headline figure.
    best_of : the source's figure is the best of this many runs (1: a single run).
    """

    id: str
    source: str
    program: str
    sizes: tuple
    cost: str
    init: str
    train: int
    epochs: int
    batch: int
    eta: float
    lmbda: float
    eval: str
    quotes: tuple
    best_of: int = 1

    @property
    def headline(self):
        return self.quotes[-1]

    def setup(self):
        """The hyper-parameters in one line."""
        return (f"{list(self.sizes)} {self.cost}, {self.init} init; {self.train:,} images, "
                f"{self.epochs} epochs, batch {self.batch}, eta {self.eta:g}, "
                f"lmbda {self.lmbda:g}; {self.eval} set")

    def expected_seconds(self, epochs=None):
        """A rough model of a run's duration, only used to start the longest runs first.

        Measured on the development machine, float64, one BLAS thread: a training example
        costs ~1 us plus ~0.07 ns per weight plus ~47 us per mini-batch; an evaluated example
        ~0.08 ns per weight.
        """
        weights = sum(k * n for k, n in zip(self.sizes[:-1], self.sizes[1:]))
        n_eval = 10_000
        per_train = 1e-6 + 7.2e-11 * weights + 4.7e-5 / self.batch
        per_epoch = self.train * per_train + n_eval * 8e-11 * weights
        return (epochs or self.epochs) * per_epoch


def _notebook_row(id, lmbda, quote, program="network2.py", epochs=30):
    network = program == "network.py"
    return Row(id, "notebook", program, (784, 30, 10),
               "quadratic" if network else "cross-entropy", "large" if network else "default",
               50_000, epochs, 100, 3.0, lmbda, "test", (quote,))


NOTEBOOK = (
    _notebook_row("network", 0.0, Quote(91.29, 9), program="network.py", epochs=10),
    _notebook_row("network2-lmbda0.1", 0.1, Quote(95.1, 20, "about", "by")),
    _notebook_row("network2-lmbda1", 1.0, Quote(96.0, 20, "about", "by")),
    _notebook_row("network2-lmbda5", 5.0, Quote(96.0, 20, "about", "by")),
)


def _book_row(id, chapter, sizes, cost, init, train, epochs, eta, lmbda, eval, *quotes,
              best_of=1):
    program = "network.py" if chapter == 1 else "network2.py"
    return Row(id, f"chapter {chapter}", program, sizes, cost, init, train, epochs, 10, eta,
               lmbda, eval, quotes, best_of)


N30, N100 = (784, 30, 10), (784, 100, 10)
CE = "cross-entropy"
BOOK = (
    _book_row("ch1-30", 1, N30, "quadratic", "large", 50_000, 30, 3.0, 0.0, "test",
              Quote(95.42), best_of=3),
    _book_row("ch1-100", 1, N100, "quadratic", "large", 50_000, 30, 3.0, 0.0, "test",
              Quote(96.59)),
    _book_row("ch3-ce-30", 3, N30, CE, "large", 50_000, 30, 0.5, 0.0, "test", Quote(95.49)),
    _book_row("ch3-ce-100", 3, N100, CE, "large", 50_000, 30, 0.5, 0.0, "test", Quote(96.82)),
    _book_row("ch3-overfit", 3, N30, CE, "large", 1_000, 400, 0.5, 0.0, "test", Quote(82.27)),
    _book_row("ch3-reg-1k", 3, N30, CE, "large", 1_000, 400, 0.5, 0.1, "test", Quote(87.1)),
    _book_row("ch3-reg-30", 3, N30, CE, "large", 50_000, 30, 0.5, 5.0, "test", Quote(96.49)),
    _book_row("ch3-reg-100", 3, N100, CE, "large", 50_000, 30, 0.5, 5.0, "validation",
              Quote(97.92)),
    _book_row("ch3-reg-100-60", 3, N100, CE, "large", 50_000, 60, 0.1, 5.0, "validation",
              Quote(98.04)),
    _book_row("ch3-init-large", 3, N30, CE, "large", 50_000, 30, 0.1, 5.0, "validation",
              Quote(87, 0, "under", "after"), Quote(96.5, relation="about")),
    _book_row("ch3-init-default", 3, N30, CE, "default", 50_000, 30, 0.1, 5.0, "validation",
              Quote(92.7, 0, "about", "after"), Quote(96.5, relation="about")),
)


@dataclass(frozen=True)
class Suite:
    name: str
    title: str
    source: str  # whose figures the rows quote: "book" or "notebook"
    rows: tuple
    epoch_tables: bool  # print each row's per-epoch accuracies, as the notebook did


SUITES = {
    "seed": Suite("seed", "The original notebook's four runs", "notebook", NOTEBOOK, True),
    "book": Suite("book", "The MNIST results of chapters 1 and 3 of the book", "book", BOOK,
                  False),
}


def select_rows(suite, only):
    if only is None:
        return suite.rows
    rows = [row for row in suite.rows if row.id == only]
    if not rows:
        raise ExperimentError(f"no row {only!r} in `reproduce {suite.name}`; its rows are "
                              + ", ".join(row.id for row in suite.rows))
    return tuple(rows)
