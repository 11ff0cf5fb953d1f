"""Chapter 3's figures drawn from our runs, beside what the book says of them: the four panels
of overfitting.py (a [784, 30, 10] network on 1,000 images for 400 epochs, without
regularization and with lmbda = 0.1), the training cost of multiple_eta.py for three learning
rates, and the two initialisations of weight_initialization.py.

Each statement the book makes from these figures that has a number in it (an epoch, a
percentage) is a `Statement`: the book's words, the number, and how we read the same number off
each of our runs; results.md sets our median and range beside the book's.  Everything here
reads results.json's content only (`summary.summarize`), as the rest of the report does.

The book's text is quoted from neuralnetworksanddeeplearning.com/chap3.html; its programs are
mnielsen/neural-networks-and-deep-learning's fig/overfitting.py, fig/multiple_eta.py and
fig/weight_initialization.py.
"""

import statistics
from dataclasses import dataclass

import numpy as np

from .. import atomic_file

SOURCE = "neuralnetworksanddeeplearning.com/chap3.html"
# An "about N epochs" figure is matched by our median within this fraction of N; a percentage
# within suites.AGREEMENT_POINTS, as everywhere else.
EPOCH_TOLERANCE = 0.2
# The plateau: the first epoch at which the test accuracy, averaged over a window of this
# many epochs centred on it, comes within PLATEAU_POINTS of that average's highest value.
PLATEAU_WINDOW = 21
PLATEAU_POINTS = 0.1
# "Near saturation": the first epoch by which the training cost has made this fraction of its
# whole fall, from its value after epoch 0 to its lowest.
SATURATION_FRACTION = 0.95
DPI = 80


# -- what we read off a run: a results.json run entry -> a number ----------------------------

def accuracy_after(epoch):
    """The accuracy after ``epoch`` (the last epoch of a shorter run)."""
    def read(run):
        return run["accuracy"][min(epoch, len(run["accuracy"]) - 1)]
    return read


def peak_accuracy(run):
    return max(run["accuracy"])


def last_accuracy(run):
    return run["accuracy"][-1]


def plateau_epoch(run):
    """Where the test accuracy stops improving: see PLATEAU_WINDOW."""
    curve = np.asarray(run["accuracy"])
    window = min(PLATEAU_WINDOW, len(curve))
    smooth = np.convolve(curve, np.ones(window) / window, mode="valid")
    first = int(np.argmax(smooth >= smooth.max() - PLATEAU_POINTS))
    return first + window // 2


def lowest_test_cost_epoch(run):
    return int(np.argmin(run["evaluation_cost"]))


def highest_training_accuracy(run):
    return max(run["training_accuracy"])


def lowest_training_cost_epoch(run):
    return int(np.argmin(run["training_cost"]))


def saturation_epoch(run):
    """Where the training cost is near saturation: see SATURATION_FRACTION."""
    cost = np.asarray(run["training_cost"])
    lowest = cost.min()
    reached = cost - lowest <= (1 - SATURATION_FRACTION) * (cost[0] - lowest)
    return int(np.argmax(reached))


def largest_rise(after=0):
    """The largest rise of the training cost from one epoch to the next, from epoch
    ``after`` on, in percent of the cost before it (0 if it never rises)."""
    def read(run):
        cost = np.asarray(run["training_cost"][after:])
        return max(0.0, float(np.max(np.diff(cost) / cost[:-1], initial=0)) * 100)
    return read


# -- the book's statements --------------------------------------------------------------------

@dataclass(frozen=True)
class Statement:
    """A number the book reads off one of its chapter-3 figures.

    id : a name for explanations.json; figure : the `Figure` key; row : the row whose runs
    we read; panel : the panel of the figure it is about (a curve name, or "accuracy").
    words : the book's words, quoted; value : the number in them, ``unit`` "%" or "epoch"
    (None for a statement without a number, which we only describe with a reading);
    relation : how the number is meant: "about" (a percentage within AGREEMENT_POINTS, an
    epoch within EPOCH_TOLERANCE of it), "at" (exactly that epoch), "just under" (at most
    AGREEMENT_POINTS above it and at most a point below), "over" (at least it, less than a
    point above).  reading : how we read the number off each run; read : that reading.
    at_epoch : the epoch a percentage is read at, if any (for the plot).
    """

    id: str
    figure: str
    row: str
    panel: str
    words: str
    value: float
    unit: str
    relation: str
    reading: str
    read: callable
    at_epoch: int | None = None

    def agrees(self, ours, points):
        """Whether our median ``ours`` bears the statement out (None: nothing to check)."""
        if self.value is None:
            return None
        difference = ours - self.value
        if self.relation == "at":
            return difference == 0
        if self.relation == "just under":
            return -1 <= difference <= points
        if self.relation == "over":
            return 0 <= difference < 1
        slack = points if self.unit == "%" else EPOCH_TOLERANCE * self.value
        return abs(difference) <= slack

    def book(self):
        """The book's figure as the table shows it."""
        if self.value is None:
            return "no number"
        number = f"{self.value:g}" + ("%" if self.unit == "%" else "")
        where = "" if self.unit == "%" else "epoch "
        return f"{self.relation} {where}{number}"


TEST_ACCURACY_WORDS = ("The accuracy rises to just under 82 percent. The learning then "
                       "gradually slows down. Finally, at around epoch 280 the classification "
                       "accuracy pretty much stops improving.")
STATEMENTS = (
    Statement("overfit-accuracy-200", "overfitting-lmbda0", "ch3-overfit", "accuracy",
              TEST_ACCURACY_WORDS, 82, "%", "just under",
              "test accuracy after epoch 200, where the book's panel (epochs 200-399) begins",
              accuracy_after(200), at_epoch=200),
    Statement("overfit-plateau", "overfitting-lmbda0", "ch3-overfit", "accuracy",
              TEST_ACCURACY_WORDS, 280, "epoch", "about",
              f"the first epoch at which the test accuracy, averaged over the {PLATEAU_WINDOW} "
              f"epochs centred on it, is within {PLATEAU_POINTS:g} points of that average's "
              "highest value", plateau_epoch),
    Statement("overfit-test-cost", "overfitting-lmbda0", "ch3-overfit", "evaluation_cost",
              "We can see that the cost on the test data improves until around epoch 15, but "
              "after that it actually starts to get worse, even though the cost on the "
              "training data is continuing to get better.", 15, "epoch", "about",
              "the epoch of the lowest cost on the test data", lowest_test_cost_epoch),
    Statement("overfit-training-accuracy", "overfitting-lmbda0", "ch3-overfit",
              "training_accuracy",
              "The accuracy rises all the way up to 100 percent. That is, our network correctly "
              "classifies all 1,000 training images!", 100, "%", "about",
              "the highest accuracy on the 1,000 training images", highest_training_accuracy),
    Statement("overfit-peak", "overfitting-lmbda0", "ch3-overfit", "accuracy",
              "Meanwhile, our test accuracy tops out at just 82.27 percent.", 82.27, "%",
              "about", "the peak test accuracy (the table's ch3-overfit)", peak_accuracy),
    Statement("regularized-plateau", "overfitting-lmbda0.1", "ch3-reg-1k", "accuracy",
              "But this time the accuracy on the test_data continues to increase for the entire "
              "400 epochs", 399, "epoch", "about",
              "as for lmbda = 0: where the averaged test accuracy comes within "
              f"{PLATEAU_POINTS:g} points of its highest (the book: not before the last "
              "epoch, 399)", plateau_epoch),
    Statement("regularized-peak", "overfitting-lmbda0.1", "ch3-reg-1k", "accuracy",
              "What's more, the accuracy is considerably higher, with a peak classification "
              "accuracy of 87.1 percent, compared to the peak of 82.27 percent obtained in the "
              "unregularized case.", 87.1, "%", "about",
              "the peak test accuracy (the table's ch3-reg-1k)", peak_accuracy),
    Statement("eta-0.025-smooth", "multiple-eta", "ch3-eta-0.025", "training_cost",
              "With eta = 0.025 the cost decreases smoothly until the final epoch.", 29,
              "epoch", "at", "the epoch of the lowest training cost (the final epoch is 29)",
              lowest_training_cost_epoch),
    Statement("eta-0.25-saturation", "multiple-eta", "ch3-eta-0.25", "training_cost",
              "With eta = 0.25 the cost initially decreases, but after about 20 epochs it is "
              "near saturation, and thereafter most of the changes are merely small and "
              "apparently random oscillations.", 20, "epoch", "about",
              f"the first epoch by which the training cost has made "
              f"{SATURATION_FRACTION:.0%} of its fall from epoch 0 to its lowest",
              saturation_epoch),
    Statement("eta-0.25-oscillations", "multiple-eta", "ch3-eta-0.25", "training_cost",
              "[...] and thereafter most of the changes are merely small and apparently random "
              "oscillations.", None, "%", "",
              "the largest rise of the training cost from one epoch to the next after epoch "
              "20, in percent of the cost", largest_rise(after=20)),
    Statement("eta-2.5-oscillations", "multiple-eta", "ch3-eta-2.5", "training_cost",
              "Finally, with eta = 2.5 the cost makes large oscillations right from the start.",
              None, "%", "",
              "the largest rise of the training cost from one epoch to the next, in percent of "
              "the cost", largest_rise()),
    Statement("init-large-final", "weight-initialization", "ch3-init-large", "accuracy",
              "In both cases, we end up with a classification accuracy somewhat over 96 "
              "percent.", 96, "%", "over",
              "old approach (N(0, 1) weights): validation accuracy after the last epoch (29)",
              last_accuracy),
    Statement("init-default-final", "weight-initialization", "ch3-init-default", "accuracy",
              "In both cases, we end up with a classification accuracy somewhat over 96 "
              "percent.", 96, "%", "over",
              "new approach (N(0, 1/n_in) weights): validation accuracy after the last epoch "
              "(29)", last_accuracy),
)


# -- the figures ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """One of the book's chapter-3 figures, drawn from our runs of ``rows`` (one line per
    row, the median over the seeds with their range as a band) into ``file``; ``panels``:
    (curve name, title, y label, first epoch shown), the curve "accuracy" being the
    evaluation accuracy; the first epoch is the book's (overfitting.py shows the training cost
    and the test accuracy from epoch 200, where the action is), or 0 in a shorter run."""

    key: str
    file: str
    title: str
    program: str
    rows: tuple
    labels: tuple  # the legend label of each row
    panels: tuple


FOUR_PANELS = (("training_cost", "cost on the training data", "cost", 200),
               ("accuracy", "accuracy on the test data", "accuracy (%)", 200),
               ("evaluation_cost", "cost on the test data", "cost", 0),
               ("training_accuracy", "accuracy on the training data", "accuracy (%)", 0))
FIGURES = (
    Figure("overfitting-lmbda0", "ch3_overfitting_lmbda0.png",
           "[784, 30, 10] on 1,000 images, no regularization", "overfitting.py",
           ("ch3-overfit",), ("lmbda = 0",), FOUR_PANELS),
    Figure("overfitting-lmbda0.1", "ch3_overfitting_lmbda0.1.png",
           "[784, 30, 10] on 1,000 images, lmbda = 0.1", "overfitting.py",
           ("ch3-reg-1k",), ("lmbda = 0.1",), FOUR_PANELS),
    Figure("multiple-eta", "ch3_training_cost_by_eta.png",
           "training cost for three learning rates", "multiple_eta.py",
           ("ch3-eta-0.025", "ch3-eta-0.25", "ch3-eta-2.5"),
           ("eta = 0.025", "eta = 0.25", "eta = 2.5"),
           (("training_cost", "cost on the training data (with the L2 term)", "cost", 0),)),
    Figure("weight-initialization", "ch3_weight_initialization.png",
           "old and new weight initialization", "weight_initialization.py",
           ("ch3-init-large", "ch3-init-default"),
           ("old: N(0, 1) weights", "new: N(0, 1/n_in) weights"),
           (("accuracy", "accuracy on the validation data", "accuracy (%)", 0),)),
)


def present(summary):
    """The figures with a row in ``summary``: (figure, the entries of its rows that ran,
    their labels), so that `fastnet reproduce book --only ROW` draws what it can."""
    entries = {entry["id"]: entry for entry in summary["rows"]}
    found = []
    for figure in FIGURES:
        ran = [(entries[row], label) for row, label in zip(figure.rows, figure.labels)
               if row in entries]
        if ran:
            found.append((figure, *map(list, zip(*ran))))
    return found


def curves(entry, name):
    """The seeds' values of curve ``name`` of a row's entry: (seeds, epochs)."""
    return np.array([run[name] for run in entry["runs"]])


# -- the statements checked -------------------------------------------------------------------

def check(summary, points):
    """Each statement about a figure drawn in ``summary``: its reading on every seed, their
    median and range, and whether the median agrees with the book (``points``: the
    agreement on percentages)."""
    ran = {e["id"]: e for _, entries, _ in present(summary) for e in entries}
    checked = []
    for statement in STATEMENTS:
        if statement.row not in ran:
            continue
        values = [statement.read(run) for run in ran[statement.row]["runs"]]
        median = statistics.median(values)
        checked.append({"statement": statement, "values": values, "median": median,
                        "min": min(values), "max": max(values),
                        "agrees": statement.agrees(median, points)})
    return checked


def _number(value, unit):
    return f"{value:.2f}" if unit == "%" else f"{value:g}"


def table(summary, points):
    """The book's statements about the figures of ``summary`` beside our readings, as a
    markdown table (lines; none if no figure's row ran, or the run was --quick)."""
    checked = check(summary, points)
    if not checked or summary["quick"]:
        return []
    lines = ["| figure | row | the book says | book | how we read it | ours: median "
             "[min–max] | agrees |", "|---|---|---|---|---|---|---|"]
    for c in checked:
        s = c["statement"]
        ours = (f"{_number(c['median'], s.unit)} [{_number(c['min'], s.unit)}–"
                f"{_number(c['max'], s.unit)}]")
        verdict = {True: "yes", False: "**no**", None: "—"}[c["agrees"]]
        lines.append(f"| {s.figure} | {s.row} | \"{s.words}\" | {s.book()} | {s.reading} | "
                     f"{ours} | {verdict} |")
    return lines


def markdown(summary, points, plotted, notes=None):
    """The chapter-3 section of results.md: each figure (if ``plotted``) and the table of the
    book's statements beside our readings; ``notes``: statement id -> what we know of one
    that disagrees (explanations.json's "statements")."""
    figures = present(summary)
    if not figures:
        return []
    lines = ["## Chapter 3's figures beside the book's statements", "",
             "Drawn from our runs as the book's programs draw them: the median over the seeds "
             "(line) and their range (band); the book's figures as dotted lines (epochs) or "
             "dashed lines and crosses (percentages). Costs include the L2 term, as network2.py's "
             "do.", ""]
    for figure, entries, _ in figures:
        rows = ", ".join(f"{e['id']} ({e['setup']})" for e in entries)
        lines += [f"- **{figure.file}**: {figure.program}, {figure.title}: {rows}."]
    lines.append("")
    if plotted:
        for figure, _, _ in figures:
            lines += [f"![{figure.program}: {figure.title}]({figure.file})", ""]
    lines += [f"The book's statements about these figures that have a number in them, quoted "
              f"from {SOURCE}, and the same number read off each of our runs:", ""]
    if summary["quick"]:
        return lines + ["Not assessed: a quick run stops long before the figures are "
                        "reached.", ""]
    lines += table(summary, points)
    lines += ["", f"*agrees*: \"about\" a percentage is within {points:g} points of it (the "
              f"rule of the table above), \"about\" an epoch within "
              f"{EPOCH_TOLERANCE:.0%} of it; \"at\" is exactly that epoch; \"just under\" X is "
              f"from X - 1 to X + {points:g}; \"over\" X from X to X + 1. Each reading is of one "
              "run, and the median is over the seeds. A statement without a number is only "
              "described by our reading.", ""]
    off = [c for c in check(summary, points) if c["agrees"] is False]
    if off:
        lines += ["### Statements our runs do not bear out", ""]
        for c in off:
            s = c["statement"]
            lines.append(f"- **{s.id}** ({s.row}, {s.book()}): our median "
                         f"{_number(c['median'], s.unit)}, seeds "
                         + ", ".join(_number(v, s.unit) for v in c["values"]) + ". "
                         + (notes or {}).get(s.id, ""))
        lines.append("")
    return [line.rstrip() for line in lines]


# -- the pictures ---------------------------------------------------------------------------

def write_plots(summary, directory):
    """Each figure of ``summary`` as a PNG in ``directory``.  Returns the paths written, and
    None or why nothing was drawn."""
    try:
        import matplotlib
    except ImportError:
        return [], "matplotlib is not installed, so there are no chapter-3 figures"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    written = []
    for figure, entries, labels in present(summary):
        cols = min(2, len(figure.panels))
        rows = -(-len(figure.panels) // cols)
        size = (5.2 * cols, 3.4 * rows) if len(figure.panels) > 1 else (7, 4.4)
        fig, axes = plt.subplots(rows, cols, figsize=size, squeeze=False)
        for ax, (name, title, ylabel, first) in zip(axes.flat, figure.panels):
            colours = {}
            for entry, label in zip(entries, labels):
                values = curves(entry, name)
                first = first if first < values.shape[1] else 0
                values = values[:, first:]
                epochs = np.arange(first, first + values.shape[1])
                line, = ax.plot(epochs, np.median(values, axis=0), lw=1.1, label=label)
                ax.fill_between(epochs, values.min(axis=0), values.max(axis=0),
                                color=line.get_color(), alpha=0.25, lw=0)
                colours[entry["id"]] = line.get_color()
            _mark_statements(ax, figure, name, colours)
            if name == "accuracy":
                _mark_quotes(ax, entries, labels, colours)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if first:
                title += f" (epochs {first} on, as the book's)"
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("epoch")
            ax.set_ylabel(ylabel)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        fig.suptitle(f"{figure.program}: {figure.title} (ours)", fontsize=11)
        fig.tight_layout()
        path = directory / figure.file
        with atomic_file.replacing(path, binary=True) as f:
            fig.savefig(f, format="png", dpi=DPI)
        plt.close(fig)
        written.append(path)
    return written, None


def _mark_statements(ax, figure, panel, colours):
    """The book's figures about ``panel`` of ``figure`` on its axes ``ax``, each once, about
    the rows drawn (``colours``: row id -> the colour of its line); one that is about a single
    row of several is labelled with the row and drawn in its colour."""
    labels = dict(zip(figure.rows, figure.labels))
    marks = {}
    for statement in STATEMENTS:
        if (statement.figure, statement.panel) == (figure.key, panel) and \
                statement.row in colours and statement.value is not None:
            key = (statement.unit, statement.value, statement.at_epoch)
            marks.setdefault(key, []).append(statement)
    for statements in marks.values():
        statement = statements[0]
        if len(figure.rows) > 1 and len(statements) == 1:
            label = f"book ({labels[statement.row]}): {statement.book()}"
            colour = colours[statement.row]
        else:
            label, colour = f"book: {statement.book()}", "k"
        _mark(ax, statement, label, colour)


def _mark_quotes(ax, entries, labels, colours):
    """The figures the results table quotes for an epoch of these rows (weight
    initialization's "under 87" and "about 92.7" after epoch 0), as crosses."""
    for entry, label in zip(entries, labels):
        for quote in entry["quotes"]:
            if quote["epoch"] is not None:
                ax.plot([quote["epoch"]], [quote["book"]], "x", color=colours[entry["id"]],
                        ms=7, label=f"book ({label}): {quote['quote']}")


def _mark(ax, statement, label, colour):
    """The book's figure of ``statement`` on its panel."""
    if statement.unit == "epoch":
        ax.axvline(statement.value, color=colour, ls=":", lw=1.0, label=label)
    elif statement.at_epoch is not None:
        ax.plot([statement.at_epoch], [statement.value], "x", color=colour, label=label)
    else:
        ax.axhline(statement.value, color=colour, ls="--", lw=0.8, label=label)
