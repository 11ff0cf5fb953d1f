"""The commands that show what a network learned: `fastnet evaluate --confusion --out`,
`fastnet predict`, `fastnet plot` and `fastnet train --plot`; the pictures are opened back."""

import re
import sys

import numpy as np
import pytest

import fastnet
from fastnet.cli import main
from fastnet import plots
from fastnet.commands import common
from fastnet.plot_extra import INSTALL_HINT
from fastnet.data import SPLITS

from conftest import redraw

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")


@pytest.fixture(autouse=True)
def bundled_data_once(monkeypatch, mnist_uint8):
    """The session's copy of the bundled data instead of reading it again for every command."""
    monkeypatch.delenv("FASTNET_DATA", raising=False)
    monkeypatch.setattr(common, "load_mnist", lambda path=None, dtype=None, split=None:
                        mnist_uint8 if split is None else mnist_uint8[SPLITS.index(split)])


@pytest.fixture(scope="module")
def model(tmp_path_factory, mnist_uint8):
    """A network trained briefly (3,000 images, 3 epochs: about 90% on the test set), and
    its model file."""
    (X, y), _, _ = mnist_uint8
    net = fastnet.Network([784, 30, 10], cost="cross-entropy", init="default", seed=1)
    net.SGD((X[:, :3000], y[:3000]), 3, 10, 0.5)
    path = tmp_path_factory.mktemp("model") / "model.json"
    net.save(path)
    return net, path


def _check_picture(path, min_size=(150, 100)):
    """The PNG at ``path`` opens, is at least ``min_size`` and is not blank."""
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size[0] >= min_size[0] and image.size[1] >= min_size[1]
        grey = np.asarray(image.convert("L"))
    dark = np.mean(grey < 128)
    assert 0.005 < dark < 0.6 and len(np.unique(grey)) > 10
    return grey.shape


# -- predict -----------------------------------------------------------------------------------

def test_predict_reads_redrawn_digits_as_the_net_reads_the_originals(tmp_path, capsys, model,
                                                                     mnist_uint8):
    net, path = model
    _, _, (X, _) = mnist_uint8
    rng = np.random.default_rng(5)
    n = 60
    files = [str(redraw(X[:, i].reshape(28, 28), tmp_path / f"d{i}.{'jpg' if i % 3 else 'png'}",
                        rng)) for i in range(n)]
    assert main(["predict", str(path), *files]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == n
    read = []
    for file, line in zip(files, lines):
        match = re.fullmatch(rf"{re.escape(file)}: (\d) \((\d\.\d\d)\)", line)
        assert match, line
        read.append(int(match.group(1)))
    agree = np.mean(np.array(read) == net.predict(X[:, :n]))
    assert agree >= 0.9  # measured: 0.95 over 200 digits with this net


def test_predict_top_and_show(tmp_path, capsys, model, mnist_uint8):
    net, path = model
    _, _, (X, _) = mnist_uint8
    rng = np.random.default_rng(6)
    files = [str(redraw(X[:, i].reshape(28, 28), tmp_path / f"{i}.png", rng)) for i in range(3)]
    show = tmp_path / "seen.png"
    assert main(["predict", str(path), *files, "--top", "3", "--show", str(show)]) == 0
    lines = capsys.readouterr().out.splitlines()
    outputs = net.feedforward(np.hstack([fastnet.read_digit(f) for f in files]))
    for file, line, a in zip(files, lines, outputs.T):
        first, second, third = np.argsort(-a)[:3]
        assert line == (f"{file}: {first} ({a[first]:.2f}); then {second} ({a[second]:.2f}), "
                        f"{third} ({a[third]:.2f})")
    assert lines[-1] == f"The images the network saw written to {show}"
    _check_picture(show, (300, 80))


def test_predict_reports_each_bad_picture_on_one_line_and_reads_the_rest(tmp_path, capsys,
                                                                         model, mnist_uint8):
    _, path = model
    _, _, (X, _) = mnist_uint8
    good = str(redraw(X[:, 0].reshape(28, 28), tmp_path / "good.jpg", np.random.default_rng(7)))
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.png").write_text("a shopping list")
    Image.new("RGB", (80, 80), "white").save(tmp_path / "blank.png")
    bad = [str(tmp_path / name) for name in ("empty.png", "notes.png", "blank.png", "gone.png")]
    assert main(["predict", str(path), bad[0], bad[1], good, bad[2], bad[3]]) == 2
    out, err = capsys.readouterr()
    assert re.fullmatch(rf"{re.escape(good)}: \d \(\d\.\d\d\)\n", out)
    errors = err.splitlines()
    assert len(errors) == 4
    for file, line, why in zip(bad, errors, ["empty", "not a picture", "no ink", "cannot read"]):
        assert line.startswith(f"fastnet predict: error: {file}: ") and why in line


def test_predict_with_a_bad_model_file(tmp_path, capsys):
    (tmp_path / "model.json").write_text("{")
    assert main(["predict", str(tmp_path / "model.json"), "x.png"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fastnet predict: error: ") and err.count("\n") == 1


# -- evaluate --confusion --out ----------------------------------------------------------------

def test_evaluate_confusion_prints_the_matrix(capsys, model, mnist_uint8):
    net, path = model
    _, _, (X, y) = mnist_uint8
    assert main(["evaluate", str(path), "--confusion"]) == 0
    out = capsys.readouterr().out
    matrix = fastnet.confusion_matrix(net, X, y)
    assert f"{np.trace(matrix)} / 10000" in out
    header = out.splitlines().index(next(line for line in out.splitlines()
                                         if line.startswith("true\\pred")))
    rows = [line.split() for line in out.splitlines()[header + 1:header + 11]]
    np.testing.assert_array_equal(np.array([r[1:11] for r in rows], int), matrix)
    off = matrix - np.diag(np.diag(matrix))
    i, j = np.unravel_index(np.argmax(off), off.shape)  # the first of the largest
    assert f"Most frequent confusions:\n  {i} read as {j}: {off[i, j]}\n" in out


def test_evaluate_out_writes_the_heat_map_and_the_errors(tmp_path, capsys, model):
    out_dir = tmp_path / "look" / "here"  # made if needed
    assert main(["evaluate", str(model[1]), "--out", str(out_dir)]) == 0  # implies --confusion
    assert "Most frequent confusions:" in capsys.readouterr().out
    height, width = _check_picture(out_dir / "confusion.png", (300, 300))
    assert 0.8 < width / height < 1.5
    height, width = _check_picture(out_dir / "errors.png", (500, 200))
    assert width > 2 * height  # three rows of eight


def test_evaluate_out_that_cannot_be_made(tmp_path, capsys, model):
    (tmp_path / "file").write_text("")
    assert main(["evaluate", str(model[1]), "--out", str(tmp_path / "file" / "dir")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fastnet evaluate: error: --out ") and err.count("\n") == 1


@pytest.mark.parametrize("writer", ["write_confusion", "write_grid"])
def test_evaluate_out_failing_after_the_scoring_exits_1(tmp_path, capsys, model, monkeypatch,
                                                        writer):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plots, writer, disk_full)
    assert main(["evaluate", str(model[1]), "--out", str(tmp_path / "look")]) == 1
    captured = capsys.readouterr()
    assert f"{model[1]}: " in captured.out and "on the test set" in captured.out  # scored
    assert captured.err.startswith("fastnet evaluate: error: could not write the pictures")
    assert "the pictures were not saved" in captured.err and captured.err.count("\n") == 1


def test_predict_show_failing_after_the_readings_exits_1(tmp_path, capsys, model, mnist_uint8,
                                                          monkeypatch):
    _, _, (X, _) = mnist_uint8
    file = str(redraw(X[:, 0].reshape(28, 28), tmp_path / "0.png", np.random.default_rng(6)))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plots, "write_grid", disk_full)
    assert main(["predict", str(model[1]), file, "--show", str(tmp_path / "seen.png")]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{file}: ")  # the reading was printed
    assert captured.err.startswith("fastnet predict: error: could not write --show")
    assert "the picture was not saved" in captured.err and captured.err.count("\n") == 1


# -- plot and train --plot ---------------------------------------------------------------------

def _train(tmp_path, name, *flags):
    history = tmp_path / f"{name}.json"
    assert main(["train", "--train-size", "500", "--epochs", "3", "--seed", "1", "--cost",
                 "cross-entropy", "--history", str(history), *flags]) == 0
    return history


def test_plot_draws_one_line_per_file(tmp_path, capsys):
    a = _train(tmp_path, "a", "--eta", "0.5", "--monitor", "all")
    b = _train(tmp_path, "b", "--eta", "0.1")
    capsys.readouterr()
    out = tmp_path / "curves.png"
    assert main(["plot", str(a), str(b), "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"Learning curves written to {out}\n"
    height, width = _check_picture(out, (600, 400))
    assert 1.2 < width / height < 1.8  # four panels, two by two


def test_plot_labels_come_from_the_configs():
    from fastnet.commands.plot import labels
    docs = [{"config": {"sizes": [784, 30, 10], "eta": eta, "lmbda": 5.0}} for eta in (0.5, 3)]
    assert labels(docs, ["a.json", "b.json"]) == ["eta 0.5", "eta 3"]
    assert labels(docs[:1] * 2, ["a.json", "b.json"]) == ["a.json", "b.json"]
    assert labels(docs[:1], ["a.json"]) == ["784-30-10, eta 0.5, lmbda 5"]


def test_train_plot_writes_the_runs_curves(tmp_path, capsys):
    out = tmp_path / "run.png"
    _train(tmp_path, "h", "--plot", str(out))
    assert f"Learning curves written to {out}" in capsys.readouterr().out
    _check_picture(out, (300, 200))


@pytest.mark.parametrize("content, message", [
    (None, "cannot read it"),
    ("{", "not JSON"),
    ("[1, 2]", "no config object"),
    ('{"config": {}, "epochs": [{"epoch": 0, "evaluation_accuracy": "high"}]}',
     "epochs[0].evaluation_accuracy is not a finite number"),
    ('{"config": {}, "epochs": []}', "holds no epochs"),
])
def test_plot_a_bad_history_file(tmp_path, capsys, content, message):
    path = tmp_path / "history.json"
    if content is not None:
        path.write_text(content)
    assert main(["plot", str(path), "--out", str(tmp_path / "out.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fastnet plot: error: {path}: ") and message in err
    assert err.count("\n") == 1 and not (tmp_path / "out.png").exists()


# -- without the plot extra --------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["plot", "history.json", "--out", "x.png"],
    ["predict", "MODEL", "digit.png"],
    ["evaluate", "MODEL", "--out", "DIR"],
    ["train", "--epochs", "1", "--plot", "x.png"],
])
def test_without_the_plot_extra_one_line_says_what_to_install(tmp_path, monkeypatch, capsys,
                                                              model, argv):
    for name in ("matplotlib", "matplotlib.pyplot", "PIL", "PIL.Image"):
        monkeypatch.setitem(sys.modules, name, None)  # what an absent package imports as
    monkeypatch.chdir(tmp_path)
    argv = [str(model[1]) if arg == "MODEL" else arg for arg in argv]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.endswith(f"is not installed; {INSTALL_HINT}\n")
    assert err.count("\n") == 1 and list(tmp_path.iterdir()) == []
