"""`fastnet train` and `fastnet evaluate`: every flag's effect, the output, the history file,
Ctrl-C, divergence and bad input.

Each flag is checked against the engine itself: the model `train --save` writes must be,
bit for bit, the network the same call of `Network.SGD` trains.
"""

import io
import json
import os
import re
import shlex
import signal
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastnet
from fastnet import Network, atomic_file, cli, resources
from fastnet.cli import main
from fastnet.commands import common
from fastnet.data import SPLITS
from fastnet.commands.train_progress import Progress, history_document
from fastnet.train import History

REPO = Path(__file__).resolve().parent.parent
# A small, fixed run: every test adds or overrides flags (argparse keeps the last value).
BASE = ["train", "--train-size", "500", "--epochs", "1", "--seed", "1"]


@pytest.fixture(autouse=True)
def bundled_data_once(monkeypatch, mnist_uint8):
    """The bundled data from the session's copy instead of reading it again for every run;
    reading it is tested in test_data.py and test_cli.py.  Any other path is really read."""
    monkeypatch.delenv("FASTNET_DATA", raising=False)
    read = common.load_mnist

    def load(path=None, dtype=np.float64, split=None):
        if path is None and dtype == np.uint8:
            return mnist_uint8 if split is None else mnist_uint8[SPLITS.index(split)]
        return read(path, dtype, split)
    monkeypatch.setattr(common, "load_mnist", load)


def _status(argv):
    """main()'s exit status, whether it returns it or argparse exits."""
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


def _engine_run(data, sizes=(784, 30, 10), n=500, epochs=1, m=10, eta=3.0, cost="quadratic",
                init="large", dtype="float64", seed=1, evaluation="test", activation="sigmoid",
                penalty="l2", **sgd):
    """What `fastnet train` with the matching flags must compute, straight from the engine."""
    (X, y), validation, test = data
    net = Network(list(sizes), cost=cost, init=init, dtype=dtype, seed=seed,
                  activation=activation, penalty=penalty)
    history = net.SGD((X[:, :n], y[:n]), epochs, m, eta,
                      evaluation_data=validation if evaluation == "validation" else test,
                      **sgd)
    return net, history


def _parameters(net):
    return net.weights + net.biases


def _same_network(a, b):
    return (a.sizes == b.sizes and a.cost is b.cost and a.dtype == b.dtype
            and a.activation == b.activation and a.penalty == b.penalty and all(np.array_equal(p, q) for p, q in zip(_parameters(a), _parameters(b))))


# -- every flag does what the engine does -----------------------------------------------------

FLAG_CASES = {
    "defaults": ([], {}),
    "--sizes": (["--sizes", "784,20,10"], {"sizes": (784, 20, 10)}),
    "--sizes deeper": (["--sizes", "784,30,20,10"], {"sizes": (784, 30, 20, 10)}),
    "--epochs": (["--epochs", "2"], {"epochs": 2}),
    "--mini-batch-size": (["--mini-batch-size", "25"], {"m": 25}),
    "--eta": (["--eta", "0.5"], {"eta": 0.5}),
    "--lmbda": (["--lmbda", "50"], {"lmbda": 50.0}),
    "--cost cross-entropy": (["--cost", "cross-entropy"], {"cost": "cross-entropy"}),
    "--cost log-likelihood": (["--cost", "log-likelihood"], {"cost": "log-likelihood"}),
    "--init": (["--init", "default"], {"init": "default"}),
    "--dtype": (["--dtype", "float32"], {"dtype": "float32"}),
    "--seed": (["--seed", "9"], {"seed": 9}),
    "--train-size": (["--train-size", "300"], {"n": 300}),
    "--momentum": (["--momentum", "0.5"], {"mu": 0.5}),
    "--activation tanh": (["--activation", "tanh", "--eta", "0.5"],
                          {"activation": "tanh", "eta": 0.5}),
    "--activation relu": (["--activation", "relu", "--init", "default", "--eta", "0.1"],
                          {"activation": "relu", "init": "default", "eta": 0.1}),
    "--penalty l1": (["--penalty", "l1", "--lmbda", "50"], {"penalty": "l1", "lmbda": 50.0}),
    "--optimizer nesterov": (["--optimizer", "nesterov", "--momentum", "0.9", "--eta", "0.5"],
                             {"optimizer": "nesterov", "mu": 0.9, "eta": 0.5}),
    "--optimizer adam": (["--optimizer", "adam", "--eta", "0.01", "--beta1", "0.8",
                          "--beta2", "0.99", "--epsilon", "1e-6"],
                         {"optimizer": "adam", "eta": 0.01, "betas": (0.8, 0.99),
                          "epsilon": 1e-6}),
    "--threads": (["--threads", "2", "--mini-batch-size", "100"], {"threads": 2, "m": 100}),
}


@pytest.fixture(scope="module")
def default_run(mnist_uint8):
    return _engine_run(mnist_uint8)


@pytest.mark.parametrize("case", FLAG_CASES)
def test_each_flag_trains_what_the_engine_trains(tmp_path, capsys, mnist_uint8, default_run,
                                                 case):
    flags, engine_args = FLAG_CASES[case]
    if engine_args.get("threads", 1) > resources.cores():
        pytest.skip("--threads may not exceed the cores this process may use")
    model, history = tmp_path / "model.json", tmp_path / "history.json"
    assert main(BASE + flags + ["--save", str(model), "--history", str(history)]) == 0
    expected, expected_history = _engine_run(mnist_uint8, **engine_args)
    assert _same_network(fastnet.load(model), expected)
    if case != "defaults":  # the flag changed the run
        assert not _same_network(expected, default_run[0])
    doc = json.loads(history.read_text())
    assert [e["evaluation_accuracy"] * 10000 for e in doc["epochs"]] == pytest.approx(
        expected_history.evaluation_accuracy, abs=1e-9)
    printed = [int(c) for c in re.findall(r"^Epoch \d+: (\d+) / 10000", capsys.readouterr().out,
                                          re.M)]
    assert printed == expected_history.evaluation_accuracy


def test_defaults_are_the_books_chapter_1_run():
    args = cli.build_parser().parse_args(["train"])
    assert (args.sizes, args.epochs, args.mini_batch_size, args.eta, args.lmbda) == (
        [784, 30, 10], 30, 10, 3.0, 0.0)
    assert (args.cost, args.init, args.dtype, args.eval) == ("quadratic", "large", "float64",
                                                             "test")
    assert (args.train_size, args.momentum, args.early_stopping, args.schedule) == (
        None, 0.0, None, False)
    assert (args.activation, args.penalty, args.optimizer) == ("sigmoid", "l2", "sgd")


def test_eval_validation_scores_on_the_validation_set(capsys, mnist_uint8):
    assert main(BASE + ["--eval", "validation"]) == 0
    out = capsys.readouterr().out
    net, _ = _engine_run(mnist_uint8)
    _, (Xv, yv), (Xt, yt) = mnist_uint8
    assert net.accuracy(Xv, yv) != net.accuracy(Xt, yt)
    assert f"Epoch 0: {net.accuracy(Xv, yv)} / 10000 (" in out
    assert re.search(r"^  eval +validation$", out, re.M)


def test_no_seed_draws_one_and_prints_it(capsys, tmp_path, mnist_uint8):
    model = tmp_path / "model.json"
    assert main(["train", "--train-size", "200", "--epochs", "1", "--save", str(model)]) == 0
    seed = int(re.search(r"^  seed +(\d+)$", capsys.readouterr().out, re.M).group(1))
    assert _same_network(fastnet.load(model), _engine_run(mnist_uint8, n=200, seed=seed)[0])


def test_monitor_adds_costs_and_training_accuracy(tmp_path, capsys, mnist_uint8):
    history = tmp_path / "history.json"
    assert main(BASE + ["--epochs", "2", "--cost", "cross-entropy", "--lmbda", "2",
                        "--monitor", "all", "--history", str(history)]) == 0
    out = capsys.readouterr().out
    _, expected = _engine_run(mnist_uint8, epochs=2, cost="cross-entropy", lmbda=2.0,
                              monitor_evaluation_cost=True, monitor_training_cost=True,
                              monitor_training_accuracy=True)
    epochs = json.loads(history.read_text())["epochs"]
    assert [e["evaluation_cost"] for e in epochs] == expected.evaluation_cost
    assert [e["training_cost"] for e in epochs] == expected.training_cost
    assert [e["training_accuracy"] * 500 for e in epochs] == pytest.approx(
        expected.training_accuracy, abs=1e-9)
    line = re.search(r"^Epoch 1: .*$", out, re.M).group(0)
    assert f"evaluation cost {expected.evaluation_cost[1]:.6g}" in line
    assert f"training cost {expected.training_cost[1]:.6g}" in line
    assert f"training accuracy {expected.training_accuracy[1]} / 500" in line


@pytest.mark.parametrize("monitor,fields", [
    ("training-cost", {"training_cost"}),
    ("evaluation-cost,training-accuracy", {"evaluation_cost", "training_accuracy"}),
])
def test_fields_not_monitored_are_left_out(tmp_path, monitor, fields):
    history = tmp_path / "history.json"
    assert main(BASE + ["--monitor", monitor, "--history", str(history)]) == 0
    (epoch,) = json.loads(history.read_text())["epochs"]
    assert set(epoch) == {"epoch", "evaluation_accuracy", "eta", "seconds", "scoring_seconds"} | fields


def test_monitor_layer_speed_records_each_hidden_layer_per_epoch(tmp_path, capsys,
                                                                   mnist_uint8):
    history = tmp_path / "history.json"
    flags = ["--sizes", "784,30,20,10", "--cost", "cross-entropy", "--init", "default",
             "--eta", "0.1", "--lmbda", "5", "--train-size", "1500", "--epochs", "2"]
    assert main(BASE + flags + ["--monitor", "layer-speed", "--history", str(history)]) == 0
    out = capsys.readouterr().out
    doc = json.loads(history.read_text())
    assert doc["config"]["monitor"] == ["layer-speed"] and doc["config"]["speed_images"] == 1000
    # The same run from the engine, measured on the first 1,000 training images.
    (X, y), _, test = mnist_uint8
    net = Network([784, 30, 20, 10], cost="cross-entropy", init="default", seed=1)
    expected = [net.layer_speeds(X[:, :1000], y[:1000])]
    net.SGD((X[:, :1500], y[:1500]), 2, 10, 0.1, lmbda=5.0, evaluation_data=test,
            on_epoch=lambda epoch, h: expected.append(net.layer_speeds(X[:, :1000], y[:1000])))
    assert doc["start"] == {"layer_speed": expected[0]} and len(expected[0]) == 2
    assert [e["layer_speed"] for e in doc["epochs"]] == expected[1:]
    line = re.search(r"^Epoch 1: .*$", out, re.M).group(0)
    assert f"layer speed {expected[2][0]:.3g} {expected[2][1]:.3g})" in line
    # Without the monitor, neither the field nor the start record.
    assert main(BASE + ["--history", str(history)]) == 0
    doc = json.loads(history.read_text())
    assert "start" not in doc and "speed_images" not in doc["config"]
    assert "layer_speed" not in doc["epochs"][0]


def test_early_stopping(capsys, mnist_uint8):
    # A learning rate this small cannot change the accuracy: no epoch improves on the first.
    assert main(BASE + ["--epochs", "20", "--eta", "1e-12", "--early-stopping", "2"]) == 0
    out = capsys.readouterr().out
    _, expected = _engine_run(mnist_uint8, epochs=20, eta=1e-12, early_stopping=2)
    assert expected.stopped == "early stopping"
    assert len(re.findall(r"^Epoch ", out, re.M)) == expected.epochs == 3
    assert "Stopped early: 2 epochs without improvement" in out


def test_schedule_halves_eta_and_stops(tmp_path, capsys):
    history = tmp_path / "history.json"
    assert main(BASE + ["--epochs", "50", "--eta", "1e-12", "--early-stopping", "1",
                        "--schedule", "--history", str(history)]) == 0
    out = capsys.readouterr().out
    etas = [e["eta"] for e in json.loads(history.read_text())["epochs"]]
    assert etas == [1e-12] + [1e-12 / 2 ** k for k in range(8)]
    assert re.search(r"^Epoch 8: \d+ / 10000 \([^)]*, eta 7\.8125e-15\)$", out, re.M)
    assert "Stopped by the schedule: eta fell below 1e-12/128" in out


def test_schedule_alone_waits_ten_epochs(capsys):
    assert main(BASE + ["--epochs", "0", "--schedule"]) == 0
    assert re.search(r"^  early_stopping +10$", capsys.readouterr().out, re.M)


def _write_idx(path, array):
    magic = 0x0800 | array.ndim
    path.write_bytes(struct.pack(f">{1 + array.ndim}I", magic, *array.shape) + array.tobytes())


def test_data_reads_another_data_set(tmp_path, capsys, mnist_uint8):
    (X, y), _, (Xt, yt) = mnist_uint8
    # 120 training images split 100 / 20 (the last sixth is validation), 40 test images
    _write_idx(tmp_path / "train-images-idx3-ubyte", np.ascontiguousarray(X[:, :120].T)
               .reshape(120, 28, 28))
    _write_idx(tmp_path / "train-labels-idx1-ubyte", y[:120].astype(np.uint8))
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", np.ascontiguousarray(Xt[:, :40].T)
               .reshape(40, 28, 28))
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", yt[:40].astype(np.uint8))
    assert main(["train", "--data", str(tmp_path), "--epochs", "1", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    net = Network([784, 30, 10], seed=1)
    net.SGD((X[:, :100], y[:100]), 1, 10, 3.0)
    assert f"Epoch 0: {net.accuracy(Xt[:, :40], yt[:40])} / 40 (" in out
    assert re.search(rf"^  data +{re.escape(str(tmp_path))} \(argument\)$", out, re.M)
    assert re.search(r"^  train_size +100$", out, re.M)


# -- output and history -----------------------------------------------------------------------

def test_output_is_config_then_epochs_then_summary(capsys):
    assert main(BASE + ["--epochs", "3"]) == 0
    out, err = capsys.readouterr()
    assert err == ""  # no progress bar without a terminal
    lines = out.splitlines()
    assert lines[0] == f"fastnet {fastnet.__version__} train"
    config = [line.split()[0] for line in lines[1:] if line.startswith("  ")]
    assert config[:6] == ["data", "train_size", "eval", "eval_size", "sizes", "epochs"]
    rest = lines[1 + len(config):]
    assert all(re.fullmatch(r"Epoch \d: \d+ / 10000 \(\d[\d.e-]* s\)", line)
               for line in rest[:3]), rest
    counts = [int(line.split()[2]) for line in rest[:3]]
    best = max(counts)
    assert re.fullmatch(rf"Best: {best} / 10000 \({best / 100:.2f}%\) in epoch "
                        rf"{counts.index(best)}; 3 epochs in \d+\.\d s \(\d+\.\d s training, "
                        rf"\d+\.\d s scoring\)", rest[3])
    assert len(rest) == 4


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_progress_bar_over_mini_batches_on_a_terminal(monkeypatch, capsys):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(BASE + ["--epochs", "2", "--mini-batch-size", "50"]) == 0
    bar = terminal.getvalue()
    assert re.search(r"Epoch 0: +\d+%.*\| *\d+/10 ", bar) and "Epoch 1:" in bar
    assert "batch" in bar
    assert len(re.findall(r"^Epoch \d: ", capsys.readouterr().out, re.M)) == 2


def test_history_schema(tmp_path, capsys):
    history, model = tmp_path / "history.json", tmp_path / "model.json"
    assert main(BASE + ["--epochs", "3", "--monitor", "all", "--save", str(model),
                        "--history", str(history)]) == 0
    out = capsys.readouterr().out
    assert (f"Model saved to {model}: the weights after epoch 2, the last (--keep last)\n"
            f"History written to {history}\n") in out
    doc = json.loads(history.read_text())
    assert set(doc) == {"config", "epochs", "best"}
    assert doc["config"] == {
        "version": fastnet.__version__, "data": str(REPO / "data" / "mnist"),
        "train_size": 500, "eval": "test", "eval_size": 10000, "sizes": [784, 30, 10],
        "epochs": 3, "mini_batch_size": 10, "eta": 3.0, "lmbda": 0.0, "penalty": "l2",
        "momentum": 0.0, "optimizer": "sgd", "activation": "sigmoid",
        "cost": "quadratic", "init": "large", "dtype": "float64", "threads": 1, "seed": 1,
        "early_stopping": None, "schedule": False,
        "monitor": ["evaluation-cost", "training-cost", "training-accuracy"],
        "save": str(model), "keep": "last", "history": str(history)}
    assert [e["epoch"] for e in doc["epochs"]] == [0, 1, 2]
    for epoch in doc["epochs"]:
        assert list(epoch) == ["epoch", "evaluation_accuracy", "evaluation_cost",
                               "training_accuracy", "training_cost", "eta", "seconds",
                               "scoring_seconds"]
        assert 0 <= epoch["evaluation_accuracy"] <= 1 and 0 <= epoch["training_accuracy"] <= 1
        assert epoch["eta"] == 3.0 and epoch["seconds"] > 0
    printed = [int(c) for c in re.findall(r"^Epoch \d: (\d+) /", out, re.M)]
    assert [e["evaluation_accuracy"] for e in doc["epochs"]] == [c / 10000 for c in printed]
    best = max(printed)
    assert doc["best"] == {"epoch": printed.index(best), "evaluation_accuracy": best / 10000}


def test_history_without_epochs():
    config = {"eval_size": 4, "train_size": 8, "monitor": ["evaluation-cost"]}
    assert history_document(History(), config) == {"config": config, "epochs": [],
                                                    "best": {"epoch": None,
                                                             "evaluation_accuracy": None}}
    history = History(evaluation_cost=[0.25], evaluation_accuracy=[3], seconds=[0.5], eta=[1.0])
    doc = history_document(history, config)
    assert doc["epochs"] == [{"epoch": 0, "evaluation_accuracy": 0.75, "evaluation_cost": 0.25,
                              "eta": 1.0, "seconds": 0.5}]
    json.dumps(doc, allow_nan=False)


# -- evaluate -----------------------------------------------------------------------------------

def test_evaluate_prints_the_accuracy_of_a_saved_model(tmp_path, capsys, mnist_uint8):
    model = tmp_path / "model.json"
    assert main(BASE + ["--save", str(model)]) == 0
    trained = re.search(r"^Epoch 0: (\d+) / 10000", capsys.readouterr().out, re.M).group(1)
    assert main(["evaluate", str(model)]) == 0
    assert capsys.readouterr().out == (f"{model}: {trained} / 10000 ({int(trained) / 100:.2f}%) "
                                       f"on the test set\n")
    net, _ = _engine_run(mnist_uint8)
    _, (Xv, yv), _ = mnist_uint8
    assert main(["evaluate", str(model), "--eval", "validation"]) == 0
    assert f": {net.accuracy(Xv, yv)} / 10000 (" in capsys.readouterr().out


@pytest.mark.parametrize("problem,message", [
    ("missing", r"cannot read the model file \(No such file or directory\)"),
    ("damaged", "not a JSON model file"),
    ("wrong sizes", r"a network with sizes \[5, 3, 2\] does not fit the data"),
])
def test_evaluate_a_bad_model_file(tmp_path, capsys, problem, message):
    model = tmp_path / "model.json"
    if problem == "damaged":
        model.write_text('{"sizes": [784, 30')
    elif problem == "wrong sizes":
        Network([5, 3, 2]).save(model)
    assert _status(["evaluate", str(model)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert re.match(rf"fastnet evaluate: error: {re.escape(str(model))}: .*{message}", err)


# -- faults and bad input -----------------------------------------------------------------------

# Evaluating the huge weights of a diverging run overflows, and numpy says so.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_a_diverging_run_exits_1_and_keeps_its_history(tmp_path, capsys, mnist_uint8):
    history, model = tmp_path / "history.json", tmp_path / "model.json"
    # (with the quadratic cost, sigma' vanishes first and the weights stay finite)
    status = main(["train", "--train-size", "200", "--epochs", "3", "--eta", "1e308",
                   "--cost", "cross-entropy", "--seed", "1", "--save", str(model),
                   "--history", str(history)])
    assert status == 1  # a failure after the work began
    out, err = capsys.readouterr()
    assert re.fullmatch(r"fastnet train: error: training diverged in epoch 1: the weights are no "
                        r"longer finite .*\n", err)
    assert "Model saved to" in out and "last finite parameters" in out
    assert len(json.loads(history.read_text())["epochs"]) == 1
    # the parameters at the end of epoch 0, the last finite ones
    expected, _ = _engine_run(mnist_uint8, n=200, eta=1e308, cost="cross-entropy")
    assert _same_network(fastnet.load(model), expected)


BAD_INPUT = {
    "negative eta": (["--eta", "-1"], "argument --eta: must be a number > 0, not -1"),
    "zero eta": (["--eta", "0"], "argument --eta: must be a number > 0"),
    "infinite eta": (["--eta", "inf"], "argument --eta: must be a number > 0"),
    "eta not a number": (["--eta", "fast"], "argument --eta: expected a number, not 'fast'"),
    "no eta": (["--eta"], "argument --eta: expected one argument"),
    "empty sizes": (["--sizes", ""], "argument --sizes: expected comma-separated layer sizes"),
    "one layer": (["--sizes", "784"], "argument --sizes: needs at least 2 layers"),
    "an empty layer": (["--sizes", "784,0,10"], "argument --sizes: needs at least 2 layers"),
    "sizes not numbers": (["--sizes", "784,x,10"], "argument --sizes: expected comma-separated"),
    "first size": (["--sizes", "100,30,10"], "--sizes: the first layer must have 784 neurons"),
    "last size": (["--sizes", "784,30,5"], "--sizes: the last layer must have 10 neurons"),
    "mini-batch 0": (["--mini-batch-size", "0"],
                     "argument --mini-batch-size: must be an integer >= 1"),
    "negative epochs": (["--epochs", "-1"], "argument --epochs: must be an integer >= 0, not -1"),
    "fractional epochs": (["--epochs", "1.5"], "argument --epochs: expected an integer"),
    "momentum 1": (["--momentum", "1"], r"argument --momentum: must be in \[0, 1\), not 1"),
    "negative momentum": (["--momentum", "-0.5"], r"argument --momentum: must be in \[0, 1\)"),
    "negative lmbda": (["--lmbda", "-1"], "argument --lmbda: must be a number >= 0"),
    "train-size 0": (["--train-size", "0"], "argument --train-size: must be an integer >= 1"),
    "train-size too big": (["--train-size", "50001"], "--train-size must be at most 50000"),
    "early-stopping 0": (["--early-stopping", "0"], "argument --early-stopping: must be an"),
    "negative seed": (["--seed", "-3"], "argument --seed: must be an integer >= 0"),
    "threads 0": (["--threads", "0"], "argument --threads: must be an integer >= 1, not 0"),
    "unknown monitor": (["--monitor", "training-loss"], "argument --monitor: unknown "
                                                        "'training-loss'"),
    "layer speed without a hidden layer": (["--sizes", "784,10", "--monitor", "layer-speed"],
                                           "--monitor layer-speed needs a hidden layer"),
    "unknown cost": (["--cost", "hinge"], "argument --cost: invalid choice: 'hinge'"),
    "unknown init": (["--init", "xavier"], "argument --init: invalid choice"),
    "unknown dtype": (["--dtype", "float16"], "argument --dtype: invalid choice"),
    "unknown eval set": (["--eval", "training"], "argument --eval: invalid choice"),
    "unknown flag": (["--learning-rate", "3"], "unrecognized arguments: --learning-rate"),
    "missing data": (["--data", "{tmp}/absent"], "{tmp}/absent .* does not exist"),
    "no directory for --save": (["--save", "{tmp}/absent/model.json"],
                                "--save {tmp}/absent/model.json: cannot write there "
                                r"\(directory {tmp}/absent does not exist\)"),
    "--history a directory": (["--history", "{tmp}"], "--history {tmp}: cannot write there"),
    "one file for both": (["--save", "{tmp}/x.json",
                           "--history", "{tmp}/../{tmp.name}/x.json"],
                          "--save and --history must be different files"),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_is_a_one_line_usage_error(tmp_path, capsys, case):
    flags, message = BAD_INPUT[case]
    flags = [flag.format(tmp=tmp_path) for flag in flags]
    assert _status(BASE + flags) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    last = err.splitlines()[-1]
    assert re.fullmatch(r"fastnet( train)?: error: .*", last)
    assert re.search(message.format(tmp=re.escape(str(tmp_path))), last), last
    assert os.listdir(tmp_path) == []  # nothing written, no temporary file left


def test_ctrl_c_stops_after_the_mini_batch_and_writes_everything(tmp_path):
    history, model = tmp_path / "history.json", tmp_path / "model.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("FASTNET_DATA", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from fastnet.cli import main; sys.exit(main())",
         "train", "--epochs", "1000", "--seed", "1", "--save", str(model),
         "--history", str(history)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        before = []
        for line in proc.stdout:  # the full training set: the first epoch line, then Ctrl-C
            before.append(line)
            if line.startswith("Epoch 0:"):
                proc.send_signal(signal.SIGINT)
                break
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    out = "".join(before) + out
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    printed = [int(c) for c in re.findall(r"^Epoch \d+: (\d+) / 10000", out, re.M)]
    assert f"Interrupted (Ctrl-C) after {len(printed)} epoch" in out
    doc = json.loads(history.read_text())
    assert [round(e["evaluation_accuracy"] * 10000) for e in doc["epochs"]] == printed
    assert doc["best"]["evaluation_accuracy"] == max(printed) / 10000
    assert fastnet.load(model).sizes == [784, 30, 10]


# -- README ------------------------------------------------------------------------------------

def test_readme_documents_every_flag_with_an_example_that_parses(capsys):
    section = re.search(r"^## Training\n(.*?)^## ", (REPO / "README.md").read_text(),
                        re.S | re.M).group(1)
    commands = re.findall(r"(?:^|`)(fastnet (?:train|evaluate)\b[^`\n]*)", section, re.M)
    used = set()
    for command in commands:
        argv = shlex.split(command)[1:]
        cli.build_parser().parse_args(argv)  # a usage error would exit here
        used.update(arg for arg in argv if arg.startswith("--"))
    for sub in ("train", "evaluate"):
        with pytest.raises(SystemExit):
            main([sub, "--help"])
        flags = set(re.findall(r"(--[a-z][a-z0-9-]+)", capsys.readouterr().out)) - {"--help"}
        assert flags <= used, f"no example for {sorted(flags - used)}"
        assert all(f"`{flag}" in section for flag in flags)


def test_a_history_file_that_cannot_be_written_does_not_stop_the_run(tmp_path, capsys,
                                                                     monkeypatch):
    history, model = tmp_path / "history.json", tmp_path / "model.json"
    write = atomic_file.write_json

    def full_disk(path, obj, **options):
        if Path(path) == history:
            raise OSError(28, "No space left on device")
        write(path, obj, **options)
    monkeypatch.setattr(atomic_file, "write_json", full_disk)
    # A failure after the work began: exit status 1, and the message says what was lost.
    assert main(BASE + ["--epochs", "2", "--save", str(model), "--history", str(history)]) == 1
    out, err = capsys.readouterr()
    assert len(re.findall(r"^Epoch \d: ", out, re.M)) == 2 and "Model saved to" in out
    assert err.count("fastnet train: warning: could not write") == 1
    assert err.splitlines()[-1] == (f"fastnet train: error: could not write --history {history} "
                                    f"(No space left on device): the history was not written")
    assert fastnet.load(model).sizes == [784, 30, 10] and not history.exists()


def test_ctrl_c_asks_to_stop_and_a_second_one_aborts():
    run = Progress({"history": None}, show_bar=False)
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with run.catching_ctrl_c():
            assert run.on_progress(0, 0, 10) is False
            os.kill(os.getpid(), signal.SIGINT)
            assert run.on_progress(0, 1, 10) is True
            os.kill(os.getpid(), signal.SIGINT)
            pytest.fail("a second Ctrl-C must raise KeyboardInterrupt")
    assert signal.getsignal(signal.SIGINT) is before
