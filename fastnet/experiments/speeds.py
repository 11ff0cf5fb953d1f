"""Chapter 5's speed-of-learning experiment (`suites.SpeedRow`): measuring a run, its summary
beside the book's figures, the table of results.md and the plot (layer_speed.png).

A run follows the book's generate_gradient.py: network2.py's network on the first 1,000
training images, trained by full-batch gradient descent (one mini-batch of all 1,000 images
per epoch), with ||delta^l|| of every hidden layer (`Network.layer_speeds`, the norm of the
average bias gradient) measured before the first epoch and after every epoch.
"""

import statistics
import time

import numpy as np

from .. import atomic_file
from ..network import Network

PLOT_FILE = "layer_speed.png"


def measure(row, seed, splits, epochs=None):
    """Train the SpeedRow ``row`` from ``seed`` on the first ``row.train`` training images of
    ``splits`` (load_mnist's three pairs) for ``epochs`` (default: the row's).  Returns the
    speeds, one list per hidden layer for the start and for each epoch after it
    (``epochs + 1`` of them), and the seconds it took."""
    (X, y), _, _ = splits
    X, y = X[:, :row.train], y[:row.train]
    net = Network(row.sizes, cost=row.cost, init=row.init, seed=seed)
    start = time.perf_counter()
    speeds = [net.layer_speeds(X, y)]
    net.SGD((X, y), epochs or row.epochs, row.batch, row.eta, lmbda=row.lmbda,
            on_epoch=lambda epoch, history: speeds.append(net.layer_speeds(X, y)))
    return speeds, time.perf_counter() - start


def _sig(x):
    return float(f"{x:.6g}")


def _spread(values):
    """Per hidden layer: the median and the range over the seeds of ``values`` (seeds x
    layers)."""
    columns = list(zip(*values))
    return {"median": [_sig(statistics.median(c)) for c in columns],
            "min": [_sig(min(c)) for c in columns], "max": [_sig(max(c)) for c in columns]}


def summarize_row(row, runs, epochs_run):
    """A SpeedRow's entry of results.json: the speeds at the start and after the last epoch
    (median and range over the seeds, per hidden layer) beside the book's starting figures,
    the ratio of the last hidden layer's speed to the first's, and every run's speeds."""
    curves = [run.speeds for run in runs]
    ratios = [[s[-1] / s[0] for s in curve] for curve in curves]
    start = _spread([curve[0] for curve in curves])
    return {
        "id": row.id, "source": row.source, "setup": row.setup(),
        "config": {"program": row.program, "sizes": list(row.sizes), "cost": row.cost,
                   "init": row.init, "train": row.train, "epochs": row.epochs,
                   "batch": row.batch, "eta": row.eta, "lmbda": row.lmbda},
        "book": list(row.start), "book_text": row.start_text,
        "seeds": len(runs), "seconds": round(sum(run.seconds for run in runs), 4),
        "epochs_run": epochs_run,
        "start": start,
        "end": _spread([curve[-1] for curve in curves]),
        "book_within_start_range": [lo <= book <= hi for book, lo, hi in zip(
            row.start, start["min"], start["max"])],
        "ratio_start": _sig(statistics.median(r[0] for r in ratios)),
        "ratio_median_over_epochs": _sig(statistics.median(statistics.median(r)
                                                           for r in ratios)),
        "runs": [{"seed": run.seed, "seconds": round(run.seconds, 4),
                  "blas_threads": run.blas_threads,
                  "speeds": [[_sig(v) for v in s] for s in run.speeds]} for run in runs],
    }


def progress_figures(speeds):
    """The figures of a finished run for its progress line."""
    return (f"start {', '.join(f'{v:.3g}' for v in speeds[0])}; "
            f"end {', '.join(f'{v:.3g}' for v in speeds[-1])}")


def table(entries):
    """The markdown table of the speed rows: a line per hidden layer."""
    lines = ["| id | hidden layer | the book at the start | ours at the start: median "
             "[min–max] | book within our range | ours after the last epoch: median "
             "[min–max] | seconds (all seeds) |",
             "|---|---|---|---|---|---|---|"]
    for entry in entries:
        for k, book in enumerate(entry["book"]):
            head = k == 0
            within = "yes" if entry["book_within_start_range"][k] else "no"
            seconds = f"{entry['seconds']:.1f}" if head else ""
            lines.append(f"| {entry['id'] if head else ''} | {k + 1} | {book:g} | "
                         f"{_cell(entry['start'], k)} | {within} | {_cell(entry['end'], k)} | "
                         f"{seconds} |")
    return "\n".join(lines)


def _cell(spread, k):
    return f"{spread['median'][k]:.3g} [{spread['min'][k]:.3g}–{spread['max'][k]:.3g}]"


def markdown(entries, plotted, notes=None):
    """The speed section of results.md: the table, how to read it, what we know about the
    book's figures (``notes``: row id -> text, explanations.json's "speeds"), the plot."""
    epochs = {entry["epochs_run"] for entry in entries}
    lines = ["## Speed of learning per hidden layer (chapter 5)", "",
             table(entries), "",
             "- *speed*: ||delta^l||, the Euclidean norm of the gradient of the cost with "
             "respect to hidden layer l's biases, averaged over the row's training images "
             "(`Network.layer_speeds`); layer 1 is next to the input; *start* is before the "
             "first epoch. As in the book's generate_gradient.py, each row trains by "
             "full-batch gradient descent (one mini-batch of all its images per epoch) and "
             "measures after every epoch. The book quotes the start only, of one run of its "
             "own; its plots show the rest.",
             *[f"- {e['id']}: {e['config']['program']}, {e['setup']}; "
               f"{e['epochs_run']} epochs run." for e in entries],
             "- Ratio of the last hidden layer's speed to the first's (median over the seeds): "
             + "; ".join(f"{e['id']} {e['ratio_start']:.3g} at the start, "
                         f"{e['ratio_median_over_epochs']:.3g} over all epochs (median)"
                         for e in entries)
             + ". The book, of its four-hidden-layer run: \"the first hidden layer is learning "
             "roughly 100 times slower than the final hidden layer\".", ""]
    known = [f"- **{e['id']}**: {notes[e['id']]}" for e in entries if e["id"] in (notes or {})]
    if known:
        lines += ["### The book's starting figures beside ours", "", *known, ""]
    if plotted:
        lines += ["Median over the seeds (line) and their range (band) of each hidden layer's "
                  "speed, log scale; the book's starting figures as crosses.", "",
                  f"![speed of learning per hidden layer]({PLOT_FILE})", ""]
    return lines


def write_plot(entries, path):
    """layer_speed.png: a panel per speed row, a line per hidden layer (median over the seeds,
    their range as a band), log scale, as the book's training_speed_N_layers.png.  Returns
    None, or why there is no plot."""
    try:
        import matplotlib
    except ImportError:
        return f"matplotlib is not installed, so there is no {PLOT_FILE}"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(entries), figsize=(5 * len(entries), 3.6), squeeze=False)
    for ax, entry in zip(axes.flat, entries):
        curves = np.array([run["speeds"] for run in entry["runs"]])  # seeds x epochs x layers
        epochs = np.arange(curves.shape[1])
        for k in range(curves.shape[2]):
            line, = ax.plot(epochs, np.median(curves[:, :, k], axis=0), lw=1.1,
                            label=f"hidden layer {k + 1}")
            ax.fill_between(epochs, curves[:, :, k].min(axis=0), curves[:, :, k].max(axis=0),
                            color=line.get_color(), alpha=0.25, lw=0)
            ax.plot([0], [entry["book"][k]], "x", color=line.get_color(), ms=7)
        ax.set_yscale("log")
        ax.set_xlim(0, epochs[-1])
        ax.set_title(f"Speed of learning: {curves.shape[2]} hidden layers ({entry['id']})",
                     fontsize=10)
        ax.set_xlabel("epochs of training (0: the start)")
        ax.set_ylabel(r"$\|\delta^l\|$")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    with atomic_file.replacing(path, binary=True) as f:
        fig.savefig(f, format="png", dpi=80)
    plt.close(fig)
    return None

