"""The pictures of what a network learned, as matplotlib Figures: learning curves (from
Histories or --history files), the confusion matrix as a heat map, the misclassified images
the network was surest about, and the 28x28 digits it saw in your own pictures.

Each public function returns a Figure (`inline_figure.InlineFigure`) and leaves pyplot alone:
a notebook cell that ends with one shows it inline, once; ``fig.savefig(path)`` saves it.
The commands draw through the same functions and write the PNG atomically (`write_png` and
the ``write_*`` functions below).

matplotlib is the `plot` extra; it is imported only when a picture is drawn, and its absence
is a `plot_extra.MissingPlotExtra` that says how to install it.
"""

import io
import math
import os
from pathlib import Path

import numpy as np

from . import atomic_file, confusion, curve_labels, digit_image, history_file
from .data import IMAGE_SHAPE, N_PIXELS
from .history import History
from .plot_extra import require

DPI = 80  # small files for the README and the docs, still readable on a screen
# The panels of the learning curves: the --history field, its title and its y-axis label.
_TITLES = {  # a panel's title and y label for each per-epoch quantity of a history
    "evaluation_accuracy": ("accuracy on the {eval} data", "accuracy (%)"),
    "evaluation_cost": ("cost on the {eval} data", "cost"),
    "training_accuracy": ("accuracy on the training data", "accuracy (%)"),
    "training_cost": ("cost on the training data", "cost"),
    "loss": ("loss as the mini-batches trained", "loss"),
}
CURVES = tuple((key, *_TITLES[key]) for key in history_file.CURVE_KEYS)
GRID_COLUMNS = 8  # images per row of a grid
N_MISTAKES = 24  # the surest mistakes shown: three rows of GRID_COLUMNS


# -- learning curves ---------------------------------------------------------------------------

def learning_curves(*runs):
    """A Figure of learning curves: a panel per quantity the runs recorded (accuracy and cost
    on the evaluation data and on the training data, the loss), a line per run, epochs counted
    from 0 as the book counts them.

    Each run is a `History` (what `Network.SGD` returns), the path of a history file
    (`History.save`, `fastnet train --history`), or a ``(label, run)`` pair; one iterable of
    them (a list, a dict's values) or a dict ``{label: run}`` may stand for them all.  Runs
    without a label are named by their settings, as `fastnet plot` names them: those in which
    they differ (``lmbda 0.1``, ``lmbda 5``), or the main ones for a single run.

        fastnet.learning_curves(history)
        fastnet.learning_curves({"lmbda 0.1": h1, "lmbda 5": h5})
        fastnet.learning_curves("history.json", ("without L2", "history-lmbda0.json"))

    Raises ValueError for a run with nothing to draw and for a history file that is not one
    (naming the file); OSError when a file cannot be read.
    """
    entries = _run_entries(runs)
    if not entries:
        raise ValueError("learning_curves needs at least one History or history file")
    docs, names, given = [], [], []
    for i, (label, run) in enumerate(entries, 1):
        doc, name = _document(run, i)
        docs.append(doc)
        names.append(name)
        given.append(label)
    auto = curve_labels.labels([doc["config"] for doc in docs], names)
    return _curves([(str(label) if label is not None else a, doc)
                    for label, a, doc in zip(given, auto, docs)])


def write_curves(runs, path):
    """Learning curves of ``runs``, a list of (label, history document), to the PNG
    ``path`` (`fastnet plot`, `fastnet train --plot`)."""
    write_png(_curves(runs), path)


def _run_entries(runs):
    """``runs`` as a list of (label or None, History or path)."""
    if len(runs) == 1 and isinstance(runs[0], dict):
        return list(runs[0].items())
    if len(runs) == 1 and not isinstance(runs[0], (History, str, os.PathLike, tuple)):
        try:
            runs = list(runs[0])  # a list of runs, or a dict's values
        except TypeError:
            pass  # one thing that is not a run: _document names it
    entries = []
    for run in runs:
        if isinstance(run, tuple) and len(run) == 2 and isinstance(run[0], str):
            entries.append(run)
        else:
            entries.append((None, run))
    return entries


def _document(run, i):
    """(the history document, the name a legend may use) of a History or a history file."""
    if isinstance(run, History):
        return _history_document(run, i), f"run {i}"
    if isinstance(run, (str, os.PathLike)):
        return history_file.read(run), Path(run).name
    raise TypeError(f"learning_curves draws Histories and history files (paths), not "
                    f"{type(run).__name__}")


def _history_document(history, i):
    """What `History.save` would write, once the History is known to make one."""
    if not history.epochs:
        raise ValueError(f"run {i}: the History holds no epochs to draw")
    config = history.config
    for values, size in (("evaluation_accuracy", "eval_size"), ("training_accuracy",
                                                                 "train_size")):
        if getattr(history, values) and not config.get(size):
            raise ValueError(f"run {i}: the History's config does not say how many examples "
                             f"its {values.replace('_', ' ')} counts ({size}): was it made by "
                             f"Network.SGD of this version of fastnet?")
    return history.document()


def _curves(runs):
    """The learning curves of ``runs``, a list of (label, history document)."""
    from matplotlib.ticker import MaxNLocator

    panels = [(key, title, ylabel) for key, title, ylabel in CURVES
              if any(key in record for _, doc in runs for record in doc["epochs"])]
    if not panels:
        raise ValueError("nothing to draw: the runs recorded no accuracy, cost or loss per "
                         "epoch (evaluation_data, or the monitor_* switches of SGD)")
    eval_sets = {str(doc["config"].get("eval", "evaluation")) for _, doc in runs}
    eval_set = eval_sets.pop() if len(eval_sets) == 1 else "evaluation"
    cols = min(2, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = _figure(figsize=(5 * cols, 3.4 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, (key, title, ylabel) in zip(axes.flat, panels):
        for label, doc in runs:
            points = [(r["epoch"], r[key]) for r in doc["epochs"] if key in r]
            if points:
                epochs, values = zip(*points)
                values = np.array(values, float) * (100 if "accuracy" in key else 1)
                ax.plot(epochs, values, lw=1.2, marker="." if len(points) < 40 else None,
                        label=label)
        ax.set_title(title.format(eval=eval_set), fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    return fig


# -- the confusion matrix ----------------------------------------------------------------------

def confusion_heatmap(source, X=None, y=None, *, title=None):
    """A Figure of the confusion matrix as a heat map, its counts in the cells (rows the true
    class, columns the class read).  ``source`` is a network scored on ``X : (n_in, m)`` with
    the labels ``y : (m,)`` (`fastnet.confusion_matrix`), or a ``(k, k)`` matrix of counts.
    The title says how many were read correctly, unless ``title`` is given.

        fastnet.confusion_heatmap(net, X_test, y_test)
    """
    if X is None and y is None:
        matrix = _check_matrix(source)
    elif X is None or y is None:
        raise ValueError("confusion_heatmap takes a network with both X and y, or a matrix")
    else:
        matrix = confusion.confusion_matrix(source, X, y)
    if title is None:
        right, total = int(np.trace(matrix)), int(matrix.sum())
        title = f"confusion matrix: {right:,} of {total:,} read correctly"
    return _heatmap(matrix, title)


def write_confusion(matrix, path, title="confusion matrix"):
    """`confusion_heatmap` of ``matrix`` to the PNG ``path`` (`fastnet evaluate --out`)."""
    write_png(_heatmap(np.asarray(matrix), title), path)


def _heatmap(matrix, title):
    k = matrix.shape[0]
    side = 1.5 + 0.45 * k
    fig = _figure(figsize=(side + 1, side))
    ax = fig.subplots()
    # Log-like colours: the diagonal dwarfs the confusions, which are what one looks for.
    image = ax.imshow(np.log1p(matrix), cmap="Blues")
    threshold = np.log1p(matrix).max() / 2
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                color="white" if np.log1p(count) > threshold else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    colorbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    colorbar.set_ticks([])
    colorbar.set_label("count (log scale)")
    return fig


def _check_matrix(matrix):
    array = np.asarray(matrix)
    if (array.ndim != 2 or array.shape[0] != array.shape[1] or array.size == 0
            or array.dtype.kind not in "iuf"):
        raise ValueError(f"a confusion matrix is a square (k, k) array of counts, not an "
                         f"array of shape {array.shape} and dtype {array.dtype}")
    if not (np.all(np.isfinite(array)) and np.all(array >= 0)
            and np.all(array == np.round(array))):
        raise ValueError("a confusion matrix holds counts: whole numbers, 0 or more")
    return array.astype(np.int64)


# -- grids of digits ---------------------------------------------------------------------------

def surest_mistakes(net, X, y, n=N_MISTAKES):
    """A Figure of the ``n`` images of ``X : (784, m)`` (labels ``y : (m,)``) that ``net``
    misreads most confidently, each titled ``TRUE read as READ (ACTIVATION)``, the activation
    being that of the output neuron it read.

        fastnet.surest_mistakes(net, X_test, y_test)
    """
    _check_pictures(net.sizes[0])
    outputs = net.feedforward(X)  # checks X against the network
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != outputs.shape[1] or y.dtype.kind not in "iu":
        raise ValueError(f"y must hold one integer label per column of X ({outputs.shape[1]}), "
                         f"not an array of shape {y.shape} and dtype {y.dtype}")
    chosen, titles = surest(outputs, y, n)
    return digit_grid([np.asarray(X)[:, i] for i in chosen], titles,
                      empty="no misclassified images")


def surest(outputs, y, n=N_MISTAKES):
    """The misclassified columns the network was surest about, surest first, given its
    ``outputs : (k, m)`` and the true labels ``y : (m,)``, with their titles (`surest_mistakes`,
    `fastnet evaluate --out`): (indices, titles)."""
    predicted = np.argmax(outputs, axis=0)
    wrong = np.flatnonzero(predicted != y)
    confidence = outputs[predicted[wrong], wrong]
    chosen = wrong[np.argsort(-confidence, kind="stable")[:n]]
    titles = [f"{y[i]} read as {predicted[i]} ({outputs[predicted[i], i]:.2f})" for i in chosen]
    return chosen, titles


def digits_seen(images, net=None):
    """A Figure of the 28x28 digits that `fastnet.read_digit` makes of your ``images`` (paths
    or PIL images; one digit each), as `fastnet predict --show` draws them: each titled with
    its file name and, given a ``net``, the digit it reads and the output neuron's
    activation.  Raises ValueError (naming the file) for a picture that holds no digit.

        fastnet.digits_seen(sorted(glob.glob("my_digits/*.png")), net)
    """
    if isinstance(images, (str, os.PathLike)) or hasattr(images, "getpixel"):
        images = [images]  # one picture
    images = list(images)
    fields = [digit_image.digit_field(image) for image in images]
    names = [Path(image).name if isinstance(image, (str, os.PathLike)) else f"image {i}"
             for i, image in enumerate(images)]
    if net is None or not fields:
        titles = [_short(name) for name in names]
    else:
        _check_pictures(net.sizes[0])
        outputs = net.feedforward(np.stack(fields).reshape(len(fields), N_PIXELS).T / 256)
        titles = [reading_title(name, a) for name, a in zip(names, outputs.T)]
    return digit_grid(fields, titles, empty="no pictures")


def reading_title(name, activations):
    """The title of a picture the network read: its (shortened) ``name``, the digit read and
    its output neuron's activation."""
    best = int(np.argmax(activations))
    return f"{_short(name)}: {best} ({activations[best]:.2f})"


def digit_grid(fields, titles, empty="no images"):
    """A Figure of a grid of 28x28 images, ``fields`` (each 784 or 28x28 pixels: uint8
    bytes, or floats in [0, 1] as `load_mnist` gives them; ink bright), drawn as ink on
    paper, the i-th titled ``titles[i]``; ``empty`` is written in it when there are none."""
    n = len(fields)
    cols = max(1, min(GRID_COLUMNS, n))
    rows = max(1, math.ceil(n / cols))
    fig = _figure(figsize=(1.3 * cols, 1.45 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, field, title in zip(axes.flat, fields, titles):
        field = np.asarray(field)
        scale = 255 if field.dtype == np.uint8 else 1
        ax.imshow(np.reshape(field, IMAGE_SHAPE) / scale, cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(title, fontsize=7)
    if n == 0:
        axes[0, 0].text(0.5, 0.5, empty, ha="center", va="center")
    return fig


def write_grid(fields, titles, path, empty="no images"):
    """`digit_grid` to the PNG ``path`` (`fastnet evaluate --out`, `fastnet predict --show`)."""
    write_png(digit_grid(fields, titles, empty), path)


def _check_pictures(n_in):
    if n_in != N_PIXELS:
        raise ValueError(f"a network with {n_in} inputs does not read 28x28 pictures "
                         f"({N_PIXELS} pixels)")


def _short(name, limit=14):
    return name if len(name) <= limit else name[:limit - 1] + "…"


# -- figures and files -------------------------------------------------------------------------

def _figure(figsize):
    """A new Figure, outside pyplot, laid out tight when drawn."""
    require("matplotlib.figure")
    from .inline_figure import InlineFigure

    return InlineFigure(figsize=figsize, layout="tight")


def write_png(fig, path):
    """Render ``fig`` to PNG bytes at DPI, then write them to ``path`` atomically."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    with atomic_file.replacing(path, binary=True) as f:
        f.write(buffer.getvalue())
