"""results.json's content: a `runner.Report` summarized, per row and quoted figure, beside
the source's figures.  Everything the report draws (`report.render`) reads this and nothing
else, so that results.md and accuracy.png can be redrawn without running anything again.
"""

import os
import platform
import statistics

import numpy as np

from .. import __version__
from .speeds import summarize_row as summarize_speed_row
from .suites import BaselineRow, SpeedRow


def quote_summary(row, quote, runs):
    """The seeds' values of ``quote``'s statistic and how they compare with the figure.

    Compared with the figure is the median over seeds, except when the source's figure is the
    best of several runs (``row.best_of > 1``): then our maximum over seeds.
    """
    values = [quote.of(run.percent) for run in runs]
    median = statistics.median(values)
    compare = "max" if row.best_of > 1 else "median"
    ours = max(values) if compare == "max" else median
    return {
        "quote": str(quote), "statistic": quote.statistic, "epoch": quote.epoch,
        "relation": quote.relation, "book": quote.value, "median": _round(median),
        "min": _round(min(values)), "max": _round(max(values)), "compare": compare,
        "difference": _round(ours - quote.value), "agrees": quote.agrees(ours),
        "values": [_round(v) for v in values],
    }


def _round(x):
    return round(float(x), 4)


def _cost(x):
    return float(f"{x:.6g}")


# Each headline key of a row's entry and the same key of its headline quote's summary.
HEADLINE = ("book", "median", "min", "max", "quote", "statistic", "compare", "difference",
            "agrees")


def _headline(row, quotes):
    """The entry keys of the headline figure: the last quote's summary; without runs (a
    baseline that did not run), its figure and None for ours."""
    if quotes:
        return {key: quotes[-1][key] for key in HEADLINE}
    quote = row.headline
    return {"book": quote.value, "quote": str(quote), "statistic": quote.statistic,
            **{key: None for key in HEADLINE[1:] if key not in ("quote", "statistic")}}


def _curves(row, run):
    """A run's monitored quantities for results.json: costs to 6 digits, the training
    accuracy in percent of the row's training images."""
    return {name: [_round(100 * v / row.train) if name == "training_accuracy" else _cost(v)
                   for v in values] for name, values in (run.curves or {}).items()}


def _run_entry(row, run):
    entry = {"seed": run.seed, "seconds": _round(run.seconds),
             "blas_threads": run.blas_threads, "n_eval": run.n_eval,
             "accuracy": [_round(a) for a in run.percent]}
    return entry | _curves(row, run)


def summarize_baseline(row, runs):
    """A BaselineRow's entry: as a network row's, with its one run's accuracy as median, min
    and max, ``seeds`` 0 or 1, the images it trained on, and ``skipped`` (why it did not run,
    else None)."""
    done = [run for run in runs if not run.skipped]
    quotes = [quote_summary(row, quote, done) for quote in row.quotes] if done else []
    return {
        "id": row.id, "kind": "baseline",
        **_headline(row, quotes),
        "seeds": len(done),
        "seconds": _round(sum(run.seconds for run in done)),
        "skipped": next((run.skipped for run in runs if run.skipped), None),
        "quotes": quotes,
        "source": row.source,
        "setup": row.setup(),
        "config": {"program": row.program, "classifier": row.classifier, "train": row.train,
                   "eval": row.eval, "best_of": row.best_of},
        "train_run": next((run.train for run in runs), row.train),
        "runs": [_run_entry(row, run) | {"train": run.train} for run in done],
    }


def summarize(report):
    """results.json's content: one entry per row with the issue's keys (book, median, min,
    max, seeds, seconds: those of the headline figure, accuracies in percent), plus every
    quoted figure, the configuration and each run's accuracy curve (and its monitored
    costs); a row that quotes nothing (run for chapter 3's figures) has no headline keys; the
    speed rows apart, in ``speed_rows`` (`speeds.summarize_row`)."""
    rows, speed_rows = [], []
    for row in report.rows:
        runs = report.runs_of(row)
        if isinstance(row, SpeedRow):
            speed_rows.append(summarize_speed_row(row, runs, report.epochs[row.id]))
            continue
        if isinstance(row, BaselineRow):
            rows.append(summarize_baseline(row, runs))
            continue
        quotes = [quote_summary(row, quote, runs) for quote in row.quotes]
        rows.append({
            "id": row.id, "kind": "network",
            **(_headline(row, quotes) if quotes else {}),
            "seeds": len(runs),
            "seconds": _round(sum(run.seconds for run in runs)),
            "quotes": quotes,
            "source": row.source,
            "setup": row.setup(),
            "config": {"program": row.program, "sizes": list(row.sizes), "cost": row.cost,
                       "init": row.init, "train": row.train, "epochs": row.epochs,
                       "batch": row.batch, "eta": row.eta, "lmbda": row.lmbda,
                       "eval": row.eval, "best_of": row.best_of, "monitor": list(row.monitor),
                       "reading_of": row.reading_of},
            "epochs_run": report.epochs[row.id],
            "runs": [_run_entry(row, run) for run in runs],
        })
    suite = report.suite
    return {
        "suite": suite.name, "title": suite.title, "source": suite.source,
        "rows": rows,
        "speed_rows": speed_rows,
        "wall_seconds": _round(report.wall_seconds),
        "seed_values": report.seeds,
        "quick": report.quick,
        "incomplete": report.incomplete,
        "jobs": report.jobs,
        "blas_threads": sorted({run.blas_threads for run in report.runs}, key=str),
        "dtype": "float64",
        "cpu_count": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in report.load_average],
        "started": report.started,
        "command": report.command,
        "fastnet": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
