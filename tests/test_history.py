"""What `Network.SGD` shows and returns: the epoch lines of ``verbose``, the `History` (its
lists by name, repr, the --history file it writes), and Ctrl-C, which ends the run after the
current mini-batch with the History so far."""

import json
import os
import pickle
import signal
import threading
import time

import numpy as np
import pytest

import fastnet
from fastnet.cli import main
from fastnet.history import History


@pytest.fixture(scope="module")
def small(mnist_uint8):
    (X, y), (Xv, yv), _ = mnist_uint8
    return (X[:, :600], y[:600]), (Xv[:, :300], yv[:300])


def test_verbose_prints_the_books_epoch_lines(small, capsys):
    train, evaluation = small
    net = fastnet.Network([784, 20, 10], seed=1)
    history = net.SGD(train, 2, 10, 3.0, evaluation_data=evaluation, verbose=True,
                      monitor_training_cost=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for epoch, line in enumerate(lines):
        assert line == history.epoch_line(epoch)
        assert line.startswith(f"Epoch {epoch}: {history.evaluation_accuracy[epoch]} / 300 (")
        assert "training cost" in line
    net.SGD(train, 1, 10, 3.0, evaluation_data=evaluation, verbose=0)
    net.SGD(train, 1, 10, 3.0, evaluation_data=evaluation)  # not interactive: quiet
    assert capsys.readouterr().out == ""


def test_verbose_2_adds_a_progress_bar(small, capsys):
    train, _ = small
    fastnet.Network([784, 20, 10], seed=1).SGD(train, 1, 10, 3.0, verbose=2)
    captured = capsys.readouterr()
    assert captured.out.startswith("Epoch 0 (")
    assert "60/60" in captured.err  # tqdm's bar, on stderr, at the end of the epoch


@pytest.mark.parametrize("verbose", [3, -1, "yes", 1.5])
def test_bad_verbose_values(small, verbose):
    with pytest.raises(ValueError, match=r"verbose must be one of None, 0 \(False\), 1 \(True\) "
                                         r"or 2, not"):
        fastnet.Network([784, 20, 10], seed=1).SGD(small[0], 1, 10, 3.0, verbose=verbose)


def test_history_as_keras_has_it_and_a_readable_repr(small):
    train, evaluation = small
    history = fastnet.Network([784, 20, 10], seed=1).SGD(
        train, 3, 10, 3.0, evaluation_data=evaluation, monitor_loss=True)
    assert set(history.history) == {"evaluation_accuracy", "loss", "seconds",
                                     "scoring_seconds", "eta"}
    assert history.history["evaluation_accuracy"] == history.evaluation_accuracy
    assert len(history.history["loss"]) == 3
    best = history.best_epoch()
    assert repr(history) == (f"History(3 epochs; completed; best evaluation accuracy {best[1]} "
                             f"/ 300 in epoch {best[0]}; {sum(history.seconds):.3g} s "
                             f"training, {sum(history.scoring_seconds):.3g} s scoring)")
    ec, ea, tc, ta, seconds = history  # the book's four lists, and the seconds
    assert ea == history.evaluation_accuracy and seconds == history.seconds


def test_a_history_made_in_python_is_what_fastnet_plot_reads(small, tmp_path):
    train, evaluation = small
    net = fastnet.Network([784, 20, 10], cost="cross-entropy", activation="tanh", seed=1)
    history = net.SGD(train, 2, 10, 0.5, lmbda=1.0, evaluation_data=evaluation,
                      monitor_evaluation_cost=True, monitor_training_accuracy=True)
    path = tmp_path / "history.json"
    history.save(path)
    doc = json.loads(path.read_text())
    assert doc["config"]["activation"] == "tanh" and doc["config"]["lmbda"] == 1.0
    assert doc["config"]["train_size"] == 600 and doc["config"]["eval_size"] == 300
    assert [e["evaluation_accuracy"] for e in doc["epochs"]] == [
        a / 300 for a in history.evaluation_accuracy]
    assert [e["training_accuracy"] for e in doc["epochs"]] == [
        a / 600 for a in history.training_accuracy]
    assert "evaluation_cost" in doc["epochs"][0] and "training_cost" not in doc["epochs"][0]
    pytest.importorskip("matplotlib")
    assert main(["plot", str(path), "--out", str(tmp_path / "curves.png")]) == 0
    assert (tmp_path / "curves.png").stat().st_size > 0


def test_a_pickled_history_of_another_version(small):
    old = History(evaluation_accuracy=[5, 6], seconds=[0.1, 0.1], eta=[3.0, 3.0])
    state = dict(old.__dict__)
    del state["loss"], state["scoring_seconds"], state["config"]  # an older History's fields
    restored = History.__new__(History)
    restored.__setstate__(state)
    assert restored.loss == [] and restored.epochs == 2 and restored.config == {}
    assert pickle.loads(pickle.dumps(old)) == old
    with pytest.raises(ValueError, match=r"not a fastnet History \(unknown fields accuracy\)"):
        History.__new__(History).__setstate__({**state, "accuracy": [1]})


# -- Ctrl-C ------------------------------------------------------------------------------------

def _ctrl_c_during(call, after_seconds):
    """Run ``call()`` while a timer sends this process SIGINT after ``after_seconds``."""
    timer = threading.Timer(after_seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        return call()
    finally:
        timer.cancel()


@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_stops_sgd_after_a_mini_batch_and_keeps_the_run(mnist_uint8, threads):
    (X, y), _, _ = mnist_uint8
    net = fastnet.Network([784, 100, 10], seed=2)
    net.SGD((X[:, :20], y[:20]), 1, 10, 3.0, threads=threads)  # compiled before the timing
    start = net.state.t
    # 100 epochs of everything would take minutes: the Ctrl-C comes long before the end
    history = _ctrl_c_during(lambda: net.SGD((X, y), 100, 10, 3.0, threads=threads), 1.0)
    assert history.stopped == "interrupted" and history.epochs < 100
    steps = net.state.t - start
    assert steps > 0
    # The network is exactly what the completed mini-batches made of it: the same run,
    # stopped after as many by on_batch (the same arithmetic as without it).
    replay = fastnet.Network([784, 100, 10], seed=2)
    replay.SGD((X[:, :20], y[:20]), 1, 10, 3.0, threads=threads)
    count = []
    again = replay.SGD((X, y), 100, 10, 3.0, threads=threads,
                       on_batch=lambda: count.append(1) or len(count) == steps)
    assert again.stopped == "interrupted" and again.epochs == history.epochs
    for p, q in zip(net.weights + net.biases, replay.weights + replay.biases):
        np.testing.assert_array_equal(p, q)


def _raise_ctrl_c():
    raise KeyboardInterrupt


@pytest.mark.parametrize("where", ["shuffling", "on_epoch"])
def test_ctrl_c_between_epochs_also_keeps_the_run(mnist_uint8, where):
    """A Ctrl-C that lands outside the compiled epoch (the next epoch's shuffle, the caller's
    on_epoch) ends the run as one inside it does: the History so far, not a KeyboardInterrupt."""
    (X, y), _, _ = mnist_uint8
    training = (X[:, :200], y[:200])
    net = fastnet.Network([784, 10, 10], seed=3)
    rng = np.random.default_rng(0)
    if where == "shuffling":
        def order(epoch):
            return rng.permutation(200) if epoch == 0 else _raise_ctrl_c()
        history = net.SGD(training, 3, 10, 3.0, order=order)
    else:
        history = net.SGD(training, 3, 10, 3.0, on_epoch=lambda epoch, h: _raise_ctrl_c())
    assert history.stopped == "interrupted" and history.epochs == 1
    once = fastnet.Network([784, 10, 10], seed=3)  # the network is the one epoch's
    rng = np.random.default_rng(0)
    once.SGD(training, 1, 10, 3.0, order=(lambda epoch: rng.permutation(200))
             if where == "shuffling" else None)
    for p, q in zip(net.weights + net.biases, once.weights + once.biases):
        np.testing.assert_array_equal(p, q)


def test_the_books_network_lets_ctrl_c_through_with_its_lists_consistent(capsys):
    import random

    from fastnet.book import mnist_loader, network2

    training, validation, _ = mnist_loader.load_data_wrapper()
    training, validation = list(training), list(validation)[:200]
    random.seed(3)
    np.random.seed(3)
    net = network2.Network([784, 100, 10])
    net.SGD(training[:20], 1, 10, 0.5)  # compiled before the timing
    lists = []

    def run():
        lists.append(net.SGD(training, 100, 10, 0.5, evaluation_data=validation,
                             monitor_evaluation_accuracy=True))

    with pytest.raises(KeyboardInterrupt):
        _ctrl_c_during(run, 2.0)
    assert lists == []  # the book's SGD raised, as the book's code would
    printed = capsys.readouterr().out.count("Accuracy on evaluation data")
    assert all(np.all(np.isfinite(w)) for w in net.weights)
    assert net.weights[0].shape == (100, 784) and printed < 100
