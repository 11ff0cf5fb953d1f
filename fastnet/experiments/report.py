"""The report of a `fastnet reproduce` run: results.md (the table of figures, how to read it,
the figures off the source's with what explains them, chapter 1's baselines, chapter 3's
figures beside the book's statements (`chapter3`), the notebook's two readings
(`readings`), the per-epoch tables) and accuracy.png, drawn from the summary alone
(results.json's content, `summary.summarize`).

What we know about particular differences from the source is not code but data:
docs/explanations.json, found beside the package in a source checkout or under
sys.prefix/share/fastnet in an installed one (pyproject.toml's data-files), as the bundled
MNIST is.
"""

import json
import math
import sys
from pathlib import Path

import numpy as np

from .. import atomic_file
from . import baselines, chapter3, readings, speeds
from .suites import AGREEMENT_POINTS, SUITES, ExperimentError

EXPLANATIONS_FILE = "explanations.json"
# The files `write_outputs` writes into its directory (with `speeds.PLOT_FILE` for speed rows).
OUTPUT_FILES = ("results.json", "results.md", "accuracy.png")


def plural(n, noun, suffix="s"):
    """``n`` and ``noun``, with ``suffix`` unless n is 1: "3 runs", "1 worker process"."""
    return f"{n} {noun}{suffix if n != 1 else ''}"


def has_table(summary):
    """Whether any row of ``summary`` has a line in the results table: a quoted figure, or a
    baseline that did not run."""
    return any(entry["quotes"] or entry.get("skipped") for entry in summary["rows"])


def results_table(summary):
    """The markdown table of a summary: a line per quoted figure."""
    source = summary["source"]
    lines = [f"| id | the {source} quotes | {source} | ours: median [min–max] | difference | "
             f"within {AGREEMENT_POINTS:g} | seconds (all seeds) |",
             "|---|---|---|---|---|---|---|"]
    for entry in summary["rows"]:
        if entry.get("skipped"):
            lines.append(f"| {entry['id']} | {entry['quote']} | {entry['book']:g} | not run: "
                         f"{entry['skipped']} |  |  |  |")
        for k, quote in enumerate(entry["quotes"]):
            ours = f"{quote['median']:.2f} [{quote['min']:.2f}–{quote['max']:.2f}]"
            if entry.get("kind") == "baseline":
                run = entry["runs"][0]
                ours = (f"{quote['median']:.2f} ({round(quote['median'] * run['n_eval'] / 100):,}"
                        f" / {run['n_eval']:,}; one run, trained on {run['train']:,} images)")
            difference = f"{quote['difference']:+.2f}"
            if quote["compare"] == "max":
                ours += f", max {quote['max']:.2f}"
                difference += f" (max; median {quote['median'] - quote['book']:+.2f})"
            book = quote["quote"]
            if entry["config"]["best_of"] > 1:
                book += f" (best of {entry['config']['best_of']} runs)"
            seconds = f"{entry['seconds']:.1f}" if k == len(entry["quotes"]) - 1 else ""
            lines.append(f"| {entry['id']} | {book} | {quote['book']:g} | {ours} | "
                         f"{difference} | {'yes' if quote['agrees'] else '**no**'} | "
                         f"{seconds} |")
    return "\n".join(lines)


def epoch_table(entry):
    """A row's per-epoch evaluation accuracies, a column per seed, in the notebook's style:
    ``Epoch 0: 9129 / 10000``."""
    runs = entry["runs"]
    counts = [[round(a * run["n_eval"] / 100) for a in run["accuracy"]] for run in runs]
    epochs = max(len(c) for c in counts)
    label = len(f"Epoch {epochs - 1}: ")
    width = max(len(f"{run['n_eval']} / {run['n_eval']}") for run in runs)
    lines = [f"{entry['id']}: {entry['config']['program']}, {entry['setup']}",
             "seed".ljust(label) + "   ".join(f"{run['seed']:<{width}d}" for run in runs)]
    for epoch in range(epochs):
        cells = [f"{c[epoch]} / {run['n_eval']}" if epoch < len(c) else "" for c, run in
                 zip(counts, runs)]
        lines.append(f"Epoch {epoch}:".ljust(label) + "   ".join(c.ljust(width) for c in cells))
    return "\n".join(line.rstrip() for line in lines)


def explanation_dirs():
    """Where explanations.json may be, in the order tried: the source checkout's docs/ (also
    what an editable install sees), then the copy `pip install .` puts under sys.prefix."""
    return (Path(__file__).resolve().parent.parent.parent / "docs",
            Path(sys.prefix) / "share" / "fastnet")


def load_explanations():
    """explanations.json's content: ``{"generic": text with {source}, "figures": {suite name:
    {row id: {statistic: text}}}, "speeds": {speed row id: text}}``, what results.md says
    under a figure more than AGREEMENT_POINTS from the source's, and under the table of
    chapter 5's layer speeds.  ExperimentError if it cannot be found or read."""
    for directory in explanation_dirs():
        path = directory / EXPLANATIONS_FILE
        if path.is_file():
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise ExperimentError(f"cannot read {path}: {e}") from e
    raise ExperimentError(f"{EXPLANATIONS_FILE} is in neither "
                          + " nor ".join(str(d) for d in explanation_dirs()))


def _disagreements(summary, explanations):
    """A line for every figure more than AGREEMENT_POINTS from the source's."""
    known = explanations["figures"].get(summary["suite"], {})
    lines = []
    for entry in summary["rows"]:
        for quote in entry["quotes"]:
            if quote["agrees"]:
                continue
            inside = quote["min"] <= quote["book"] <= quote["max"]
            if entry.get("kind") == "baseline":
                lines.append(
                    f"- **{entry['id']}**, {quote['quote']}: ours {quote['median']:.2f}, "
                    f"{quote['difference']:+.2f} points (one run; nothing in it is random). "
                    + known.get(entry["id"], {}).get(quote["statistic"], ""))
                continue
            lines.append(
                f"- **{entry['id']}**, {quote['quote']}: our {quote['compare']} "
                f"{quote[quote['compare']]:.2f}, {quote['difference']:+.2f} points; our "
                f"{entry['seeds']} seeds span {quote['min']:.2f}–{quote['max']:.2f}, and the "
                f"{summary['source']}'s figure lies {'inside' if inside else 'outside'} that "
                f"range. " + known.get(entry["id"], {}).get(quote["statistic"], ""))
    return [line.rstrip() for line in lines]


def write_markdown(summary, path, plot_note=None, explanations=None):
    """results.md for ``summary``; ``plot_note`` says why there is no plot, if there is none;
    ``explanations``: `load_explanations()`'s content (default: read it now)."""
    if explanations is None:
        explanations = load_explanations()
    source, n, wall = summary["source"], len(summary["seed_values"]), summary["wall_seconds"]
    entries = summary["rows"] + summary.get("speed_rows", [])
    once = [e for e in entries if e.get("kind") == "baseline"]
    lines = [f"# {summary['title']}, reproduced", ""]
    if summary["quick"]:
        lines += [f"**Quick smoke run** (`--quick`): one seed and a tenth of the epochs"
                  + (" (the baselines trained on a tenth of their images)" if once else "")
                  + f"; these figures are not comparable with the {source}'s.", ""]
    if summary.get("incomplete"):
        lines += ["**Incomplete**: a worker process died, ending the runs in progress; only the "
                  "runs finished before are here, and a row may have fewer seeds than asked.",
                  ""]
    lines += [
        f"`{summary['command']}`: {plural(sum(e['seeds'] for e in entries), 'run')} "
        f"({plural(len(entries) - len(once), 'row')} x {plural(n, 'seed')}, seeds "
        f"{summary['seed_values'][0]}..{summary['seed_values'][-1]}"
        + (f"; {plural(len(once), 'baseline')} run once" if once else "") + "), float64, "
        f"{plural(summary['jobs'], 'worker process', 'es')} with "
        f"{'/'.join(map(str, summary['blas_threads']))} BLAS thread each, on "
        f"{summary['cpu_count']} cores; wall time **{wall:.0f} s** ({wall / 60:.1f} min); load "
        f"average {summary['load_average_at_start'][0]:.2f} at the start; "
        f"{summary['started']}; fastnet {summary['fastnet']}, numpy {summary['numpy']}.",
        "",
    ]
    if has_table(summary):
        lines += _accuracy_section(summary, explanations, plot_note)
    lines += baselines.markdown(summary)
    lines += chapter3.markdown(summary, AGREEMENT_POINTS, plot_note is None,
                               explanations.get("statements", {}))
    lines += readings.markdown(summary)
    if summary.get("speed_rows"):
        lines += speeds.markdown(summary["speed_rows"], plot_note is None,
                                 explanations.get("speeds", {}))
    if SUITES[summary["suite"]].epoch_tables:
        lines += ["## Per-epoch accuracy", ""]
        for entry in summary["rows"]:
            lines += ["```", epoch_table(entry), "```", ""]
    if plot_note is not None:
        lines += [f"({plot_note})", ""]
    atomic_file.write_text(path, "\n".join(lines))


def _accuracy_section(summary, explanations, plot_note):
    """results.md's table of accuracies, how to read it, the figures off the source's and
    the plot."""
    source = summary["source"]
    lines = [
        results_table(summary),
        "",
        "How to read it:",
        "",
        f"- Accuracies are in percent of the evaluation set the {source} used: the test set "
        "(10,000 images) or the validation set (the last 10,000 training images).",
        "- *peak*: the best accuracy over all epochs. *epoch k*: the accuracy after epoch k, "
        "counted from 0 as the book's printout counts (`Epoch 0: ...`).",
        "- *ours*: the median over the seeds, and their range. Seed k draws the initial "
        "weights and every epoch's shuffle from `numpy.random.default_rng(k)`.",
        f"- *difference*: ours minus the {source}'s figure. Ours is the median, except for a "
        "figure that is the best of several runs (ch1-30: best of three), where it is our "
        "maximum over the seeds, the like-for-like statistic; the median's difference is "
        "shown beside it.",
        f"- *within {AGREEMENT_POINTS:g}*: whether the difference is at most "
        f"{AGREEMENT_POINTS:g} points; an *under X* figure is matched by anything up to "
        f"X + {AGREEMENT_POINTS:g}.",
        "- *seconds*: the training and evaluation time of the row's runs, added over its seeds "
        "(the runs went in parallel, so the wall time is less than the total).",
        *(["- *one run*: a baseline classifier of chapter 1 (below the table) involves no "
           "randomness, so it runs once and its figure is the same on every run."]
          if any(entry.get("kind") == "baseline" for entry in summary["rows"]) else []),
        "",
        f"## Figures more than {AGREEMENT_POINTS:g} points from the {source}'s",
        "",
    ]
    if summary["quick"]:
        lines.append("Not assessed: a quick run stops long before the figures are reached.")
    else:
        off = _disagreements(summary, explanations)
        lines += off + ["", explanations["generic"].format(source=source)] if off else ["None."]
    lines.append("")
    if plot_note is None:
        lines += ["## Accuracy per epoch", "",
                  f"Median over the seeds (line) and their range (band); the {source}'s "
                  "figures dashed (peaks) or as crosses (epoch figures).", "",
                  "![accuracy per epoch](accuracy.png)", ""]
    return lines


def write_plot(summary, path):
    """accuracy.png: a panel per row, the median accuracy per epoch over the seeds with their
    range as a band, and the source's figures.  Returns None, or why there is no plot."""
    try:
        import matplotlib
    except ImportError:
        return "matplotlib is not installed, so there is no accuracy.png"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    # The rows with an accuracy per epoch and a figure of the source's: not the baselines,
    # nor the runs only chapter 3's figures draw on.
    entries = [entry for entry in summary["rows"]
               if entry["quotes"] and entry.get("kind") != "baseline"]
    cols = min(4, len(entries))
    rows = math.ceil(len(entries) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for ax, entry in zip(axes.flat, entries):
        curves = np.array([run["accuracy"] for run in entry["runs"]])
        epochs = np.arange(curves.shape[1])
        ax.fill_between(epochs, curves.min(axis=0), curves.max(axis=0), alpha=0.3, lw=0)
        ax.plot(epochs, np.median(curves, axis=0), lw=1.2, label="ours (median)")
        for quote in entry["quotes"]:
            label = f"{summary['source']}: {quote['quote']}"
            if quote["epoch"] is None:
                ax.axhline(quote["book"], color="k", ls="--", lw=0.8, label=label)
            else:
                ax.plot([quote["epoch"]], [quote["book"]], "kx", label=label)
        ax.set_title(f"{entry['id']} ({entry['config']['eval']} set)", fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy (%)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7, loc="lower right")
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(entries):]:
        ax.set_visible(False)
    fig.tight_layout()
    with atomic_file.replacing(path, binary=True) as f:
        fig.savefig(f, format="png", dpi=80)
    plt.close(fig)
    return None


def write_outputs(summary, directory, explanations=None):
    """Write results.json, accuracy.png and results.md into ``directory`` (made if needed).
    Returns the paths written and, when the plot was skipped, why."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    atomic_file.write_json(directory / "results.json", summary, indent=1)
    written, plot_note = render(directory, explanations)
    return [directory / "results.json"] + written, plot_note


def render(directory, explanations=None):
    """Redraw results.md and accuracy.png in ``directory`` from its results.json (and the
    explanations: `load_explanations()`'s content, read now by default).  Returns the paths
    written and, when the plot was skipped, why."""
    directory = Path(directory)
    summary = json.loads((directory / "results.json").read_text())
    plots, plot_note = [], None
    if any(e["quotes"] and e.get("kind") != "baseline" for e in summary["rows"]):
        plot_note = write_plot(summary, directory / "accuracy.png")
        plots.append(directory / "accuracy.png")
    if summary.get("speed_rows") and plot_note is None:
        plot_note = speeds.write_plot(summary["speed_rows"], directory / speeds.PLOT_FILE)
        plots.append(directory / speeds.PLOT_FILE)
    if plot_note is None:
        figures, plot_note = chapter3.write_plots(summary, directory)
        plots += figures
    write_markdown(summary, directory / "results.md", plot_note, explanations)
    return [directory / "results.md"] + (plots if plot_note is None else []), plot_note
