"""The pictures of what a network learned, each written atomically as a PNG: the confusion
matrix as a heat map, a grid of digit images with titles (the misclassified ones, or the ones
`fastnet predict` read), and learning curves from --history files.

matplotlib is the `plot` extra; it is imported only when a picture is drawn, and its absence
is a `plot_extra.MissingPlotExtra` that says how to install it.
"""

import io
import math

import numpy as np

from . import atomic_file
from .data import IMAGE_SHAPE
from .plot_extra import require

DPI = 80  # small files for the README and the docs, still readable on a screen
# The panels of the learning curves: the --history field, its title and its y-axis label.
CURVES = (
    ("evaluation_accuracy", "accuracy on the {eval} data", "accuracy (%)"),
    ("evaluation_cost", "cost on the {eval} data", "cost"),
    ("training_accuracy", "accuracy on the training data", "accuracy (%)"),
    ("training_cost", "cost on the training data", "cost"),
)
GRID_COLUMNS = 8  # images per row of a grid


def write_confusion(matrix, path, title="confusion matrix"):
    """A heat map of the ``(k, k)`` confusion ``matrix`` (rows the true class), its counts in
    the cells, to the PNG ``path``."""
    plt = require("matplotlib.pyplot")
    matrix = np.asarray(matrix)
    k = matrix.shape[0]
    side = 1.5 + 0.45 * k
    fig, ax = plt.subplots(figsize=(side + 1, side))
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
    fig.tight_layout()
    _write(fig, path)


def write_grid(fields, titles, path, empty="no images"):
    """A grid of the 28x28 images ``fields : (n, 28, 28)`` (ink bright), the i-th titled
    ``titles[i]`` and drawn as ink on paper, to the PNG ``path``; ``empty`` is written in the
    picture when n is 0."""
    plt = require("matplotlib.pyplot")
    n = len(fields)
    cols = max(1, min(GRID_COLUMNS, n))
    rows = max(1, math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.45 * rows), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, field, title in zip(axes.flat, fields, titles):
        ax.imshow(np.reshape(field, IMAGE_SHAPE), cmap="gray_r", vmin=0, vmax=255)
        ax.set_title(title, fontsize=7)
    if n == 0:
        axes[0, 0].text(0.5, 0.5, empty, ha="center", va="center")
    fig.tight_layout()
    _write(fig, path)


def write_curves(runs, path):
    """Learning curves, to the PNG ``path``: one panel per quantity of CURVES that any of the
    ``runs`` holds, one line per run.  ``runs`` is a list of (label, history document), the
    document as `fastnet train --history` writes it; epochs are counted from 0, as the book
    counts them."""
    plt = require("matplotlib.pyplot")
    from matplotlib.ticker import MaxNLocator

    panels = [(key, title, ylabel) for key, title, ylabel in CURVES
              if any(key in record for _, doc in runs for record in doc["epochs"])]
    eval_sets = {doc["config"].get("eval", "evaluation") for _, doc in runs}
    eval_set = eval_sets.pop() if len(eval_sets) == 1 else "evaluation"
    cols = min(2, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.4 * rows), squeeze=False)
    for ax, (key, title, ylabel) in zip(axes.flat, panels):
        for label, doc in runs:
            points = [(r["epoch"], r[key]) for r in doc["epochs"] if key in r]
            if points:
                epochs, values = zip(*points)
                values = np.array(values) * (100 if "accuracy" in key else 1)
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
    fig.tight_layout()
    _write(fig, path)


def _write(fig, path):
    """Render ``fig`` to PNG bytes, then write them to ``path`` atomically, and free it."""
    plt = require("matplotlib.pyplot")
    try:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI)
    finally:
        plt.close(fig)
    with atomic_file.replacing(path, binary=True) as f:
        f.write(buffer.getvalue())
