"""`fastnet bench` on a tiny plan: the table, the JSON, the checks, the errors.

The timings themselves are not tested (speed targets live in benchmarks/); what is tested is
that every installed implementation is timed and checked, and the figures are derived right.
"""

import json
import random

import numpy as np
import pytest

from fastnet import Network
from fastnet.bench import book_format, implementations, jax_run, rates, table, timing
from fastnet.bench.variants import RATIOS, SEED, VARIANTS
from fastnet.book import network2
from fastnet.bench.implementations import PEERS
from fastnet.cli import main

TINY = timing.Plan(shapes=[[784, 10, 10]], batches=[50], repeats=2, budget=5.0, n_train=1000,
                   square=64, images={"reference": {50: 200}, "pytorch": {50: 500},
                                      "scikit-learn": {50: 500}})
# The variants at mini-batch 10, where issue 24 sets targets; fastnet and the reference only
# (the peers' forms of the variants are checked step by step below, without timing them).
VARIANT_PLAN = timing.Plan(shapes=[[784, 10, 10]], batches=[10], repeats=2, budget=5.0,
                           n_train=2000, square=64, images={"reference": {10: 100}},
                           variants=["sigmoid", "tanh", "l2", "l1", "adam"],
                           variant_sizes=[784, 10, 10], variant_batches=[10])


@pytest.fixture(scope="module")
def data(mnist_uint8):
    (X, y), validation, _ = mnist_uint8
    n = max(TINY.n_train, VARIANT_PLAN.n_train)
    return implementations.Data((X[:, :n], y[:n]), validation)


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
    assert [line.split()[2:5] for line in rows] == [["book", "fastnet", "float64"],
                                                   ["book", "fastnet", "float32"],
                                                   ["book", "reference", "float64"]]


def test_missing_peers_say_not_installed(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(timing, "QUICK", TINY)
    monkeypatch.setattr(implementations, "installed", lambda name: False)
    json_result = {}
    monkeypatch.setattr(table, "write_json", lambda result, path: json_result.update(result))
    argv = ["bench", "--quick", "--threads", "1", "--json", str(tmp_path / "unused.json")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert all(f"{peer}: not installed" in out for peer in ("pytorch", "scikit-learn", "jax"))
    rows = json_result["settings"][0]["rows"]
    assert {r["implementation"] for r in rows} == {"fastnet", "reference", "fastnet-f64data",
                                                   "fastnet-f32data"}
    assert all(r["vs"] == {"pytorch": "not installed", "scikit-learn": "not installed",
                           "jax": "not installed"} for r in rows)
    assert json_result["peers"] == {"pytorch": False, "scikit-learn": False, "jax": False}
    assert "jax" not in json_result["settings"][0]
    table_rows = [line for line in out.splitlines() if line.startswith("784-10-10 ")]
    assert len(table_rows) == 7 and all(line.count("not installed") == 3 for line in table_rows)


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


# -- variants, JAX -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def variant_result(data):
    no_peers = implementations.IMPLEMENTATIONS[:3]  # fastnet float64 and float32, reference
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(implementations, "IMPLEMENTATIONS", no_peers)
        return timing.run(data, VARIANT_PLAN, [1])


def test_variants_are_timed_in_the_same_turns_and_learn(variant_result):
    (setting,) = variant_result["settings"]
    timed = {(r["variant"], r["implementation"], r["dtype"]) for r in setting["rows"]}
    assert timed == ({("book", "reference", "float64")}
                     | {(v, "fastnet", d) for v in ["book"] + VARIANT_PLAN.variants
                        for d in ("float64", "float32")})
    for row in setting["rows"]:
        assert row["accuracy_after"] > row["accuracy_before"]
        if row["variant"] != "book":  # the reference is timed in the book's rows only
            assert row["speedup_vs_reference"] is None
    assert set(variant_result["plan"]["variants"]) == {"book", *VARIANT_PLAN.variants}
    assert variant_result["plan"]["variants"]["adam"]["optimizer"] == "adam"


def test_variant_ratios_are_derived_from_the_times(variant_result):
    (setting,) = variant_result["settings"]
    seconds = {(r["variant"], r["dtype"]): r["seconds_per_epoch"] for r in setting["rows"]
               if r["implementation"] == "fastnet"}
    expected = {(ratio.variant, dtype) for ratio in RATIOS
                if {ratio.variant, ratio.baseline} <= set(VARIANT_PLAN.variants)
                for dtype in ("float64", "float32")}
    ratios = setting["variant_ratios"]
    assert {(r["variant"], r["dtype"]) for r in ratios} == expected  # relu, identity not timed
    targets = {ratio.variant: ratio for ratio in RATIOS}
    for r in ratios:
        assert r["implementation"] == "fastnet" and r["batch"] == 10
        assert r["ratio"] == pytest.approx(seconds[(r["variant"], r["dtype"])]
                                           / seconds[(r["baseline"], r["dtype"])])
        assert r["baseline"] == targets[r["variant"]].baseline
        assert r["target"] == targets[r["variant"]].targets[10]
        assert r["within"] == (r["ratio"] <= r["target"])
    text = table.format_table(variant_result)
    lines = [line.split() for line in text.splitlines() if " / " in line and "784-10-10" in line]
    assert len(lines) == len(ratios)
    assert all(line[-1] in ("within", "OVER") for line in lines)
    assert any(line[:3] == ["l1", "/", "l2"] for line in lines)
    book = [line for line in text.splitlines() if line.startswith("784-10-10 ")]
    assert {line.split()[2] for line in book} == {"book", *VARIANT_PLAN.variants}
    assert setting["fastnet_vs_rivals"] == {"compared": 0, "ahead": 0, "behind": []}


def test_fastnet_vs_rivals_counts_the_rows_of_the_same_dtype():
    def row(dtype, variant, **vs):
        return {"implementation": "fastnet", "sizes": [784, 30, 10], "batch": 10,
                "dtype": dtype, "variant": variant, "vs": vs}

    rows = [row("float64", "book", jax={"ratio": 1.5, "peer_dtype": "float64"},
                pytorch={"ratio": 0.9, "peer_dtype": "float64"}),
            row("float32", "adam", jax={"ratio": 0.8, "peer_dtype": "float32"},
                pytorch="not installed"),
            row("float32", "book", jax="skipped", pytorch={"ratio": 0.5, "peer_dtype": "float64"})]
    result = timing.fastnet_vs_rivals(rows + [dict(rows[0], implementation="pytorch")])
    assert result["compared"] == 3 and result["ahead"] == 1
    assert [(b["variant"], b["rival"], b["ratio"]) for b in result["behind"]] == [
        ("book", "pytorch", 0.9), ("adam", "jax", 0.8)]


class _SkippedPeer(implementations.FastnetRun):
    """A stand-in for a peer that cannot run under some thread count (as JAX)."""

    name = "jax"

    @staticmethod
    def runs_on(threads):
        return "XLA runs on 7 threads in this process"


def test_a_peer_that_cannot_run_under_a_thread_count_is_skipped_saying_why(data, monkeypatch):
    monkeypatch.setattr(implementations, "IMPLEMENTATIONS",
                        [(implementations.FastnetRun, "float64"), (implementations.ReferenceRun,
                                                                   "float64"),
                         (_SkippedPeer, "float32")])
    monkeypatch.setattr(implementations, "installed", lambda name: name == "jax")
    monkeypatch.setattr(timing, "machine", lambda: {})  # no JAX version to read if absent
    plan = timing.Plan(shapes=[[784, 10, 10]], batches=[50], repeats=2, budget=5.0,
                       n_train=TINY.n_train, square=64, images={"reference": {50: 200}})
    result = timing.run(data, plan, [1])
    (setting,) = result["settings"]
    assert setting["skipped"] == {"jax": "XLA runs on 7 threads in this process"}
    assert "jax" not in setting
    assert {r["implementation"] for r in setting["rows"]} == {"fastnet", "reference"}
    assert all(r["vs"]["jax"] == "skipped" for r in setting["rows"])
    text = table.format_table(result)
    assert "  jax: not timed with 1 thread: XLA runs on 7 threads in this process" in text
    rows = [line for line in text.splitlines() if line.startswith("784-10-10 ")]
    assert len(rows) == 2 and all("skipped" in line for line in rows)


needs_jax = pytest.mark.skipif(not implementations.installed("jax"), reason="JAX not installed")
PEER_RUNS = [name for name in ("pytorch", "jax") if implementations.installed(name)]


def _parameters(run):
    """A peer run's weights ``(n_out, n_in)`` and biases ``(n_out,)`` as float64 arrays."""
    if run.name == "jax":
        return [(np.asarray(w, np.float64).T, np.asarray(b, np.float64)) for w, b in run.params]
    linear = [m for m in run.model if isinstance(m, run.torch.nn.Linear)]
    return [(m.weight.detach().numpy().astype(np.float64), m.bias.detach().numpy())
            for m in linear]


@pytest.mark.skipif(not PEER_RUNS, reason="neither PyTorch nor JAX installed")
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_peers_take_fastnets_steps(data, variant):
    """Each peer's form of each variant computes fastnet's step: two epochs of one whole
    mini-batch (the first 10 images, whose order cannot change the step) from the same start,
    in float64, against `Network.update_mini_batch` (n = 10 images, for the penalty)."""
    v = VARIANTS[variant]
    net = Network([784, 10, 10], cost=v.cost, init=v.init, seed=SEED, activation=v.activation,
                  penalty=v.penalty)
    X, y = data.train
    targets = np.eye(10)[y[:10]].T
    for _ in range(2):
        net.update_mini_batch(X[:, :10], targets, v.eta, lmbda=v.lmbda, n=10,
                              optimizer=v.optimizer, betas=v.betas, epsilon=v.epsilon)
    for name in PEER_RUNS:
        cls = {"pytorch": implementations.TorchRun, "jax": implementations.JaxRun}[name]
        run = cls(data, [784, 10, 10], 10, "float64", 1, v)
        run.epoch(10)
        run.epoch(10)
        for (w, b), want_w, want_b in zip(_parameters(run), net.weights, net.biases):
            np.testing.assert_allclose(w, want_w, rtol=0, atol=1e-12, err_msg=name)
            np.testing.assert_allclose(b, want_b[:, 0], rtol=0, atol=1e-12, err_msg=name)


@needs_jax
def test_jax_steps_on_a_shorter_last_mini_batch_and_stays_in_its_dtype(data):
    """k = 5 images at mini-batch 10: no whole mini-batch (an empty scan), one of 5."""
    net = Network([784, 10, 10], seed=SEED)
    X, y = data.train
    net.update_mini_batch(X[:, :5], np.eye(10)[y[:5]].T, VARIANTS["book"].eta)
    run = implementations.JaxRun(data, [784, 10, 10], 10, "float64", 1)
    run.epoch(5)
    for (w, _), want in zip(_parameters(run), net.weights):
        np.testing.assert_allclose(w, want, rtol=0, atol=1e-12)
    single = implementations.JaxRun(data, [784, 10, 10], 10, "float32", 1, VARIANTS["adam"])
    single.epoch(25)  # two whole mini-batches and one of 5
    assert all(w.dtype == np.float32 and b.dtype == np.float32 for w, b in single.params)


@needs_jax
def test_jax_runs_on_the_thread_count_it_started_with():
    started = jax_run.start(1)
    assert jax_run.start(2) == started  # the first call decides, for the whole process
    others = 1 if started["threads"] > 1 else started["threads"] + 1
    assert jax_run.runs_on(started["threads"]) is None
    assert jax_run.runs_on(others) == (
        f"XLA runs on {started['threads']} thread{'s' if started['threads'] > 1 else ''} in "
        f"this process (set when JAX starts)")
    import jax

    assert jax.config.jax_enable_x64


@needs_jax
def test_the_tiny_plan_times_jax_and_says_what_xla_ran_on(result):
    (setting,) = result["settings"]
    assert setting["jax"] == jax_run.start(1) and setting["skipped"] == {}
    rows = {r["dtype"]: r for r in setting["rows"] if r["implementation"] == "jax"}
    assert set(rows) == {"float64", "float32"}
    fastnet = next(r for r in setting["rows"] if r["implementation"] == "fastnet"
                   and r["dtype"] == "float32")
    assert fastnet["vs"]["jax"]["ratio"] == pytest.approx(
        rows["float32"]["seconds_per_epoch"] / fastnet["seconds_per_epoch"])
    assert result["machine"]["jax"] and result["machine"]["optax"]
    assert "  jax: XLA on " in table.format_table(result)
