"""The experiments as data: the original notebook's four runs (`NOTEBOOK`), and its Network2
runs as they were probably run, with a softmax output layer (`NOTEBOOK_SOFTMAX`); every MNIST
result of chapters 1, 3 and 5 of the book (`BOOK`), one `Row` per line of the tables of issues
6 and 14, each with the figure(s) its source quotes (`Quote`); chapter 1's baseline
classifiers (`BASELINES`, one `BaselineRow` each); the runs only chapter 3's figures draw on
(`LEARNING_RATES`); chapter 5's measurements of how fast each hidden layer learns (`SPEEDS`,
one `SpeedRow` per network); `SUITES` names them for `fastnet reproduce seed|book`.
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

    epoch : None for the peak, the best evaluation accuracy over all epochs (or, for a
        classifier trained once, its accuracy: ``label`` "accuracy"); else the accuracy after
        that epoch, counted from 0 as the book's printout ("Epoch 0: ...") counts.
    relation : "" for an exact figure, "about" for a rounded one or one read off a graph,
        "under" for an upper bound.
    wording : how the source places an epoch figure: "at", "after" or "by" epoch k.
    label : the name of the statistic when ``epoch`` is None.
    """

    value: float
    epoch: int | None = None
    relation: str = ""
    wording: str = "at"
    label: str = "peak"

    @property
    def statistic(self):
        return self.label if self.epoch is None else f"epoch {self.epoch}"

    def __str__(self):
        where = self.label if self.epoch is None else f"{self.wording} epoch {self.epoch}"
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
    quotes : the figures the source quotes; the last one is the row's headline figure.  A row
        without any is run for a figure of chapter 3 (`chapter3`) and has no line in the table.
    best_of : the source's figure is the best of this many runs (1: a single run).
    monitor : what else to record after every epoch, besides the evaluation accuracy:
        "training_cost", "evaluation_cost" (both with the L2 term, as network2.py's) and
        "training_accuracy", for the figures of chapter 3.
    reading_of : the id of the row whose source this row reads differently (the notebook's
        Network2 trained with a softmax output layer, beside the class as printed); "" if none.
    """

    eval: str
    quotes: tuple
    best_of: int = 1
    monitor: tuple = ()
    reading_of: str = ""

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


def _notebook_row(id, lmbda, quote, program="network2.py", epochs=30, cost=None,
                  reading_of=""):
    network = program == "network.py"
    return Row(id, "notebook", program, (784, 30, 10),
               cost or ("quadratic" if network else "cross-entropy"),
               "large" if network else "default", 50_000, epochs, 100, 3.0, lmbda, "test",
               (quote,), reading_of=reading_of)


NOTEBOOK = (
    _notebook_row("network", 0.0, Quote(91.29, 9), program="network.py", epochs=10),
    _notebook_row("network2-lmbda0.1", 0.1, Quote(95.1, 20, "about", "by")),
    _notebook_row("network2-lmbda1", 1.0, Quote(96.0, 20, "about", "by")),
    _notebook_row("network2-lmbda5", 5.0, Quote(96.0, 20, "about", "by")),
)

# The notebook's Network2 as it was probably run.  Its printed class is marked `In [None]`
# (edited after the runs printed below it) and its forward pass ends in a softmax (issue 28);
# the rows above train it as the class reads otherwise, a sigmoid output layer with the
# cross-entropy delta a - y.  These train a softmax output layer with the log-likelihood
# cost, whose delta is the same a - y; results.md sets the two readings side by side.
NOTEBOOK_SOFTMAX = tuple(
    _notebook_row(f"{row.id}-softmax", row.lmbda, row.headline, cost="log-likelihood",
                  reading_of=row.id)
    for row in NOTEBOOK if row.program == "network2.py")


def _book_row(id, chapter, sizes, cost, init, train, epochs, eta, lmbda, eval, *quotes,
              best_of=1, monitor=()):
    program = "network.py" if chapter == 1 else "network2.py"
    return Row(id, f"chapter {chapter}", program, sizes, cost, init, train, epochs, 10, eta,
               lmbda, eval, quotes, best_of, monitor)


N30, N100 = (784, 30, 10), (784, 100, 10)
CE = "cross-entropy"
# overfitting.py draws four panels of each 1,000-image run: the cost and the accuracy on the
# training data and on the test data.
ALL_CURVES = ("training_cost", "evaluation_cost", "training_accuracy")
BOOK = (
    _book_row("ch1-30", 1, N30, "quadratic", "large", 50_000, 30, 3.0, 0.0, "test",
              Quote(95.42), best_of=3),
    _book_row("ch1-100", 1, N100, "quadratic", "large", 50_000, 30, 3.0, 0.0, "test",
              Quote(96.59)),
    _book_row("ch3-ce-30", 3, N30, CE, "large", 50_000, 30, 0.5, 0.0, "test", Quote(95.49)),
    _book_row("ch3-ce-100", 3, N100, CE, "large", 50_000, 30, 0.5, 0.0, "test", Quote(96.82)),
    _book_row("ch3-overfit", 3, N30, CE, "large", 1_000, 400, 0.5, 0.0, "test", Quote(82.27),
              monitor=ALL_CURVES),
    _book_row("ch3-reg-1k", 3, N30, CE, "large", 1_000, 400, 0.5, 0.1, "test", Quote(87.1),
              monitor=ALL_CURVES),
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

# Chapter 3's multiple_eta.py: "three MNIST networks with three different learning rates,
# eta=0.025, eta=0.25 and eta=2.5", network2.Network([784, 30, 10]) (cross-entropy, default
# initialization) with net.SGD(training_data, 30, 10, eta, lmbda=5.0, evaluation_data=
# validation_data, monitor_training_cost=True).  The book quotes no accuracy of them, only what
# the training cost does (`chapter3`); the accuracy on the validation set is recorded anyway.
LEARNING_RATES = tuple(
    _book_row(f"ch3-eta-{eta:g}", 3, N30, CE, "default", 50_000, 30, eta, 5.0, "validation",
              monitor=("training_cost",))
    for eta in (0.025, 0.25, 2.5))


@dataclass(frozen=True)
class BaselineRow:
    """One of chapter 1's yardsticks: a classifier that is not a network, trained once on the
    first ``train`` training images (the book's 50,000) and scored on the ``eval`` set.

    classifier : "darkness" (mnist_average_darkness.py: the digit whose average darkness, the
        sum of the pixels, is nearest the image's) or "svm" (mnist_svm.py: scikit-learn's SVC
        with the book's settings, `baselines.BOOK_SVC`).
    Nothing in either is random: a run is the same from every seed, so there is one.
    """

    id: str
    source: str
    program: str
    classifier: str
    train: int
    eval: str
    quotes: tuple
    best_of = 1

    @property
    def headline(self):
        return self.quotes[-1]

    def setup(self):
        """What the classifier is, in one line."""
        what = {"darkness": "the digit whose average darkness (sum of the pixels) over the "
                            "training images is nearest the image's",
                "svm": "scikit-learn SVC, RBF kernel, C = 1, gamma = 1/784 (the defaults of "
                       "the book's time)"}[self.classifier]
        return f"{what}; {self.train:,} images; {self.eval} set"

    def expected_seconds(self, train=None):
        """A rough model of a run's duration, only used to start the longest runs first: the
        SVM's fit grows about as the square of the images, its prediction as its support
        vectors (about a third of the images); the average darkness is one pass over the
        pixels.  The constants fit one run of each size on the development machine."""
        n = train or self.train
        if self.classifier == "svm":
            return 5e-8 * n * n + 2e-3 * n
        return 1e-6 * n


# Chapter 1: "getting 2,225 of the 10,000 test images correct, i.e., 22.25 percent accuracy";
# "If we run scikit-learn's SVM classifier using the default settings, then it gets 9,435 of
# 10,000 test images correct."
BASELINES = (
    BaselineRow("ch1-darkness", "chapter 1", "mnist_average_darkness.py", "darkness", 50_000,
                "test", (Quote(22.25, label="accuracy"),)),
    BaselineRow("ch1-svm", "chapter 1", "mnist_svm.py", "svm", 50_000, "test",
                (Quote(94.35, label="accuracy"),)),
)


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
    "seed": Suite("seed", "The original notebook's four runs", "notebook",
                  NOTEBOOK + NOTEBOOK_SOFTMAX, True),
    # Chapter 1's baselines after its networks, as in the book.
    "book": Suite("book", "The MNIST results of chapters 1, 3 and 5 of the book", "book",
                  BOOK[:2] + BASELINES + BOOK[2:] + LEARNING_RATES + SPEEDS, False),
}


def select_rows(suite, only):
    if only is None:
        return suite.rows
    rows = [row for row in suite.rows if row.id == only]
    if not rows:
        raise ExperimentError(f"no row {only!r} in `reproduce {suite.name}`; its rows are "
                              + ", ".join(row.id for row in suite.rows))
    return tuple(rows)
