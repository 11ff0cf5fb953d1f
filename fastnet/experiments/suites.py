"""The experiments as data: the original notebook's four runs (`NOTEBOOK`) and every MNIST
result of chapters 1, 3 and 5 of the book (`BOOK`), one `Row` per line of the tables of issues
6 and 14, each with the figure(s) its source quotes (`Quote`); chapter 5's measurements of how
fast each hidden layer learns (`SPEEDS`, one `SpeedRow` per network); `SUITES` names them for
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
class Training:
    """What a row trains: a network, its data and its hyper-parameters, as the source ran it.

    program : the book's program the run stands for, "network.py" or "network2.py".
    train : how many training images, the first ones of the 50,000 (the book's
        ``training_data[:1000]``); the L2 decay uses n = train, as the book's code does.
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


@dataclass(frozen=True)
class Row(Training):
    """One experiment: a network trained with the source's hyper-parameters, evaluated after
    every epoch on the set the source used.

    eval : "test" or "validation".
    quotes : the figures the source quotes; the last one is the row's headline figure.
    best_of : the source's figure is the best of this many runs (1: a single run).
    """

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


# Chapter 5, "The vanishing gradient problem": network2.py on one to four hidden layers of 30
# neurons, "30 complete epochs, using mini-batches of 10 training examples at a time, a
# learning rate eta=0.1, and regularization parameter lambda=5.0", monitoring the accuracy on
# the validation data.  The book gives one figure per network ("a classification accuracy of
# 96.48 percent (or thereabouts ...)", "96.90 percent", "96.57 percent", "96.53 percent")
# without naming an epoch; read, as for chapter 3, as the peak.
H30 = {depth: (784,) + (30,) * depth + (10,) for depth in (1, 2, 3, 4)}
BOOK += tuple(
    _book_row(f"ch5-30x{depth}" if depth > 1 else "ch5-30", 5, H30[depth], CE, "default",
              50_000, 30, 0.1, 5.0, "validation", Quote(value))
    for depth, value in ((1, 96.48), (2, 96.90), (3, 96.57), (4, 96.53)))


@dataclass(frozen=True)
class SpeedRow(Training):
    """Chapter 5's speed of learning: how fast each hidden layer of a network learns, the norm
    ||delta^l|| of the gradient of the cost with respect to the layer's biases averaged over
    the training images (`Network.layer_speeds`), measured at the start of training and after
    every epoch, as the book's generate_gradient.py does.

    start : the book's figures at the start of training, one per hidden layer, first hidden
        layer first; start_text: its wording of them.  There is no evaluation set (``eval`` is
        None): the run only measures.
    """

    start: tuple
    start_text: str
    eval = None

    @property
    def hidden_layers(self):
        return len(self.sizes) - 2

    def setup(self):
        """The hyper-parameters in one line."""
        return (f"{list(self.sizes)} {self.cost}, {self.init} init; {self.train:,} images, "
                f"{self.epochs} epochs, batch {self.batch} (full-batch gradient descent), "
                f"eta {self.eta:g}, lmbda {self.lmbda:g}; speeds on the training images")

    def expected_seconds(self, epochs=None):
        """As `Row.expected_seconds`: an epoch is a step on the whole batch and a measurement,
        each ~ one pass over the training images."""
        weights = sum(k * n for k, n in zip(self.sizes[:-1], self.sizes[1:]))
        per_epoch = 2 * self.train * (1e-6 + 7.2e-11 * weights) + 4.7e-5
        return (epochs or self.epochs) * per_epoch


# Chapter 5: "To generate these results, I used batch gradient descent with just 1,000 training
# images, trained over 500 epochs"; generate_gradient.py runs network2.Network(sizes) (cross-
# entropy, default initialization) with net.SGD(td, 1, 1000, 0.1, lmbda=5.0) per epoch, td the
# first 1,000 training images.  Starting speeds, from the text: [784,30,30,10] "||delta^1|| =
# 0.07... and ||delta^2|| = 0.31..."; [784,30,30,30,10] "0.012, 0.060, and 0.283"; the four
# hidden layers "0.003, 0.017, 0.070, and 0.285".
SPEEDS = tuple(
    SpeedRow(f"ch5-speed-{depth}", "chapter 5", "generate_gradient.py", H30[depth], CE,
             "default", 1_000, 500, 1_000, 0.1, 5.0, start, text)
    for depth, start, text in (
        (2, (0.07, 0.31), "0.07..., 0.31..."),
        (3, (0.012, 0.060, 0.283), "0.012, 0.060, 0.283"),
        (4, (0.003, 0.017, 0.070, 0.285), "0.003, 0.017, 0.070, 0.285")))


@dataclass(frozen=True)
class Suite:
    name: str
    title: str
    source: str  # whose figures the rows quote: "book" or "notebook"
    rows: tuple
    epoch_tables: bool  # print each row's per-epoch accuracies, as the notebook did


SUITES = {
    "seed": Suite("seed", "The original notebook's four runs", "notebook", NOTEBOOK, True),
    "book": Suite("book", "The MNIST results of chapters 1, 3 and 5 of the book", "book",
                  BOOK + SPEEDS, False),
}


def select_rows(suite, only):
    if only is None:
        return suite.rows
    rows = [row for row in suite.rows if row.id == only]
    if not rows:
        raise ExperimentError(f"no row {only!r} in `reproduce {suite.name}`; its rows are "
                              + ", ".join(row.id for row in suite.rows))
    return tuple(rows)
