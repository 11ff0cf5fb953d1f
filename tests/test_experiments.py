"""`fastnet reproduce`: the rows are the issue's tables, a row runs, the results files."""

import importlib.util
import json
import re
import sys
from dataclasses import replace

import numpy as np
import pytest
from test_data import write_idx_set

from fastnet.cli import main
from fastnet.data import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS
from fastnet.experiments import report
from fastnet.experiments.report import (load_explanations, render, results_table,
                                       write_markdown, write_outputs)
from fastnet.experiments.runner import Report, Run, reproduce, run_row, tasks_for
from fastnet import Network
from fastnet.experiments import speeds
from fastnet.experiments.suites import (BASELINES, BOOK, LEARNING_RATES, NOTEBOOK,
                                       NOTEBOOK_SOFTMAX, SPEEDS, SUITES, Quote, select_rows)
from fastnet.experiments.summary import summarize

# The tables of issue 6, copied verbatim.
NOTEBOOK_TABLE = """
| Network | `[784, 30, 10]` | 10 | 100 | 3.0 | — | 91.29% at epoch 9 |
| Network2 | `[784, 30, 10]` | 30 | 100 | 3.0 | 0.1 | about 95.1% by epoch 20 |
| Network2 | `[784, 30, 10]` | 30 | 100 | 3.0 | 1 | about 96.0% by epoch 20 |
| Network2 | `[784, 30, 10]` | 30 | 100 | 3.0 | 5 | about 96.0% by epoch 20 |
"""

BOOK_TABLE = """
| ch1-30 | 1 | [784,30,10] | quadratic | large | 50k | 30 | 10 | 3.0 | 0 | test | 95.42 peak |
| ch1-100 | 1 | [784,100,10] | quadratic | large | 50k | 30 | 10 | 3.0 | 0 | test | 96.59 peak |
| ch3-ce-30 | 3 | [784,30,10] | cross-entropy | large | 50k | 30 | 10 | 0.5 | 0 | test | 95.49 peak |
| ch3-ce-100 | 3 | [784,100,10] | cross-entropy | large | 50k | 30 | 10 | 0.5 | 0 | test | 96.82 peak |
| ch3-overfit | 3 | [784,30,10] | cross-entropy | large | 1k | 400 | 10 | 0.5 | 0 | test | 82.27 peak |
| ch3-reg-1k | 3 | [784,30,10] | cross-entropy | large | 1k | 400 | 10 | 0.5 | 0.1 | test | 87.1 peak |
| ch3-reg-30 | 3 | [784,30,10] | cross-entropy | large | 50k | 30 | 10 | 0.5 | 5.0 | test | 96.49 peak |
| ch3-reg-100 | 3 | [784,100,10] | cross-entropy | large | 50k | 30 | 10 | 0.5 | 5.0 | validation | 97.92 peak |
| ch3-reg-100-60 | 3 | [784,100,10] | cross-entropy | large | 50k | 60 | 10 | 0.1 | 5.0 | validation | 98.04 peak |
| ch3-init-large | 3 | [784,30,10] | cross-entropy | large | 50k | 30 | 10 | 0.1 | 5.0 | validation | under 87 after epoch 0; about 96.5 peak |
| ch3-init-default | 3 | [784,30,10] | cross-entropy | default | 50k | 30 | 10 | 0.1 | 5.0 | validation | about 92.7 after epoch 0; about 96.5 peak |
| ch5-30 | 5 | [784,30,10] | cross-entropy | default | 50k | 30 | 10 | 0.1 | 5.0 | validation | 96.48 peak |
| ch5-30x2 | 5 | [784,30,30,10] | cross-entropy | default | 50k | 30 | 10 | 0.1 | 5.0 | validation | 96.90 peak |
| ch5-30x3 | 5 | [784,30,30,30,10] | cross-entropy | default | 50k | 30 | 10 | 0.1 | 5.0 | validation | 96.57 peak |
| ch5-30x4 | 5 | [784,30,30,30,30,10] | cross-entropy | default | 50k | 30 | 10 | 0.1 | 5.0 | validation | 96.53 peak |
"""  # noqa: E501

# Chapter 5's speeds of learning at the start of training, as the book's text gives them
# ("||delta^1|| = 0.07... and ||delta^2|| = 0.31..."; "0.012, 0.060, and 0.283"; "0.003, 0.017,
# 0.070, and 0.285"), each measured by generate_gradient.py: network2.Network(sizes), the
# first 1,000 training images, 500 epochs of net.SGD(td, 1, 1000, 0.1, lmbda=5.0).
SPEED_TABLE = """
| ch5-speed-2 | [784,30,30,10] | 0.07, 0.31 |
| ch5-speed-3 | [784,30,30,30,10] | 0.012, 0.060, 0.283 |
| ch5-speed-4 | [784,30,30,30,30,10] | 0.003, 0.017, 0.070, 0.285 |
"""


def cells(table):
    return [[c.strip() for c in line.strip("|").split("|")] for line in table.strip().splitlines()]


def quotes(text):
    """The issue's wording of a figure -> (value, epoch or None, relation, wording)."""
    parsed = []
    for part in text.split(";"):
        m = re.fullmatch(r"(?:(about|under) )?([\d.]+)%? (?:peak|(at|after|by) epoch (\d+))",
                         part.strip())
        assert m, part
        relation, value, wording, epoch = m.groups()
        parsed.append((float(value), None if epoch is None else int(epoch), relation or "",
                       wording or "at"))
    return parsed


def config(row):
    return (row.sizes, row.epochs, row.batch, row.eta, row.lmbda, row.eval,
            [(q.value, q.epoch, q.relation, q.wording) for q in row.quotes])


def test_book_rows_are_the_issue_table():
    table = cells(BOOK_TABLE)
    assert [row.id for row in BOOK] == [line[0] for line in table]
    for row, (_, ch, net, cost, init, train, epochs, batch, eta, lmbda, eval_, book) in zip(
            BOOK, table):
        expected = (tuple(json.loads(net)), int(epochs), int(batch), float(eta), float(lmbda),
                    eval_, quotes(book))
        assert config(row) == expected, row.id
        assert (row.cost, row.init, row.train) == (cost, init, {"50k": 50_000, "1k": 1_000}[train])
        assert row.program == {"1": "network.py", "3": "network2.py", "5": "network2.py"}[ch]
        assert row.source == f"chapter {ch}"
        assert row.best_of == (3 if row.id == "ch1-30" else 1)  # the issue's note on ch1-30


def test_speed_rows_are_generate_gradient_py():
    table = cells(SPEED_TABLE)
    assert [row.id for row in SPEEDS] == [line[0] for line in table]
    for row, (_, sizes, start) in zip(SPEEDS, table):
        assert row.sizes == tuple(json.loads(sizes)) and row.hidden_layers == len(row.start)
        assert row.start == tuple(float(v) for v in start.split(","))
        assert (row.source, row.cost, row.init, row.train, row.epochs, row.batch, row.eta,
                row.lmbda, row.eval) == ("chapter 5", "cross-entropy", "default", 1_000, 500,
                                         1_000, 0.1, 5.0, None)
    assert SUITES["book"].rows == BOOK[:2] + BASELINES + BOOK[2:] + LEARNING_RATES + SPEEDS


def test_notebook_rows_are_the_issue_table():
    table = cells(NOTEBOOK_TABLE)
    assert len(NOTEBOOK) == len(table)
    for row, (net, sizes, epochs, batch, eta, lmbda, result) in zip(NOTEBOOK, table):
        expected = (tuple(json.loads(sizes.strip("`"))), int(epochs), int(batch), float(eta),
                    0.0 if lmbda == "—" else float(lmbda), "test", quotes(result))
        assert config(row) == expected, row.id
        # Network is network.py; Network2 network2.py with its default cost and initialization.
        program, cost, init = {"Network": ("network.py", "quadratic", "large"),
                               "Network2": ("network2.py", "cross-entropy", "default")}[net]
        assert (row.program, row.cost, row.init, row.train) == (program, cost, init, 50_000)


def test_the_softmax_rows_read_the_notebooks_network2_otherwise():
    printed = [row for row in NOTEBOOK if row.program == "network2.py"]
    assert [row.id for row in NOTEBOOK_SOFTMAX] == [f"{row.id}-softmax" for row in printed]
    for row, softmax in zip(printed, NOTEBOOK_SOFTMAX):
        # The same run but for the output layer: a softmax, trained with the log-likelihood.
        assert (softmax.cost, softmax.reading_of, row.reading_of) == (
            "log-likelihood", row.id, "")
        assert replace(softmax, id=row.id, cost=row.cost, reading_of="") == row
    assert SUITES["seed"].rows == NOTEBOOK + NOTEBOOK_SOFTMAX


def test_a_softmax_row_trains_a_log_likelihood_network(small):
    row = replace(NOTEBOOK_SOFTMAX[1], train=500, epochs=2)
    run = run_row(row, 4, small)
    (X, y), _, test = small
    net = Network([784, 30, 10], cost="log-likelihood", init="default", seed=4)
    expected = net.SGD((X[:, :500], y[:500]), 2, 100, 3.0, lmbda=1.0, evaluation_data=test)
    assert run.accuracy == expected.evaluation_accuracy


def test_a_quote_reads_its_statistic_off_a_curve():
    curve = [80.0, 91.5, 91.2, 90.0]
    assert Quote(91.0).of(curve) == 91.5 and Quote(91.0).epoch_in(curve) == 1
    assert Quote(80.0, 0, "under", "after").of(curve) == 80.0
    assert Quote(90.0, 20).epoch_in(curve) == 3  # a shorter run (--quick) reads its last epoch
    assert Quote(91.0).agrees(91.5) and not Quote(91.0).agrees(91.51)
    assert Quote(87, 0, "under").agrees(80) and Quote(87, 0, "under").agrees(87.5)
    assert not Quote(87, 0, "under").agrees(87.6)
    assert str(Quote(87, 0, "under", "after")) == "under 87 after epoch 0"
    assert str(Quote(95.42)) == "95.42 peak"


@pytest.fixture(scope="module")
def small(mnist_uint8):
    """A slice of MNIST: 600 training, 300 validation and 300 test images, as pixel bytes."""
    return tuple((X[:, :n], y[:n]) for (X, y), n in zip(mnist_uint8, (600, 300, 300)))


def test_a_row_runs_on_a_slice_of_the_data(small):
    row = replace(select_rows(SUITES["book"], "ch3-reg-30")[0],
                  train=500, epochs=2)
    run = run_row(row, 7, small)
    assert (run.row, run.seed, run.n_eval, len(run.accuracy)) == ("ch3-reg-30", 7, 300, 2)
    assert 50 < row.headline.of(run.percent) <= 100  # two epochs on 500 images: far above 10%
    # The run trains on the first `train` images only (so n = 500 in the L2 decay), and a
    # seed fixes it completely.
    exact = ((small[0][0][:, :500], small[0][1][:500]),) + small[1:]
    assert run_row(row, 7, exact).accuracy == run.accuracy


def test_a_deeper_chapter_5_row_runs_on_a_slice_of_the_data(small):
    row = replace(select_rows(SUITES["book"], "ch5-30x4")[0], train=500, epochs=2)
    run = run_row(row, 3, small)
    assert (run.row, run.n_eval, len(run.accuracy), run.speeds) == ("ch5-30x4", 300, 2, None)
    assert 0 <= row.headline.of(run.percent) <= 100


def test_a_speed_run_follows_generate_gradient_py(small):
    row = replace(SPEEDS[1], train=400, epochs=4)
    run = run_row(row, 2, small)
    assert (run.row, run.accuracy, run.n_eval) == ("ch5-speed-3", [], 0)
    # The book's loop: measure, then one epoch of full-batch SGD, and again; plus the last.
    (X, y), _, _ = small
    X, y = X[:, :400], y[:400]
    net = Network(row.sizes, cost="cross-entropy", init="default", seed=2)
    expected = []
    for _ in range(4):
        expected.append(net.layer_speeds(X, y))
        net.SGD((X, y), 1, 400, 0.1, lmbda=5.0)
    expected.append(net.layer_speeds(X, y))
    assert run.speeds == expected and len(expected[0]) == 3


def test_a_row_records_what_it_monitors_without_changing_its_run(small):
    row = replace(select_rows(SUITES["book"], "ch3-overfit")[0], train=500, epochs=3)
    run = run_row(row, 5, small)
    assert set(run.curves) == {"training_cost", "evaluation_cost", "training_accuracy"}
    assert all(len(values) == 3 for values in run.curves.values())
    assert run.accuracy == run_row(replace(row, monitor=()), 5, small).accuracy
    (X, y), _, (Xt, yt) = small
    net = Network(row.sizes, cost=row.cost, init=row.init, seed=5)
    net.SGD((X[:, :500], y[:500]), 3, 10, 0.5, evaluation_data=(Xt, yt))
    assert run.curves["training_accuracy"][-1] == net.accuracy(X[:, :500], y[:500])
    assert run.curves["evaluation_cost"][-1] == pytest.approx(net.total_cost(Xt, yt))


def test_longest_runs_are_scheduled_first():
    tasks = tasks_for(BOOK, [0, 1, 2], quick=False)
    assert sorted((t.row.id, t.seed) for t in tasks) == sorted(
        (row.id, seed) for row in BOOK for seed in (0, 1, 2))
    costs = [t.row.expected_seconds(t.epochs) for t in tasks]
    assert costs == sorted(costs, reverse=True)
    assert tasks[0].row.id == "ch3-reg-100-60"
    assert {t.epochs for t in tasks_for(BOOK, [0], quick=True)} == {3, 6, 40}
    # The baselines run once, with no seed: the SVM, minutes long, first of all.
    tasks = tasks_for(SUITES["book"].rows, [0, 1, 2], quick=False)
    assert [(t.row.id, t.seed, t.train) for t in tasks if t.seed is None] == [
        ("ch1-svm", None, 50_000), ("ch1-darkness", None, 50_000)]
    assert tasks[0].row.id == "ch1-svm"
    assert {(t.row.id, t.train) for t in tasks_for(BASELINES, [0], quick=True)} == {
        ("ch1-svm", 5_000), ("ch1-darkness", 5_000)}


def fake_report(row_id, curves, n_eval=10_000):
    """A Report of the book's row ``row_id`` with one run per curve (accuracies in percent)."""
    suite = SUITES["book"]
    rows = select_rows(suite, row_id)
    runs = [Run(row_id, seed, [round(a * n_eval / 100) for a in curve], n_eval, 2.0, 1)
            for seed, curve in enumerate(curves)]
    return Report(suite, rows, runs, list(range(len(curves))), False,
                              {row_id: len(curves[0])}, 2, 3.0, (0.5, 0.5, 0.5), "today",
                              "fastnet reproduce book")


def test_a_row_with_two_figures_reports_both():
    report = fake_report("ch3-init-large", [[86.0, 95.0, 96.1], [88.0, 96.4, 96.2],
                                            [85.0, 96.0, 95.9]])
    entry, = summarize(report)["rows"]
    first, peak = entry["quotes"]
    assert (first["statistic"], first["median"], first["min"], first["max"]) == (
        "epoch 0", 86.0, 85.0, 88.0)
    assert first["agrees"] and first["difference"] == -1.0  # under 87
    assert (peak["statistic"], peak["median"], peak["values"]) == ("peak", 96.1, [96.1, 96.4, 96.0])
    # The issue's keys hold the headline figure, the peak.
    assert {k: entry[k] for k in ("book", "median", "min", "max", "seeds", "seconds")} == {
        "book": 96.5, "median": 96.1, "min": 96.0, "max": 96.4, "seeds": 3, "seconds": 6.0}
    lines = results_table(summarize(report)).splitlines()[2:]
    assert len(lines) == 2
    assert lines[0].startswith(
        "| ch3-init-large | under 87 after epoch 0 | 87 | 86.00 [85.00–88.00]")


def test_a_best_of_three_figure_is_compared_with_our_maximum():
    entry, = summarize(fake_report("ch1-30", [[94.0, 95.0], [95.5, 94.0],
                                                          [94.5, 95.3]]))["rows"]
    assert (entry["compare"], entry["median"], entry["max"]) == ("max", 95.3, 95.5)
    assert entry["difference"] == pytest.approx(95.5 - 95.42)


def test_a_figure_off_by_more_than_half_a_point_is_explained(tmp_path):
    summary = summarize(fake_report("ch1-100", [[95.0, 95.5], [95.9, 95.2]]))
    write_markdown(summary, tmp_path / "results.md")
    text = (tmp_path / "results.md").read_text()
    off = text.split("points from the book's")[1]
    assert ("**ch1-100**, 96.59 peak: our median 95.70, -0.89 points; our 2 seeds span "
            "95.50–95.90, and the book's figure lies outside that range." in off)
    assert "in a footnote to the figure" in off  # what we know about this row
    assert "In general: a figure of the book comes from a single run" in off


def test_every_explanation_is_of_a_figure_its_suite_quotes():
    explanations = load_explanations()
    assert "{source}" in explanations["generic"]
    assert set(explanations["figures"]) <= set(SUITES)
    for suite, rows in explanations["figures"].items():
        for row_id, texts in rows.items():
            row, = select_rows(SUITES[suite], row_id)
            assert set(texts) <= {quote.statistic for quote in row.quotes}, row_id
            assert all(text.strip() for text in texts.values())
    assert set(explanations["speeds"]) <= {row.id for row in SPEEDS}
    assert all(text.strip() for text in explanations["speeds"].values())


@pytest.fixture(scope="module")
def tiny_idx(tmp_path_factory, mnist_uint8):
    """An IDX directory of 1,200 MNIST training images (1,000 training + 200 validation) and
    300 test images: enough for the rows that train on 1k images."""
    (X, y), _, (Xt, yt) = mnist_uint8

    def images(X, n):
        return np.ascontiguousarray(X[:, :n].T).reshape(n, 28, 28)

    arrays = {TRAIN_IMAGES: images(X, 1200), TRAIN_LABELS: y[:1200].astype(np.uint8),
              TEST_IMAGES: images(Xt, 300), TEST_LABELS: yt[:300].astype(np.uint8)}
    return write_idx_set(tmp_path_factory.mktemp("tiny"), arrays)


def test_reproduce_writes_the_results_files(tiny_idx, tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["reproduce", "book", "--only", "ch3-overfit", "--quick", "--seeds", "2",
                   "--jobs", "1", "--data", str(tiny_idx), "--out", str(out)])
    stdout, stderr = capsys.readouterr()
    assert status == 0
    assert len(re.findall(r"^ch3-overfit +seed [01]: peak \d+\.\d\d% \(epoch \d+\) +\d+\.\d s$",
                          stderr, re.M)) == 2
    assert "--quick" in stderr and "| ch3-overfit | 82.27 peak |" in stdout

    summary = json.loads((out / "results.json").read_text())
    assert set(summary) >= {"rows", "wall_seconds"} and summary["wall_seconds"] > 0
    entry, = summary["rows"]
    assert set(entry) >= {"id", "book", "median", "min", "max", "seeds", "seconds"}
    assert (entry["id"], entry["book"], entry["seeds"], entry["epochs_run"]) == (
        "ch3-overfit", 82.27, 2, 40)
    assert summary["quick"] and summary["seed_values"] == [0, 1]
    peaks = []
    for run in entry["runs"]:
        # Percent of the 300 test images, one value per epoch.
        counts = np.array(run["accuracy"]) * run["n_eval"] / 100
        assert run["n_eval"] == 300 and len(run["accuracy"]) == 40
        assert np.allclose(counts, np.round(counts), atol=1e-3) and run["blas_threads"] == 1
        peaks.append(max(run["accuracy"]))
    assert (entry["min"], entry["max"], entry["median"]) == (
        min(peaks), max(peaks), pytest.approx(np.median(peaks), abs=1e-4))
    assert 50 < entry["median"] <= 100

    for run in entry["runs"]:  # overfitting.py's four panels: the costs, the training accuracy
        assert [len(run[name]) for name in ("training_cost", "evaluation_cost",
                                            "training_accuracy")] == [40, 40, 40]
        assert 0 < max(run["training_accuracy"]) <= 100

    text = (out / "results.md").read_text()
    assert "**Quick smoke run**" in text
    assert f"| ch3-overfit | 82.27 peak | 82.27 | {entry['median']:.2f} [" in text
    assert "## Chapter 3's figures beside the book's statements" in text
    assert "Not assessed: a quick run stops long before the figures are reached." in text
    # matplotlib is the optional `plot` extra; the case without it has a test of its own.
    if importlib.util.find_spec("matplotlib") is not None:
        assert "![accuracy per epoch](accuracy.png)" in text
        assert (out / "accuracy.png").read_bytes().startswith(b"\x89PNG")
        assert (out / "ch3_overfitting_lmbda0.png").read_bytes().startswith(b"\x89PNG")
        assert "](ch3_overfitting_lmbda0.png)" in text
    else:
        assert "matplotlib is not installed" in text and not (out / "accuracy.png").exists()
    # results.md and the plot are drawn from results.json alone.
    render(out)
    assert (out / "results.md").read_text() == text


def test_reproduce_writes_the_speed_results(tiny_idx, tmp_path, capsys, mnist_uint8):
    out = tmp_path / "out"
    status = main(["reproduce", "book", "--only", "ch5-speed-2", "--quick", "--seeds", "2",
                   "--jobs", "1", "--data", str(tiny_idx), "--out", str(out)])
    stdout, stderr = capsys.readouterr()
    assert status == 0
    assert len(re.findall(r"^ch5-speed-2 +seed [01]: start [\d.e-]+, [\d.e-]+; end ", stderr,
                          re.M)) == 2
    assert "| ch5-speed-2 | 1 | 0.07 | " in stdout and "|  | 2 | 0.31 | " in stdout

    summary = json.loads((out / "results.json").read_text())
    assert summary["rows"] == []
    entry, = summary["speed_rows"]
    assert (entry["id"], entry["book"], entry["seeds"], entry["epochs_run"]) == (
        "ch5-speed-2", [0.07, 0.31], 2, 50)
    (X, y), _, _ = mnist_uint8
    for run in entry["runs"]:
        assert len(run["speeds"]) == 51 and all(len(s) == 2 for s in run["speeds"])
        start = Network([784, 30, 30, 10], cost="cross-entropy", init="default",
                        seed=run["seed"]).layer_speeds(X[:, :1000], y[:1000])
        assert run["speeds"][0] == pytest.approx(start, rel=1e-5)  # results.json: 6 digits
    starts = [run["speeds"][0] for run in entry["runs"]]
    assert entry["start"]["min"] == [min(s[k] for s in starts) for k in range(2)]
    assert entry["book_within_start_range"] == [
        lo <= b <= hi for b, lo, hi in zip([0.07, 0.31], entry["start"]["min"],
                                           entry["start"]["max"])]

    text = (out / "results.md").read_text()
    assert "## Speed of learning per hidden layer (chapter 5)" in text
    assert "## Figures more than" not in text  # no accuracy row ran
    assert "- **ch5-speed-2**: Our start figures are" in text  # from explanations.json
    if importlib.util.find_spec("matplotlib") is not None:
        assert f"]({speeds.PLOT_FILE})" in text and not (out / "accuracy.png").exists()
        assert (out / speeds.PLOT_FILE).read_bytes().startswith(b"\x89PNG")
    render(out)
    assert (out / "results.md").read_text() == text


def test_workers_pin_blas_to_one_thread_and_agree_with_a_serial_run(tiny_idx):
    runs = {}
    for jobs in (1, 2):
        report = reproduce("book", seeds=2, only="ch3-reg-1k", quick=True,
                                       jobs=jobs, data_path=tiny_idx)
        assert report.jobs == jobs and [run.seed for run in report.runs] == [0, 1]
        assert {run.blas_threads for run in report.runs} == {1}
        runs[jobs] = [run.accuracy for run in report.runs]
    assert runs[1] == runs[2]


def test_seed_suite_prints_notebook_style_tables(small, capsys, monkeypatch):
    # The notebook's rows train on 50,000 images; shrink one to the slice.
    row = replace(NOTEBOOK[0], train=600, epochs=2)
    monkeypatch.setitem(SUITES, "seed",
                        replace(SUITES["seed"], rows=(row,)))
    status = main(["reproduce", "seed", "--jobs", "1", "--seeds", "2"])
    stdout = capsys.readouterr().out
    assert status == 0
    assert re.search(r"^seed     0 +1\nEpoch 0: \d+ / 10000 +\d+ / 10000\nEpoch 1: \d+ / 10000 "
                     r"+\d+ / 10000\n", stdout, re.M)


def test_without_scikit_learn_the_svm_row_says_so_and_the_others_run(tiny_idx, tmp_path,
                                                                    capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.svm", None)
    darkness, svm = (replace(row, train=1_000) for row in BASELINES)
    overfit = replace(select_rows(SUITES["book"], "ch3-overfit")[0], epochs=2)
    monkeypatch.setitem(SUITES, "book", replace(SUITES["book"], rows=(darkness, svm, overfit)))
    out = tmp_path / "out"
    status = main(["reproduce", "book", "--jobs", "1", "--seeds", "1", "--data", str(tiny_idx),
                   "--out", str(out)])
    stdout, stderr = capsys.readouterr()
    assert status == 0
    missing = "scikit-learn is not installed (pip install scikit-learn, or the compare extra"
    assert f"ch1-svm            not run: {missing}" in stderr
    assert re.search(r"^ch1-darkness +once +: accuracy \d+\.\d\d% \(\d+ / 300, trained on "
                     r"1,000 images\)", stderr, re.M)
    assert f"| ch1-svm | 94.35 accuracy | 94.35 | not run: {missing}" in stdout
    assert re.search(r"^\| ch1-darkness \| 22.25 accuracy \| 22.25 \| \d+\.\d\d \(\d+ / 300; "
                     r"one run, trained on 1,000 images\) \|", stdout, re.M)
    assert "| ch3-overfit | 82.27 peak |" in stdout
    summary = json.loads((out / "results.json").read_text())
    darkness_entry, svm_entry, _ = summary["rows"]
    assert (svm_entry["skipped"].startswith(missing), svm_entry["seeds"], svm_entry["runs"],
            svm_entry["median"]) == (True, 0, [], None)
    assert (darkness_entry["skipped"], darkness_entry["seeds"], darkness_entry["train_run"]) == (
        None, 1, 1_000)
    text = (out / "results.md").read_text()
    assert f"- **ch1-svm**, the book's mnist_svm.py: a support vector machine, `SVC(C=1.0, " \
           f"kernel='rbf', gamma=1/784" in text and f"Not run: {missing}" in text
    assert "2 runs (1 row x 1 seed, seeds 0..0; 2 baselines run once)" in text
    render(out)
    assert (out / "results.md").read_text() == text


def test_without_matplotlib_the_plot_is_skipped_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    summary = summarize(fake_report("ch1-100", [[95.0, 96.5]]))
    written, note = write_outputs(summary, tmp_path)
    assert "matplotlib is not installed" in note and not (tmp_path / "accuracy.png").exists()
    assert note in (tmp_path / "results.md").read_text()
    assert [p.name for p in written] == ["results.json", "results.md"]


@pytest.mark.parametrize("argv, message", [
    (["--only", "ch9-nope"], "no row 'ch9-nope' in `reproduce book`; its rows are ch1-30, "),
    (["--seeds", "0"], "--seeds must be an integer >= 1, not 0"),
    (["--jobs", "0"], "--jobs must be an integer >= 1, not 0"),
    (["--only", "ch1-30"], "ch1-30 trains on 50,000 images but the data has 1,000 training"),
])
def test_bad_options_are_one_line_errors(tiny_idx, capsys, argv, message):
    assert main(["reproduce", "book", "--data", str(tiny_idx), *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"fastnet reproduce book: error: {message}") and err.count("\n") == 1


def test_an_unwritable_out_directory_is_a_one_line_error(tiny_idx, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    argv = ["reproduce", "book", "--only", "ch3-overfit", "--quick", "--jobs", "1",
            "--data", str(tiny_idx), "--out", str(blocker / "out")]
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("fastnet reproduce book: error: cannot write the results into")


def test_without_the_explanations_file_nothing_runs(tiny_idx, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(report, "explanation_dirs", lambda: (tmp_path / "a", tmp_path / "b"))
    argv = ["reproduce", "book", "--only", "ch3-overfit", "--quick", "--jobs", "1",
            "--data", str(tiny_idx), "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (f"fastnet reproduce book: error: explanations.json is in neither "
                                 f"{tmp_path / 'a'} nor {tmp_path / 'b'}\n")
    assert not (tmp_path / "out").exists()
