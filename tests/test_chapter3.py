"""Chapter 3's figures beside the book's statements: what each statement reads off a run,
when it agrees, and the figures and table written from a summary."""

import importlib.util
import json

import numpy as np
import pytest

from fastnet.experiments import chapter3
from fastnet.experiments.report import load_explanations, render, write_outputs
from fastnet.experiments.runner import Report, Run
from fastnet.experiments.suites import AGREEMENT_POINTS, SUITES, select_rows
from fastnet.experiments.summary import summarize


def test_each_statement_reads_a_curve_its_row_records():
    rows = {row.id: row for row in SUITES["book"].rows}
    figures = {figure.key: figure for figure in chapter3.FIGURES}
    for figure in chapter3.FIGURES:
        for row_id in figure.rows:
            for name, *_ in figure.panels:
                assert name == "accuracy" or name in rows[row_id].monitor, (row_id, name)
    for statement in chapter3.STATEMENTS:
        assert statement.row in figures[statement.figure].rows, statement.id
        assert statement.panel in {name for name, *_ in figures[statement.figure].panels}
        assert statement.words.strip() and statement.reading.strip()
    assert len({s.id for s in chapter3.STATEMENTS}) == len(chapter3.STATEMENTS)
    assert len({f.file for f in chapter3.FIGURES}) == len(chapter3.FIGURES)


def test_the_readings_of_a_run():
    epochs = np.arange(400)
    rising = 72 + 10 * np.minimum(epochs, 280) / 280  # up to epoch 280, then flat
    assert 270 <= chapter3.plateau_epoch({"accuracy": rising.tolist()}) <= 280
    assert chapter3.plateau_epoch({"accuracy": (72 + epochs / 40).tolist()}) == 385  # no end
    v_shape = np.abs(epochs - 15) + 1.0
    assert chapter3.lowest_test_cost_epoch({"evaluation_cost": v_shape.tolist()}) == 15
    decay = 0.3 + 0.2 * np.exp(-np.arange(30) / 5)
    run = {"training_cost": decay.tolist(), "accuracy": [80.0, 90.0, 85.0],
           "training_accuracy": [90.0, 100.0, 99.9]}
    assert chapter3.saturation_epoch(run) == 15  # 95% of the fall from epoch 0
    assert chapter3.lowest_training_cost_epoch(run) == 29
    assert chapter3.largest_rise()(run) == 0
    assert chapter3.largest_rise()({"training_cost": [1.0, 0.5, 0.75, 0.7]}) == 50
    assert chapter3.largest_rise(after=2)({"training_cost": [1.0, 0.5, 0.75, 0.7]}) == 0
    assert chapter3.highest_training_accuracy(run) == 100.0
    assert (chapter3.peak_accuracy(run), chapter3.last_accuracy(run)) == (90.0, 85.0)
    assert chapter3.accuracy_after(1)(run) == 90.0
    assert chapter3.accuracy_after(200)(run) == 85.0  # a shorter run: its last epoch


@pytest.mark.parametrize("relation, unit, value, agreeing, disagreeing", [
    ("about", "%", 82.27, [81.77, 82.77], [81.76, 82.78]),
    ("about", "epoch", 280, [224, 336], [223, 337]),
    ("at", "epoch", 29, [29], [28]),
    ("just under", "%", 82, [81, 82.5], [80.99, 82.51]),
    ("over", "%", 96, [96, 96.99], [95.99, 97]),
])
def test_a_statement_agrees_by_its_relation(relation, unit, value, agreeing, disagreeing):
    statement = chapter3.Statement("s", "f", "r", "accuracy", "words", value, unit, relation,
                                   "reading", chapter3.peak_accuracy)
    assert all(statement.agrees(v, AGREEMENT_POINTS) for v in agreeing)
    assert not any(statement.agrees(v, AGREEMENT_POINTS) for v in disagreeing)
    assert chapter3.Statement("s", "f", "r", "accuracy", "words", None, "%", "", "reading",
                              chapter3.peak_accuracy).agrees(50, AGREEMENT_POINTS) is None


def eta_report(costs):
    """A Report of the three learning-rate rows, one run per seed with the given training
    cost curves (row id -> list of curves)."""
    suite = SUITES["book"]
    rows = tuple(row for row in suite.rows if row.id in costs)
    runs = [Run(row.id, seed, [9000] * len(curve), 10_000, 1.0, 1,
                curves={"training_cost": curve})
            for row in rows for seed, curve in enumerate(costs[row.id])]
    return Report(suite, rows, runs, [0, 1, 2], False, {row.id: 30 for row in rows}, 2, 3.0,
                  (0.5, 0.5, 0.5), "today", "fastnet reproduce book")


def test_the_figure_and_the_statements_from_a_summary(tmp_path):
    epochs = np.arange(30)
    smooth = [(0.3 + 0.5 * np.exp(-epochs / tau)).tolist() for tau in (8, 9, 10)]
    early = [(0.3 + 0.2 * np.exp(-epochs / tau)).tolist() for tau in (1.0, 1.2, 1.4)]
    jumpy = [(0.8 + 0.1 * np.sin(epochs * k)).tolist() for k in (1, 2, 3)]
    summary = summarize(eta_report({"ch3-eta-0.025": smooth, "ch3-eta-0.25": early,
                                    "ch3-eta-2.5": jumpy}))
    entry = summary["rows"][0]
    assert entry["quotes"] == [] and "book" not in entry  # no line in the results table
    assert entry["runs"][0]["training_cost"] == pytest.approx(smooth[0], rel=5e-6)  # 6 digits
    explanations = load_explanations() | {"statements": {"eta-0.25-saturation": "Because."}}
    written, note = write_outputs(summary, tmp_path, explanations)
    text = (tmp_path / "results.md").read_text()
    assert "| id | the book quotes |" not in text and "## Chapter 3's figures" in text
    smooth_line, saturation, small, large = [
        line for line in text.splitlines() if line.startswith("| multiple-eta | ")]
    assert smooth_line.endswith(" | at epoch 29 | the epoch of the lowest training cost (the "
                                "final epoch is 29) | 29 [29–29] | yes |")
    # 95% of the fall by epoch 3 to 5: not "about 20 epochs", and so explained below.
    assert saturation.startswith(
        "| multiple-eta | ch3-eta-0.25 | \"With eta = 0.25 the cost initially decreases")
    assert saturation.endswith(" | about epoch 20 | the first epoch by which the training "
                               "cost has made 95% of its fall from epoch 0 to its lowest | "
                               "4 [3–5] | **no** |")
    assert "- **eta-0.25-saturation** (ch3-eta-0.25, about epoch 20): our median 4, seeds 3, " \
           "4, 5. Because." in text
    # Statements without a number: described, not checked.
    assert small.endswith(" | no number | the largest rise of the training cost from one "
                          "epoch to the next after epoch 20, in percent of the cost | "
                          "0.00 [0.00–0.00] | — |")
    assert large.startswith("| multiple-eta | ch3-eta-2.5 | ") and large.endswith(" | — |")
    assert "0.00 [0.00–0.00]" not in large
    if importlib.util.find_spec("matplotlib") is not None:
        figure = tmp_path / "ch3_training_cost_by_eta.png"
        assert figure in written and figure.read_bytes().startswith(b"\x89PNG")
        assert "![multiple_eta.py: training cost for three learning rates]" in text
    else:
        assert "matplotlib is not installed" in note
    render(tmp_path, explanations)  # results.md comes from results.json alone
    assert (tmp_path / "results.md").read_text() == text
    assert json.loads((tmp_path / "results.json").read_text()) == summary


def test_a_quick_run_draws_the_figures_but_assesses_nothing(tmp_path):
    report = eta_report({"ch3-eta-0.25": [[0.5, 0.4, 0.45]]})
    report.quick = True
    summary = summarize(report)
    write_outputs(summary, tmp_path)
    text = (tmp_path / "results.md").read_text()
    assert "Not assessed: a quick run stops long before the figures are reached." in text
    assert chapter3.table(summary, AGREEMENT_POINTS) == []


def test_every_statement_explanation_is_of_a_statement():
    assert set(load_explanations().get("statements", {})) <= {
        s.id for s in chapter3.STATEMENTS}
    assert select_rows(SUITES["book"], "ch3-eta-2.5")[0].monitor == ("training_cost",)
