"""The pictures from Python (`fastnet.plots`): learning curves from Histories and history
files, the confusion matrix, the surest mistakes and the digits `predict` saw, each a
matplotlib Figure that shows itself in a notebook and leaves pyplot alone; and what
`help(fastnet)` and `dir(fastnet)` show."""

import json
import pydoc
import re
import subprocess
import sys

import numpy as np
import pytest

import fastnet
from fastnet import plots
from fastnet.history import History
from fastnet.plot_extra import INSTALL_HINT, MissingPlotExtra

from conftest import redraw

PNG = b"\x89PNG\r\n\x1a\n"


def _history(accuracies, eval_size=10, **config):
    """A History as `Network.SGD` makes one, without the training."""
    n = len(accuracies)
    config = {"sizes": [784, 30, 10], "eta": 0.5, "lmbda": 0.0, "eval_size": eval_size,
              "train_size": 100, "monitor": [], **config}
    return History(evaluation_accuracy=list(accuracies), seconds=[0.1] * n, eta=[0.5] * n,
                   config=config)


def test_import_fastnet_and_drawing_leave_matplotlib_and_pyplot_alone():
    # `import fastnet` (and looking the pictures up) imports no matplotlib; drawing imports
    # matplotlib but never pyplot, whose figure list would show each picture a second time
    # in a notebook, and whose backend a notebook or a script chooses.
    code = """if True:
        import sys
        import fastnet
        from fastnet.history import History
        names = [fastnet.learning_curves, fastnet.confusion_heatmap, fastnet.surest_mistakes,
                 fastnet.digits_seen]
        assert "matplotlib" not in sys.modules, "import"
        h = History(evaluation_accuracy=[5, 8], seconds=[0.1, 0.1], eta=[1.0, 1.0],
                    config={"eval_size": 10, "monitor": []})
        figures = [fastnet.learning_curves(h), fastnet.confusion_heatmap([[3, 1], [0, 4]])]
        assert "matplotlib" in sys.modules and "matplotlib.pyplot" not in sys.modules
        assert all(f._repr_png_().startswith(b"\\x89PNG") for f in figures)
        assert "matplotlib.pyplot" not in sys.modules, "rendered"
    """
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


# -- learning curves ---------------------------------------------------------------------------

def _panels(fig):
    """{panel title: {label: (epochs, values)}} of a learning-curves Figure."""
    return {ax.get_title(): {line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
                             for line in ax.get_lines()}
            for ax in fig.axes if ax.get_visible()}


def test_learning_curves_of_trained_runs_labelled_by_what_differs(mnist_uint8, tmp_path):
    (X, y), (Xv, yv), _ = mnist_uint8
    runs = {}
    for lmbda in (0.1, 5.0):
        net = fastnet.Network([784, 20, 10], cost="cross-entropy", init="default", seed=1)
        runs[lmbda] = net.SGD((X[:, :500], y[:500]), 2, 10, 0.5, lmbda=lmbda,
                              evaluation_data=(Xv[:, :200], yv[:200]),
                              monitor_training_cost=True, monitor_loss=True, verbose=0)
    fig = fastnet.learning_curves(runs[0.1], runs[5.0])
    panels = _panels(fig)
    assert list(panels) == ["accuracy on the evaluation data", "cost on the training data",
                            "loss as the mini-batches trained"]
    for (lmbda, run), label in zip(runs.items(), ["lmbda 0.1", "lmbda 5"]):
        epochs, accuracy = panels["accuracy on the evaluation data"][label]
        assert epochs == [0, 1]
        np.testing.assert_allclose(accuracy, np.array(run.evaluation_accuracy) / 200 * 100)
        assert panels["cost on the training data"][label][1] == run.training_cost
        assert panels["loss as the mini-batches trained"][label][1] == run.loss
    assert fig._repr_png_().startswith(PNG)

    # The same runs from files, under labels of one's own, and in one dict or list.
    runs[5.0].save(tmp_path / "five.json")
    from_file = _panels(fastnet.learning_curves(runs[0.1], ("L2 5", tmp_path / "five.json")))
    assert from_file["cost on the training data"]["L2 5"] == panels[
        "cost on the training data"]["lmbda 5"]
    assert list(_panels(fastnet.learning_curves({"a": runs[0.1], "b": runs[5.0]}))[
        "accuracy on the evaluation data"]) == ["a", "b"]
    assert _panels(fastnet.learning_curves(runs.values())) == panels
    assert _panels(fastnet.learning_curves([runs[0.1], runs[5.0]])) == panels


def test_learning_curves_labels():
    one = _panels(fastnet.learning_curves(_history([5, 8])))
    assert list(one["accuracy on the evaluation data"]) == ["784-30-10, eta 0.5, lmbda 0"]
    same = _panels(fastnet.learning_curves(_history([5, 8]), _history([6, 7])))
    assert list(same["accuracy on the evaluation data"]) == ["run 1", "run 2"]
    odd = _panels(fastnet.learning_curves(_history([5], eta="fast"), _history([6])))
    assert list(odd["accuracy on the evaluation data"]) == ["eta fast", "eta 0.5"]


def test_learning_curves_refuse_what_they_cannot_draw(tmp_path):
    with pytest.raises(ValueError, match="at least one History"):
        fastnet.learning_curves()
    with pytest.raises(TypeError, match="Histories and history files .paths., not int"):
        fastnet.learning_curves(3)
    with pytest.raises(ValueError, match="run 2: the History holds no epochs"):
        fastnet.learning_curves(_history([5]), History())
    no_size = History(evaluation_accuracy=[5], seconds=[0.1], eta=[0.5])  # an older History's
    with pytest.raises(ValueError, match=r"run 1: .* evaluation accuracy counts \(eval_size\)"):
        fastnet.learning_curves(no_size)
    silent = History(seconds=[0.1], eta=[0.5], config={"monitor": []})
    with pytest.raises(ValueError, match="nothing to draw"):
        fastnet.learning_curves(silent)


@pytest.mark.parametrize("content, message", [
    ('{"config": {}, "epochs": [{"epoch": 0, "evaluation_acc', "not JSON"),  # truncated
    ("[1, 2]", "no config object"),
    ('{"config": {}, "epochs": [{"epoch": 0, "evaluation_accuracy": "high"}]}',
     r"epochs\[0\].evaluation_accuracy is not a finite number"),
    ('{"config": {}, "epochs": []}', "holds no epochs"),
    (b"\xff\xfe", "not JSON"),
])
def test_a_bad_history_file_is_a_value_error_naming_it(tmp_path, content, message):
    path = tmp_path / "history.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ValueError, match=rf"^{path}: .*{message}"):
        fastnet.learning_curves(path)
    with pytest.raises(FileNotFoundError):
        fastnet.learning_curves(tmp_path / "absent.json")


# -- the confusion matrix and the digits -------------------------------------------------------

@pytest.fixture(scope="module")
def trained(mnist_uint8):
    (X, y), _, (Xt, yt) = mnist_uint8
    net = fastnet.Network([784, 30, 10], cost="cross-entropy", init="default", seed=1)
    net.SGD((X[:, :2000], y[:2000]), 2, 10, 0.5, verbose=0)
    return net, (Xt[:, :500], yt[:500])


def _cell_counts(fig):
    ax = fig.axes[0]
    return {(round(t.get_position()[1]), round(t.get_position()[0])): int(t.get_text())
            for t in ax.texts}


def test_confusion_heatmap_of_a_network_or_a_matrix(trained):
    net, (X, y) = trained
    matrix = fastnet.confusion_matrix(net, X, y)
    fig = fastnet.confusion_heatmap(net, X, y)
    counts = _cell_counts(fig)
    assert counts == {(i, j): matrix[i, j] for i in range(10) for j in range(10)}
    assert fig.axes[0].get_title() == (f"confusion matrix: {np.trace(matrix)} of 500 read "
                                       f"correctly")
    assert _cell_counts(fastnet.confusion_heatmap(matrix, title="mine")) == counts
    for bad, message in [([[1, 2]], "square"), ([[1, -1], [0, 2]], "counts"),
                         ([[0.5, 1], [0, 2]], "counts")]:
        with pytest.raises(ValueError, match=message):
            fastnet.confusion_heatmap(bad)
    with pytest.raises(ValueError, match="both X and y"):
        fastnet.confusion_heatmap(net, X)


def test_surest_mistakes_are_the_confident_misreadings(trained):
    net, (X, y) = trained
    outputs = net.feedforward(X)
    read = np.argmax(outputs, axis=0)
    wrong = np.flatnonzero(read != y)
    confidence = outputs[read[wrong], wrong]
    order = wrong[np.argsort(-confidence)][:10]
    fig = fastnet.surest_mistakes(net, X, y, n=10)
    shown = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in shown] == [
        f"{y[i]} read as {read[i]} ({outputs[read[i], i]:.2f})" for i in order]
    for ax, i in zip(shown, order):
        np.testing.assert_allclose(ax.get_images()[0].get_array(),
                                   X[:, i].reshape(28, 28) / 255)
    # load_mnist's float pixels (bytes / 256) draw the same digits
    floats = fastnet.surest_mistakes(net, X / 256, y, n=10)
    assert [ax.get_title() for ax in floats.axes if ax.get_title()] == [
        ax.get_title() for ax in shown]
    with pytest.raises(ValueError, match="one integer label per column"):
        fastnet.surest_mistakes(net, X, y[:3])
    with pytest.raises(ValueError, match="does not read 28x28 pictures"):
        fastnet.surest_mistakes(fastnet.Network([10, 3, 10]), X[:10], y)


def test_digits_seen_as_predict_reads_them(trained, tmp_path, mnist_uint8):
    net, _ = trained
    _, _, (X, _) = mnist_uint8
    rng = np.random.default_rng(3)
    files = [redraw(X[:, i].reshape(28, 28), tmp_path / f"digit-{i}-with-a-long-name.png", rng)
             for i in range(3)]
    fig = fastnet.digits_seen(files, net)
    outputs = net.feedforward(np.hstack([fastnet.read_digit(f) for f in files]))
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == [f"digit-{i}-with-…: {np.argmax(a)} ({a.max():.2f})"  # names cut to 14
                      for i, a in enumerate(outputs.T)]
    alone = fastnet.digits_seen(files[0])
    assert [ax.get_title() for ax in alone.axes if ax.get_title()] == ["digit-0-with-…"]
    (tmp_path / "blank.txt").write_text("no picture")
    with pytest.raises(ValueError, match="blank.txt: not a picture"):
        fastnet.digits_seen([files[0], tmp_path / "blank.txt"], net)


def test_without_matplotlib_each_picture_says_what_to_install(monkeypatch, trained):
    net, (X, y) = trained
    for name in ("matplotlib", "PIL"):
        monkeypatch.setitem(sys.modules, name, None)  # what an absent package imports as
    calls = [lambda: fastnet.learning_curves(_history([5])),
             lambda: fastnet.confusion_heatmap(net, X, y),
             lambda: fastnet.surest_mistakes(net, X, y),
             lambda: fastnet.digits_seen("digit.png", net)]
    for call in calls:
        with pytest.raises(MissingPlotExtra, match=re.escape(f"is not installed; {INSTALL_HINT}")):
            call()


def test_the_commands_files_are_the_same_functions_pictures(tmp_path):
    """What `fastnet plot` writes is `learning_curves` at the commands' DPI."""
    history = _history([5, 8])
    history.save(tmp_path / "h.json")
    plots.write_curves([("run", json.loads((tmp_path / "h.json").read_text()))],
                       tmp_path / "cli.png")
    fastnet.learning_curves(("run", history)).savefig(tmp_path / "py.png", dpi=plots.DPI)
    assert (tmp_path / "cli.png").read_bytes() == (tmp_path / "py.png").read_bytes()


# -- help(fastnet) -----------------------------------------------------------------------------

def test_help_opens_with_a_quick_start_and_lists_the_public_names():
    text = pydoc.render_doc(fastnet, renderer=pydoc.plaintext)
    description = text[text.index("DESCRIPTION"):text.index("PACKAGE CONTENTS")]
    assert "Quick start" in description.splitlines()[4]
    for name in fastnet.__all__[1:]:
        assert f"`{name}`" in description, name
        assert getattr(fastnet, name) is not None
    assert "from fastnet.book import network2" in description
    functions = text[text.index("\nFUNCTIONS"):text.index("\nDATA")]
    assert "__getattr__" not in functions and "__dir__" not in functions
    assert {"importlib", "_EXPORTS", "__getattr__"}.isdisjoint(dir(fastnet))
    assert set(fastnet.__all__) <= set(dir(fastnet))
