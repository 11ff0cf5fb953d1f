"""Model files: network2.py's JSON format both ways, atomic saves, and every kind of bad file."""

import json
import math
import os
import sys

import numpy as np
import pytest

import fastnet
from fastnet import Network, atomic_file
from fastnet.reference import sigmoid

# -- a faithful minimal network2.py: its cost classes, save and load, and feedforward -----------


class QuadraticCost:
    """Stands for network2.QuadraticCost: `load` finds a cost class by name in this module."""


class CrossEntropyCost:
    """Stands for network2.CrossEntropyCost."""


class BookNetwork:
    """network2.Network as far as model files go; the parameters come from a Generator instead
    of np.random's global state."""

    def __init__(self, sizes, cost=CrossEntropyCost, rng=None):
        rng = rng or np.random.default_rng(0)
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]
        self.weights = [rng.standard_normal((y, x)) / np.sqrt(x)
                        for x, y in zip(sizes[:-1], sizes[1:])]
        self.cost = cost

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def save(self, filename):
        """network2.Network.save, verbatim."""
        data = {"sizes": self.sizes,
                "weights": [w.tolist() for w in self.weights],
                "biases": [b.tolist() for b in self.biases],
                "cost": str(self.cost.__name__)}
        f = open(filename, "w")
        json.dump(data, f)
        f.close()


def book_load(filename):
    """network2.load, verbatim."""
    f = open(filename, "r")
    data = json.load(f)
    f.close()
    cost = getattr(sys.modules[__name__], data["cost"])
    net = BookNetwork(data["sizes"], cost=cost)
    net.weights = [np.array(w) for w in data["weights"]]
    net.biases = [np.array(b) for b in data["biases"]]
    return net


def _assert_same_parameters(a, b):
    for p, q in zip(a.weights + a.biases, b.weights + b.biases, strict=True):
        assert p.shape == q.shape
        np.testing.assert_array_equal(p, q)


# -- round trips --------------------------------------------------------------------------------

@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "log-likelihood"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_save_load_round_trip_is_exact(tmp_path, cost, dtype):
    net = Network([6, 5, 4, 3], cost=cost, init="default", dtype=dtype, seed=1)
    net.SGD((np.random.default_rng(2).uniform(0, 1, (6, 20)), np.arange(20) % 3), 1, 4, 0.7)
    path = tmp_path / "model.json"
    net.save(path)
    loaded = fastnet.load(path)
    assert (loaded.sizes, loaded.cost, loaded.init, loaded.dtype) == (net.sizes, net.cost,
                                                                      "default", net.dtype)
    _assert_same_parameters(loaded, net)
    X = np.random.default_rng(3).uniform(0, 1, (6, 7))
    np.testing.assert_array_equal(loaded.feedforward(X), net.feedforward(X))


def test_a_file_saved_by_network2_loads(tmp_path):
    book = BookNetwork([784, 30, 10], rng=np.random.default_rng(4))
    path = tmp_path / "book.json"
    book.save(str(path))
    assert set(json.loads(path.read_text())) == {"sizes", "weights", "biases", "cost"}
    net = fastnet.load(path)
    assert net.sizes == [784, 30, 10] and net.cost is fastnet.CrossEntropyCost
    assert net.dtype == np.float64 and net.init == "default"  # the book's defaults
    _assert_same_parameters(net, book)
    X = np.random.default_rng(5).uniform(0, 1, (784, 3))
    np.testing.assert_allclose(net.feedforward(X),
                               np.hstack([book.feedforward(X[:, [i]]) for i in range(3)]),
                               rtol=1e-14, atol=0)


@pytest.mark.parametrize("cost,book_cost", [("quadratic", QuadraticCost),
                                            ("cross-entropy", CrossEntropyCost)])
def test_a_file_saved_by_fastnet_loads_in_network2(tmp_path, cost, book_cost):
    net = Network([784, 20, 10], cost=cost, init="large", seed=6)
    path = tmp_path / "model.json"
    net.save(path)
    book = book_load(str(path))
    assert book.cost is book_cost and book.sizes == [784, 20, 10]
    _assert_same_parameters(book, net)
    x = np.random.default_rng(7).uniform(0, 1, (784, 1))
    np.testing.assert_allclose(book.feedforward(x), net.feedforward(x), rtol=1e-14, atol=0)


def test_saved_file_has_the_book_keys_and_fastnet_extras(tmp_path):
    path = tmp_path / "model.json"
    Network([4, 3, 2], cost="log-likelihood", init="large", dtype="float32", seed=0).save(path)
    data = json.loads(path.read_text())
    assert data["sizes"] == [4, 3, 2] and data["cost"] == "LogLikelihoodCost"
    assert data["fastnet"] == {"version": fastnet.__version__, "init": "large",
                               "dtype": "float32", "activation": "sigmoid", "penalty": "l2",
                               "cost": "LogLikelihoodCost"}
    assert [np.shape(w) for w in data["weights"]] == [(3, 4), (2, 3)]
    assert [np.shape(b) for b in data["biases"]] == [(3, 1), (2, 1)]


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    path = tmp_path / "model.json"
    Network([4, 3, 2], seed=0).save(path)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


# -- atomic saves -------------------------------------------------------------------------------

@pytest.fixture
def existing(tmp_path):
    """A directory holding one good model file, and that file's bytes."""
    path = tmp_path / "model.json"
    Network([4, 3, 2], seed=0).save(path)
    return path, path.read_bytes()


def _failing(stage, error):
    """A stand-in for one step of a save that fails with ``error``; json.dump fails after
    writing half of the file."""
    def fail(*args, **kwargs):
        if stage == "dump":
            obj, f = args
            f.write(json.dumps(obj)[:50])
        raise error(28, "No space left on device") if error is OSError else error()
    return fail


@pytest.mark.parametrize("stage", ["dump", "fsync", "replace"])
@pytest.mark.parametrize("error", [OSError, KeyboardInterrupt])
def test_an_interrupted_save_keeps_the_old_file(existing, monkeypatch, stage, error):
    path, before = existing
    module = atomic_file.json if stage == "dump" else atomic_file.os
    monkeypatch.setattr(module, stage, _failing(stage, error))
    with pytest.raises(error):
        Network([4, 3, 2], seed=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == ["model.json"]  # no temporary file left behind
    fastnet.load(path)


def test_a_save_replaces_the_file_whole(existing):
    path, before = existing
    net = Network([4, 3, 2], seed=1)
    net.save(path)
    assert path.read_bytes() != before
    _assert_same_parameters(fastnet.load(path), net)
    assert os.listdir(path.parent) == ["model.json"]


def test_json_cannot_hold_non_finite_numbers(tmp_path):
    with pytest.raises(ValueError):
        atomic_file.write_json(tmp_path / "x.json", {"cost": math.inf})
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("problem", ["directory", "missing", "read-only"])
def test_check_writable(tmp_path, problem):
    if problem == "directory":
        target, error = tmp_path, IsADirectoryError
    elif problem == "missing":
        target, error = tmp_path / "absent" / "model.json", FileNotFoundError
    else:
        if os.geteuid() == 0:
            pytest.skip("root can write into a read-only directory")
        tmp_path.chmod(0o500)
        target, error = tmp_path / "model.json", PermissionError
    try:
        with pytest.raises(error):
            atomic_file.check_writable(target)
    finally:
        tmp_path.chmod(0o700)
    atomic_file.check_writable(tmp_path / "model.json")
    assert os.listdir(tmp_path) == []


# -- bad files ----------------------------------------------------------------------------------

def _good():
    net = Network([3, 2, 2], seed=0)
    return {"sizes": [3, 2, 2], "weights": [w.tolist() for w in net.weights],
            "biases": [b.tolist() for b in net.biases], "cost": "QuadraticCost"}


def _with(**changes):
    data = _good()
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    return json.dumps(data)


def _weights(edit):
    data = _good()
    edit(data)
    return json.dumps(data)


BAD_FILES = {
    "not json": ("{sizes: [1, 2]", "not a JSON model file"),
    "not utf-8": (b"\xff\xfe{}", "not a JSON model file"),
    "empty": ("", "not a JSON model file"),
    "deeply nested": ("[" * 100000 + "]" * 100000, "not a JSON model file"),
    "a list": ("[1, 2, 3]", "expected a JSON object"),
    "no cost": (_with(cost=None), "missing 'cost'"),
    "no weights or biases": (_with(weights=None, biases=None), "missing 'weights', 'biases'"),
    "sizes a string": (_with(sizes="3,2,2"), "sizes must be a list of at least 2"),
    "one layer": (_with(sizes=[3]), "sizes must be a list of at least 2"),
    "zero size": (_with(sizes=[3, 0, 2]), "sizes must be a list of at least 2"),
    "float size": (_with(sizes=[3, 2.0, 2]), "sizes must be a list of at least 2"),
    "bool size": (_with(sizes=[3, True, 2]), "sizes must be a list of at least 2"),
    "unknown cost": (_with(cost="HingeCost"), "unknown cost \"HingeCost\""),
    "cost not a string": (_with(cost=["QuadraticCost"]), "unknown cost"),
    "fastnet name for the cost": (_with(cost="quadratic"), "unknown cost"),
    "sizes disagree": (_with(sizes=[3, 4, 2]), r"weights\[0\] must be 4 rows of 3 numbers"),
    "too few matrices": (_weights(lambda d: d["weights"].pop()), "weights must be a list of 2"),
    "weights not a list": (_with(weights={"0": []}), "weights must be a list of 2"),
    "ragged row": (_weights(lambda d: d["weights"][1][0].pop()),
                   r"weights\[1\] must be 2 rows of 2 numbers"),
    "flat biases": (_weights(lambda d: d["biases"].__setitem__(0, [0.1, 0.2])),
                    r"biases\[0\] must be 2 rows of 1 numbers"),
    "a string number": (_weights(lambda d: d["weights"][0][1].__setitem__(2, "1.5")),
                        r"weights\[0\] must hold numbers only"),
    "a bool": (_weights(lambda d: d["biases"][1][0].__setitem__(0, True)),
               r"biases\[1\] must hold numbers only"),
    "a null": (_weights(lambda d: d["weights"][0][0].__setitem__(0, None)),
               r"weights\[0\] must hold numbers only"),
    "huge integer": (_weights(lambda d: d["weights"][1][1].__setitem__(0, 10 ** 400)),
                     r"weights\[1\] holds an integer too large"),
    "fastnet not an object": (_with(fastnet="x"), '"fastnet" must be a JSON object'),
    "bad dtype": (_with(fastnet={"dtype": "float16"}), '"fastnet": dtype must be one of'),
    "bad init": (_with(fastnet={"init": "xavier"}), '"fastnet": init must be one of'),
    "an activation that is not a name": (_with(fastnet={"activation": ["relu"]}),
                                         '"fastnet": activation must be one of'),
    "a penalty that is not a name": (_with(fastnet={"penalty": {"l1": 1}}),
                                     '"fastnet": penalty must be one of'),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_rejected_naming_file_and_problem(tmp_path, case):
    content, message = BAD_FILES[case]
    path = tmp_path / "bad.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ValueError, match=message) as info:
        fastnet.load(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_rejected(tmp_path, token):
    data = _good()
    text = json.dumps(data).replace(json.dumps(data["biases"][1][1][0]), token, 1)
    assert token in text
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"^{path}: biases\[1\] holds a non-finite number"):
        fastnet.load(path)


def test_extra_fields_are_optional_and_unknown_ones_ignored(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(_with(fastnet={"version": "99", "future": 1}, comment="hand-made"))
    net = fastnet.load(path)
    assert net.dtype == np.float64 and net.init == "default"


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        fastnet.load(tmp_path / "absent.json")


def test_public_names():
    assert fastnet.load is fastnet.network.load and "load" in fastnet.__all__


@pytest.mark.parametrize("activation,penalty", [("tanh", "l2"), ("relu", "l1"),
                                                ("sigmoid", "l1")])
def test_activation_and_penalty_round_trip(tmp_path, activation, penalty):
    path = tmp_path / "model.json"
    net = Network([4, 3, 2], cost="cross-entropy", activation=activation, penalty=penalty,
                  seed=0)
    net.save(path)
    back = fastnet.load(path)
    assert (back.activation, back.penalty, back.cost) == (activation, penalty, net.cost)
    X = np.random.default_rng(0).uniform(size=(4, 5))
    np.testing.assert_array_equal(back.feedforward(X), net.feedforward(X))


def test_a_network_network2_cannot_compute_fails_loudly_there(tmp_path):
    """A tanh network loaded into the book's network2.py as a sigmoid network would compute
    wrong outputs without a word: its file names a cost network2.py does not have, so that the
    book's load fails, naming it; fastnet.book's load refuses it in words."""
    import book_port

    from fastnet.book import network2

    path = tmp_path / "tanh.json"
    Network([4, 3, 2], cost="cross-entropy", activation="tanh", seed=0).save(path)
    data = json.loads(path.read_text())
    assert data["cost"] == ("CrossEntropyCost, tanh hidden layers (not a network2.py "
                            "network)")
    with pytest.raises(KeyError, match="tanh hidden layers"):
        book_port.load(path)  # the book's own code: globals()[data["cost"]]
    with pytest.raises(ValueError, match=r"a network of tanh hidden neurons; the book's "
                                         r"network2 computes sigmoid networks only"):
        network2.load(path)
    # An L1-trained sigmoid network is a network2.py network: it loads there.
    Network([4, 3, 2], cost="cross-entropy", penalty="l1", seed=0).save(path)
    assert book_port.load(path).sizes == [4, 3, 2]


def test_a_file_whose_cost_and_activation_disagree_is_refused(tmp_path):
    path = tmp_path / "model.json"
    Network([4, 3, 2], activation="relu", seed=0).save(path)
    data = json.loads(path.read_text())
    data["cost"] = "CrossEntropyCost, relu hidden layers (not a network2.py network)"
    path.write_text(json.dumps(data))  # the "fastnet" object says QuadraticCost
    with pytest.raises(ValueError, match='"cost" "CrossEntropyCost, relu hidd.* does not match '
                                         'the "fastnet" object.s cost QuadraticCost'):
        fastnet.load(path)
    data["fastnet"]["activation"] = "softplus"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match='"fastnet": activation must be one of sigmoid, tanh, '
                                         'relu, identity, not "softplus"'):
        fastnet.load(path)
