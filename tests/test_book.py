"""fastnet.book against the oracle `book_port` (the book's own algorithms, per example), under
the same seeds: initial parameters, printed lines, returned lists, weights after training,
early stopping, model files, the loaders' formats, and refusals of malformed data."""

import json
import random
import re
import sys

import numpy as np
import pytest

import book_port
from fastnet import load_mnist
from fastnet.book import columns, mnist_loader, network, network2
from fastnet.network import Network as Engine
from fastnet.tolerances import CROSSCHECK_ATOL


@pytest.fixture(scope="module")
def book_data():
    """load_data_wrapper's three splits, as lists."""
    return tuple(list(split) for split in mnist_loader.load_data_wrapper())


def seed(s):
    random.seed(s)
    np.random.seed(s)


def assert_same_parameters(ours, theirs, atol=CROSSCHECK_ATOL):
    assert len(ours.weights) == len(theirs.weights)
    for a, b in zip(ours.weights + ours.biases, theirs.weights + theirs.biases):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)


def assert_same_lines(ours, theirs):
    """The printed lines equal, the costs in them to 1e-10 relative (the sums run in another
    order); every other line character for character."""
    ours, theirs = ours.splitlines(), theirs.splitlines()
    assert len(ours) == len(theirs) and ours
    for a, b in zip(ours, theirs):
        if a.startswith("Cost on"):
            head_a, value_a = a.rsplit(" ", 1)
            head_b, value_b = b.rsplit(" ", 1)
            assert head_a == head_b
            assert float(value_a) == pytest.approx(float(value_b), rel=1e-10)
        else:
            assert a == b


# -- the loaders -------------------------------------------------------------------------------


def test_load_data_is_the_book_split_as_float32_rows():
    splits = mnist_loader.load_data()
    fastnet_splits = load_mnist(dtype=np.float32)
    assert [len(labels) for _, labels in splits] == [50000, 10000, 10000]
    for (images, labels), (X, y) in zip(splits, fastnet_splits):
        assert images.shape == (len(labels), 784) and images.dtype == np.float32
        assert labels.dtype == np.int64
        np.testing.assert_array_equal(images, X.T)
        np.testing.assert_array_equal(labels, y)
        assert images.max() == np.float32(255 / 256)


def test_load_data_wrapper_formats():
    train, validation, test = mnist_loader.load_data_wrapper()
    assert all(isinstance(split, zip) for split in (train, validation, test))
    (images, labels), _, _ = mnist_loader.load_data()
    train, validation, test = list(train), list(validation), list(test)
    assert (len(train), len(validation), len(test)) == (50000, 10000, 10000)
    for i in (0, 1, 49999):
        x, y = train[i]
        assert x.shape == (784, 1) and x.dtype == np.float32
        np.testing.assert_array_equal(x[:, 0], images[i])
        assert y.shape == (10, 1) and y.dtype == np.float64
        np.testing.assert_array_equal(y, mnist_loader.vectorized_result(labels[i]))
    # Every x is a view of one array, not a copy.
    assert all(x.base is train[0][0].base for x, _ in train)
    x, label = validation[3]
    assert x.shape == (784, 1) and isinstance(label, (int, np.integer))


def test_vectorized_result():
    e = network2.vectorized_result(3)
    assert e.shape == (10, 1) and e[3, 0] == 1.0 and e.sum() == 1.0


# -- initial parameters ------------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [[784, 30, 10], [784, 20, 15, 10]])
def test_same_initial_parameters(sizes):
    seed(3)
    theirs = book_port.Network1(sizes)
    seed(3)
    ours = network.Network(sizes)
    assert_same_parameters(ours, theirs, atol=0)
    seed(4)
    theirs = book_port.Network2(sizes)
    theirs.large_weight_initializer()
    seed(4)
    ours = network2.Network(sizes)
    ours.large_weight_initializer()
    assert_same_parameters(ours, theirs, atol=0)
    assert ours.num_layers == len(sizes) and ours.sizes == sizes
    assert ours.cost is network2.CrossEntropyCost


# -- training, against the oracle --------------------------------------------------------------


@pytest.mark.parametrize("sizes", [[784, 30, 10], [784, 20, 15, 10]])
def test_network_trains_as_the_book(book_data, capsys, sizes):
    train, validation, _ = book_data
    seed(11)
    theirs = book_port.Network1(sizes)
    theirs.SGD(train[:1000], 2, 10, 3.0, test_data=validation[:200])
    their_lines = capsys.readouterr().out
    seed(11)
    ours = network.Network(sizes)
    assert ours.SGD(iter(train[:1000]), 2, 10, 3.0, test_data=validation[:200]) is None
    assert_same_lines(capsys.readouterr().out, their_lines)
    assert their_lines.startswith("Epoch 0 : ")
    assert_same_parameters(ours, theirs)
    # Without test data: "Epoch j complete"; and an uneven last mini-batch (1,003 = 100*10+3).
    seed(12)
    theirs.SGD(train[:1003], 1, 10, 3.0)
    their_lines = capsys.readouterr().out
    seed(12)
    ours.SGD(train[:1003], 1, 10, 3.0)
    assert capsys.readouterr().out == their_lines == "Epoch 0 complete\n"
    assert_same_parameters(ours, theirs)


@pytest.mark.parametrize("cost,init,sizes,images", [
    ("CrossEntropyCost", "default", [784, 30, 10], 1000),
    ("QuadraticCost", "large", [784, 30, 10], 400),
    ("CrossEntropyCost", "large", [784, 20, 15, 10], 400),
])
def test_network2_trains_and_monitors_as_the_book(book_data, capsys, cost, init, sizes, images):
    train, validation, _ = book_data
    args = (train[:images], 2, 10, 0.5)
    kwargs = dict(lmbda=5.0, evaluation_data=validation[:300], monitor_evaluation_cost=True,
                  monitor_evaluation_accuracy=True, monitor_training_cost=True,
                  monitor_training_accuracy=True)
    seed(21)
    theirs = book_port.Network2(sizes, cost=getattr(book_port, cost))
    if init == "large":
        theirs.large_weight_initializer()
    their_lists = theirs.SGD(*args, **kwargs)
    their_lines = capsys.readouterr().out
    seed(21)
    ours = network2.Network(sizes, cost=getattr(network2, cost))
    if init == "large":
        ours.large_weight_initializer()
    our_lists = ours.SGD(*args, **kwargs)
    assert_same_lines(capsys.readouterr().out, their_lines)
    assert len(their_lines.splitlines()) == 10
    assert_same_parameters(ours, theirs)
    assert isinstance(our_lists, tuple) and len(our_lists) == 4
    for mine, book in zip(our_lists, their_lists):
        assert len(mine) == len(book) == 2
        np.testing.assert_allclose(mine, book, rtol=1e-10)
    assert [type(a) for a in our_lists[1]] == [int, int]


@pytest.mark.parametrize("monitor", ["evaluation", "training"])
def test_early_stopping_as_the_book(book_data, capsys, monitor):
    train, validation, _ = book_data
    kwargs = dict(evaluation_data=validation[:30], early_stopping_n=2,
                  monitor_evaluation_accuracy=monitor == "evaluation",
                  monitor_training_accuracy=monitor == "training")
    data = train[:300] if monitor == "evaluation" else train[:40]
    seed(5)
    theirs = book_port.Network2([784, 10, 10])
    their_lists = theirs.SGD(data, 15, 10, 0.5, **kwargs)
    their_lines = capsys.readouterr().out
    seed(5)
    ours = network2.Network([784, 10, 10])
    our_lists = ours.SGD(data, 15, 10, 0.5, **kwargs)
    assert capsys.readouterr().out == their_lines
    stopped_at = len(their_lists[1] or their_lists[3])
    assert 2 <= stopped_at < 15  # the rule fired
    assert our_lists == their_lists
    assert_same_parameters(ours, theirs)


def test_one_network_over_several_calls_and_edited_weights(book_data):
    """The random state carries over between calls, and weights edited in place between
    calls are trained on, as in the book."""
    train, _, _ = book_data
    nets = []
    for make in (book_port.Network2, network2.Network):
        seed(8)
        net = make([784, 30, 10])
        net.SGD(train[:500], 1, 10, 0.5, lmbda=1.0)
        net.weights[0][:, :5] = 0.25
        net.biases[1] *= 2
        net.SGD(train[500:900], 1, 7, 0.5, lmbda=1.0)
        nets.append(net)
    assert_same_parameters(nets[1], nets[0])


def test_separate_float64_columns_train_like_views(book_data):
    train, _, _ = book_data
    subset = train[2000:3000]
    view_columns = columns.as_arrays(subset, 784, 10, True, "data")
    assert not view_columns.copied  # trained in place, on the loader's array
    assert np.shares_memory(view_columns.X, subset[0][0])
    separate = [(x.astype(np.float64), y.copy()) for x, y in subset]
    assert columns.as_arrays(separate, 784, 10, True, "data").copied
    results = []
    for data in (subset, separate):
        seed(9)
        net = network2.Network([784, 30, 10])
        net.SGD(data, 1, 10, 0.5, lmbda=5.0)
        results.append(net)
    seed(9)
    theirs = book_port.Network2([784, 30, 10])
    theirs.SGD(separate, 1, 10, 0.5, lmbda=5.0)
    assert_same_parameters(results[0], theirs)
    assert_same_parameters(results[1], theirs)


def test_shuffled_views_map_to_their_columns(book_data):
    train, _, _ = book_data
    picked = [train[i] for i in (40, 7, 7, 1000, 3)]
    found = columns.as_arrays(picked, 784, 10, True, "data")
    assert not found.copied
    for (x, y), i in zip(picked, found.index):
        np.testing.assert_array_equal(found.X[:, [i]], x)
        assert found.labels[i] == np.argmax(y)


# -- the per-example methods and evaluation ----------------------------------------------------


def test_backprop_update_and_evaluation_match_the_book(book_data):
    train, validation, _ = book_data
    seed(2)
    theirs = book_port.Network2([784, 20, 15, 10], cost=book_port.QuadraticCost)
    seed(2)
    ours = network2.Network([784, 20, 15, 10], cost=network2.QuadraticCost)
    x, y = train[0]
    for a, b in zip(sum(ours.backprop(x, y), []), sum(theirs.backprop(x, y), [])):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)
    target = np.linspace(0, 1, 10).reshape(10, 1)  # any target, as the book allows here
    batch = train[1:8] + [(x, target)]
    theirs.update_mini_batch(batch, 0.7, 2.0, 1000)
    ours.update_mini_batch(batch, 0.7, 2.0, 1000)
    assert_same_parameters(ours, theirs, atol=1e-13)
    np.testing.assert_allclose(ours.feedforward(x), theirs.feedforward(x), rtol=1e-13)
    assert ours.accuracy(validation[:500]) == theirs.accuracy(validation[:500])
    assert ours.accuracy(train[:500], convert=True) == theirs.accuracy(train[:500], convert=True)
    assert ours.total_cost(train[:200], 3.0) == pytest.approx(theirs.total_cost(train[:200], 3.0),
                                                              rel=1e-10)
    assert ours.total_cost(validation[:200], 3.0, convert=True) == pytest.approx(
        theirs.total_cost(validation[:200], 3.0, convert=True), rel=1e-10)
    seed(2)
    book1, ours1 = book_port.Network1([784, 30, 10]), None
    seed(2)
    ours1 = network.Network([784, 30, 10])
    book1.update_mini_batch(train[:10], 3.0)
    ours1.update_mini_batch(train[:10], 3.0)
    assert_same_parameters(ours1, book1, atol=1e-13)
    assert ours1.evaluate(validation[:300]) == book1.evaluate(validation[:300])
    out = ours1.feedforward(x)
    np.testing.assert_array_equal(ours1.cost_derivative(out, target), out - target)


# -- model files -------------------------------------------------------------------------------


def test_save_and_load_round_trips_with_the_books_files(tmp_path):
    seed(6)
    book_net = book_port.Network2([784, 12, 10], cost=book_port.QuadraticCost)
    book_net.save(tmp_path / "book.json")
    seed(7)
    ours = network2.load(tmp_path / "book.json")
    after_ours = np.random.randn()
    seed(7)
    theirs = book_port.load(tmp_path / "book.json")
    assert np.random.randn() == after_ours  # load draws from np.random as the book's does
    assert ours.cost is network2.QuadraticCost and ours.sizes == [784, 12, 10]
    assert_same_parameters(ours, theirs, atol=0)
    ours.save(tmp_path / "ours.json")
    assert json.loads((tmp_path / "ours.json").read_text()) == json.loads(
        (tmp_path / "book.json").read_text())
    again = book_port.load(tmp_path / "ours.json")
    assert_same_parameters(again, book_net, atol=0)


# -- refusals ----------------------------------------------------------------------------------


def test_malformed_data_is_refused_naming_the_element(book_data):
    train, validation, _ = book_data
    net = network2.Network([784, 10, 10])
    good = train[:20]
    x, y = good[5]
    cases = {
        "training_data[5]: x must be a (784, 1)": good[:5] + [(x[:, 0], y)] + good[6:],
        "training_data[3]: y contains inf or nan": good[:3] + [(x, y * np.nan)] + good[4:],
        "training_data[2]: y must be a (10, 1) target array": (good[:2] + [validation[0]]
                                                              + good[3:]),
        "training_data[4] must be a pair": good[:4] + [(x,)] + good[5:],
        "training_data is empty": [],
    }
    for message, data in cases.items():
        with pytest.raises(ValueError, match=re.escape(message)):
            net.SGD(data, 1, 10, 0.5)
    bad_label = validation[:4] + [(validation[4][0], 10)]
    with pytest.raises(ValueError, match=r"evaluation_data\[4\]: label 10 is out of range"):
        net.SGD(good, 1, 10, 0.5, evaluation_data=bad_label, monitor_evaluation_accuracy=True)
    nan_x = x.astype(np.float64)
    nan_x[3, 0] = np.nan
    with pytest.raises(ValueError, match=r"training_data\[1\]: x contains inf or nan"):
        net.SGD(good[:1] + [(nan_x, y)] + good[2:], 1, 10, 0.5)
    with pytest.raises(ValueError, match="early stopping needs a monitored accuracy"):
        net.SGD(good, 1, 10, 0.5, evaluation_data=validation[:5], early_stopping_n=2)
    with pytest.raises(ValueError, match="needs evaluation_data"):
        net.SGD(good, 1, 10, 0.5, monitor_evaluation_cost=True)
    with pytest.raises(ValueError, match=r"data\[0\]: y must be an int label"):
        net.accuracy(good)


def test_soft_targets_train_as_the_book(book_data, capsys):
    """The book's code takes any (10, 1) target; 0.1/0.9 targets train as it trains them."""
    train, validation, _ = book_data
    soft = [(x, np.where(y == 1, 0.9, 0.1)) for x, y in train[:300]]
    seed(5)
    theirs = book_port.Network2([784, 20, 10])
    their_lists = theirs.SGD(soft, 2, 10, 0.5, lmbda=1.0, evaluation_data=validation[:200],
                             monitor_training_cost=True, monitor_training_accuracy=True)
    seed(5)
    ours = network2.Network([784, 20, 10])
    our_lists = ours.SGD(soft, 2, 10, 0.5, lmbda=1.0, evaluation_data=validation[:200],
                         monitor_training_cost=True, monitor_training_accuracy=True)
    assert_same_parameters(ours, theirs)
    np.testing.assert_allclose(our_lists[2], their_lists[2], rtol=1e-10)  # training cost
    assert our_lists[3] == their_lists[3]  # training accuracy, by the targets' argmax
    capsys.readouterr()


def test_a_diverging_run_is_a_divergence_error(book_data, capsys):
    """At eta 1e4 the cost overflows while the weights stay finite: the book's code prints
    "Cost on evaluation data: inf" and goes on; the drop-in raises DivergenceError, the
    parameters those before the run."""
    import fastnet

    train, validation, _ = book_data
    seed(6)
    net = network2.Network([784, 20, 10])
    before = [p.copy() for p in net.weights + net.biases]
    with pytest.raises(fastnet.DivergenceError, match="training diverged in epoch 0: the cost "
                                                      "is no longer finite"):
        net.SGD(train[:500], 3, 10, 1e4, evaluation_data=validation[:100],
                monitor_evaluation_cost=True)
    assert "Cost on evaluation data: inf" in capsys.readouterr().out
    for p, q in zip(before, net.weights + net.biases):
        np.testing.assert_array_equal(p, q)


def test_a_spent_zip_gets_a_hint():
    training, _, _ = mnist_loader.load_data_wrapper()
    list(training)  # a notebook's first run of a cell read the zip
    net = network.Network([784, 10, 10])
    with pytest.raises(ValueError, match=re.escape("training_data is empty (it is an iterator, "
                                                   "such as the zip the book's loader returns, "
                                                   "which can be read only once: pass "
                                                   "list(...) of it to read it again)")):
        net.SGD(training, 1, 10, 3.0)


# -- the engine's order hook -------------------------------------------------------------------


def test_engine_order_hook(mnist):
    (X, y), _, _ = mnist
    X, y = X[:, :300], y[:300]
    a, b = Engine([784, 10, 10], seed=1), Engine([784, 10, 10], seed=1)
    a.SGD((X, y), 2, 10, 1.0, lmbda=2.0)
    rng = np.random.default_rng(1)
    rng.standard_normal(10 + 10 + 7840 + 100)  # the draws of the initial parameters
    b.SGD((X, y), 2, 10, 1.0, lmbda=2.0, order=lambda epoch: rng.permutation(300))
    assert_same_parameters(a, b, atol=0)
    c = Engine([784, 10, 10], seed=1)
    c.SGD((X, y), 1, 10, 1.0, order=lambda epoch: np.arange(0, 300, 2))  # n = 150 columns
    with pytest.raises(ValueError, match="column indices must lie in 0..299"):
        c.SGD((X, y), 1, 10, 1.0, order=lambda epoch: np.array([0, 300]))


def test_in_a_notebook_only_the_books_lines_are_printed(book_data, capsys, monkeypatch):
    """An interactive session (where the engine's SGD prints its own epoch lines by default):
    the drop-in prints the book's lines and nothing else, its first run included."""
    from fastnet.book import core

    monkeypatch.setattr(sys, "ps1", ">>> ", raising=False)  # what the Python prompt sets
    monkeypatch.setattr(core, "_warmed_up", [])  # the first run of the session warms up
    train, validation, _ = book_data
    seed(3)
    network2.Network([784, 20, 10]).SGD(train[:300], 2, 10, 0.5, evaluation_data=validation[:50],
                                        monitor_evaluation_accuracy=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0::2] == ["Epoch 0 training complete", "Epoch 1 training complete"]
    assert [line.split(":")[0] for line in lines[1::2]] == ["Accuracy on evaluation data"] * 2
