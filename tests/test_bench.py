"""`fastnet bench` on a tiny plan: the table, the JSON, the checks, the errors.

The timings themselves are not tested (speed targets live in benchmarks/); what is tested is
that every installed implementation is timed and checked, and the figures are derived right.
"""

import json
import random

import numpy as np
import pytest

from fastnet.bench import book_format, implementations, rates, table, timing
from fastnet.book import network2
from fastnet.bench.implementations import PEERS
from fastnet.cli import main

TINY = timing.Plan(shapes=[[784, 10, 10]], batches=[50], repeats=2, budget=5.0, n_train=1000,
                   square=64, images={"reference": {50: 200}, "pytorch": {50: 500},
                                      "scikit-learn": {50: 500}})


@pytest.fixture(scope="module")
def data(mnist_uint8):
    (X, y), validation, _ = mnist_uint8
    return implementations.Data((X[:, :TINY.n_train], y[:TINY.n_train]), validation)


@pytest.fixture(scope="module")
def result(data):
    return timing.run(data, TINY, [1])


def test_epoch_flops_counts_the_matrix_products():
    # forward 784*30 + 30*10, weight gradients the same, backprop through the last layer 30*10
    assert rates.epoch_flops([784, 30, 10], 1) == 2 * (2 * (784 * 30 + 30 * 10) + 30 * 10)
    assert rates.epoch_flops([784, 30, 10]) == 95_880 * 50_000


def test_thread_settings():
    assert timing.thread_settings("1") == [1]
    assert timing.thread_settings("3") == [3]
    all_cores = timing.thread_settings("all")
    assert len(all_cores) == 1 and all_cores[0] >= 1
    assert timing.thread_settings("both") == sorted({1, all_cores[0]})
    for bad in ("0", "-2", "many"):
        with pytest.raises(ValueError, match="--threads"):
            timing.thread_settings(bad)


def test_every_installed_implementation_is_timed_and_learned(result):
    (setting,) = result["settings"]
    assert setting["threads"] == 1
    names = {(r["implementation"], r["dtype"]) for r in setting["rows"]}
    expected = {(cls.name, dtype) for cls, dtype in implementations.IMPLEMENTATIONS
                if implementations.available(cls)}
    assert names == expected
    for row in setting["rows"]:
        assert 1 <= len(row["seconds_all"]) <= TINY.repeats
        assert row["seconds_per_epoch"] > 0 and row["seconds_min"] <= row["seconds_per_epoch"]
        bar = 0.1 if row["accuracy_before"] is None else row["accuracy_before"]
        assert row["accuracy_after"] > bar
        assert row["images_timed"] == TINY.images_for(row["implementation"], 50)


def test_ratios_and_efficiency_are_derived_from_the_times(result):
    (setting,) = result["settings"]
    rows = {(r["implementation"], r["dtype"]): r for r in setting["rows"]}
    ref = rows[("reference", "float64")]["seconds_per_epoch"]
    for (name, dtype), row in rows.items():
        t = row["seconds_per_epoch"]
        assert row["speedup_vs_reference"] == pytest.approx(ref / t)
        for peer in PEERS:
            if not implementations.installed(peer):
                assert row["vs"][peer] == "not installed"
                continue
            other = rows.get((peer, dtype)) or next(r for k, r in rows.items() if k[0] == peer)
            assert row["vs"][peer]["ratio"] == pytest.approx(other["seconds_per_epoch"] / t)
        flops = rates.epoch_flops([784, 10, 10], TINY.n_train)
        rate = setting["rates"]["square"][dtype]
        assert row["efficiency"] == pytest.approx(flops / t / 1e9 / rate)
    assert set(setting["rates"]["shape"]) == {"784-10-10/50/float64", "784-10-10/50/float32"}


def test_float_data_rows_are_held_to_the_uint8_loop_plus_the_read_time(result):
    (setting,) = result["settings"]
    per_call = result["per_call"]
    assert set(per_call["sgd_epochs0_seconds"]) == {"uint8", "float32", "float64"}
    assert all(s > 0 for s in per_call["read_seconds"].values())
    rows = {(r["implementation"], r["dtype"]): r for r in setting["rows"]}
    for name, data in (("fastnet-f64data", "float64"), ("fastnet-f32data", "float32")):
        for dtype in ("float64", "float32"):
            row = rows[(name, dtype)]
            assert row["data"] == data
            assert len(row["epoch_loop_all"]) == len(row["seconds_all"])
            v = row["vs_uint8"]
            assert v["uint8_epoch_loop"] == rows[("fastnet", dtype)]["epoch_loop_seconds"]
            assert v["bound"] == pytest.approx(timing.FLOAT_DATA_SLACK * v["uint8_epoch_loop"]
                                               + per_call["read_seconds"][data])
            assert v["epoch_loop_within"] == (row["epoch_loop_seconds"] <= v["bound"])
    assert rows[("reference", "float64")].get("vs_uint8") is None


def test_cli_prints_the_table_and_writes_the_json(capsys, monkeypatch, tmp_path, data, result):
    monkeypatch.setattr(timing, "QUICK", TINY)
    monkeypatch.setattr(timing, "run", lambda data, plan, threads, progress: result)
    path = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "BLAS threads = 1" in out and f"wrote {path}" in out
    for row in result["settings"][0]["rows"]:
        assert row["implementation"] in out
    written = json.loads(path.read_text())
    assert written == json.loads(json.dumps(result))
    assert path.read_text() == json.dumps(result, indent=1) + "\n"  # the file's format
    assert {"machine", "plan", "peers", "settings", "load_before", "load_after"} <= set(written)


def test_cli_runs_the_quick_plan_for_real(capsys, monkeypatch):
    monkeypatch.setattr(timing, "QUICK", TINY)
    no_peers = implementations.IMPLEMENTATIONS[:3]
    monkeypatch.setattr(implementations, "IMPLEMENTATIONS", no_peers)
    assert main(["bench", "--quick", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("784-10-10 ")]
    assert [line.split()[2:4] for line in rows] == [["fastnet", "float64"], ["fastnet", "float32"],
                                                   ["reference", "float64"]]


def test_missing_peers_say_not_installed(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(timing, "QUICK", TINY)
    monkeypatch.setattr(implementations, "installed", lambda name: False)
    json_result = {}
    monkeypatch.setattr(table, "write_json", lambda result, path: json_result.update(result))
    argv = ["bench", "--quick", "--threads", "1", "--json", str(tmp_path / "unused.json")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "pytorch: not installed" in out and "scikit-learn: not installed" in out
    rows = json_result["settings"][0]["rows"]
    assert {r["implementation"] for r in rows} == {"fastnet", "reference", "fastnet-f64data",
                                                   "fastnet-f32data"}
    assert all(r["vs"] == {"pytorch": "not installed", "scikit-learn": "not installed"}
               for r in rows)
    assert json_result["peers"] == {"pytorch": False, "scikit-learn": False}
    table_rows = [line for line in out.splitlines() if line.startswith("784-10-10 ")]
    assert len(table_rows) == 7 and all(line.count("not installed") == 2 for line in table_rows)


@pytest.mark.parametrize("args,message", [
    (["--threads", "lots"], "--threads must be"),
    (["--threads", "0"], "--threads must be 1, all, both or a positive number, not '0'"),
    (["--data", "/no/such/mnist.pkl.gz"], "/no/such/mnist.pkl.gz (the path given) does not exist"),
    (["--json", "/no/such/dir/b.json"], "--json /no/such/dir/b.json: cannot write there "
                                        "(directory /no/such/dir does not exist)"),
])
def test_cli_rejects_bad_options_before_running(capsys, monkeypatch, args, message):
    monkeypatch.setattr(timing, "run", lambda *a, **k: pytest.fail("should not run"))
    assert main(["bench", "--quick", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fastnet bench: error: ") and message in err


@pytest.mark.parametrize("json_flag", [False, True])
def test_an_implementation_that_does_not_learn_fails_the_run(capsys, monkeypatch, tmp_path,
                                                               json_flag):
    monkeypatch.setattr(timing, "QUICK", TINY)
    monkeypatch.setattr(implementations, "IMPLEMENTATIONS", implementations.IMPLEMENTATIONS[:1])
    monkeypatch.setattr(implementations.FastnetRun, "epoch", lambda self, k: None)
    out_json = tmp_path / "b.json"
    extra = ["--json", str(out_json)] if json_flag else []
    # found after the timing began: a failure after the work began, not bad input
    assert main(["bench", "--quick", "--threads", "1", *extra]) == 1
    out, err = capsys.readouterr()
    error = err.splitlines()[-1]  # (after the first run's compiling note, on a fresh cache)
    assert "Traceback" not in err and error.startswith("fastnet bench: error: fastnet float64 "
                                                       "did not learn at batch ")
    unsaved = f"no table, and --json {out_json} was not written" if json_flag else "no table"
    assert error.endswith(f": the timing stopped there, {unsaved}")
    assert "784-10-10 " not in out and not out_json.exists()


def test_book_format_rows_time_fastnet_book_against_the_reference(data):
    states = random.getstate(), np.random.get_state()
    rows = book_format.run(data, epochs=2, n_train=TINY.n_train, reference_images=200)
    assert random.getstate() == states[0]  # fastnet.book's draws from the global state undone
    assert np.array_equal(np.random.get_state()[1], states[1][1])
    assert [row["form"] for row in rows] == list(book_format.FORMS)
    for row in rows:
        assert row["seconds_per_epoch"] > 0 and row["reference_seconds_per_epoch"] > 0
        assert row["speedup_vs_reference"] == pytest.approx(
            row["reference_seconds_per_epoch"] / row["seconds_per_epoch"])
        assert row["accuracy_after"] > row["accuracy_before"]
        assert row["reference_accuracy"][1] > row["reference_accuracy"][0]
        assert row["n_train"] == TINY.n_train and row["epochs_timed"] == 2
    # Both forms train the same network from the same seeds on the same values (float32
    # pixels, as float32 views or as float64 copies): the same accuracy to a few images.
    assert rows[0]["accuracy_after"] == pytest.approx(rows[1]["accuracy_after"], abs=0.02)
    result = {"settings": [], "load_before": (0, 0, 0), "load_after": (0, 0, 0),
              "book_format": rows}
    text = table.format_table(result)
    assert "fastnet.book, the book's data format" in text
    assert [line.split()[0] for line in text.splitlines()
            if line.split()[:1] in (["views"], ["float64-list"])] == list(book_format.FORMS)


def test_book_format_fails_when_fastnet_book_does_not_learn(data, monkeypatch):
    monkeypatch.setattr(network2.Network, "SGD", lambda self, *a, **k: None)
    with pytest.raises(RuntimeError, match="fastnet.book did not learn on the book's data format"):
        book_format.run(data, epochs=1, n_train=TINY.n_train, reference_images=200)
