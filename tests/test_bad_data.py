"""Bad data refused: empty sets, and a NaN or inf wherever it sits, with nothing changed.

No pass over the whole data set checks it (issue 11): training and evaluation alike find a
non-finite pixel in the first row of the first layer's products (an inf or a nan in a column
of x makes that column of ``w @ x`` non-finite), and confirm on the column.  What is
tested here is that every position is caught (the first, a middle and the last mini-batch, a
short last one, on one thread and on two), that the error names the column, and that a refused
call leaves the parameters, the velocities and the generator exactly as they were.
"""

import numpy as np
import pytest

from fastnet import Network

SIZES = [6, 5, 3]
N, M = 23, 5  # four mini-batches of 5 and a short last one of 3


def _data(dtype="float64", n=N, seed=0):
    rng = np.random.default_rng(seed)
    X = np.asfortranarray(rng.uniform(0, 1, (SIZES[0], n)).astype(dtype))
    return X, rng.integers(0, SIZES[-1], n)


def _state(net):
    velocities = [a for w, b in net.state.slots for a in w + b]
    return ([p.copy() for p in net.weights + net.biases], [v.copy() for v in velocities],
            net.rng.bit_generator.state)


def _assert_unchanged(net, state):
    params, velocities, rng_state = _state(net)
    assert all(np.array_equal(p, q) for p, q in zip(params, state[0]))
    assert len(velocities) == len(state[1])
    assert all(np.array_equal(p, q) for p, q in zip(velocities, state[1]))
    assert rng_state == state[2]


def _epoch_permutation(net, n):
    """The permutation the next epoch of `net` will draw."""
    rng = np.random.Generator(type(net.rng.bit_generator)())
    rng.bit_generator.state = net.rng.bit_generator.state
    return rng.permutation(n)


POSITIONS = {"first mini-batch": 0, "middle mini-batch": 2 * M + 1, "last full mini-batch": 4 * M - 1,
             "short last mini-batch": N - 1}


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("position", list(POSITIONS))
def test_a_non_finite_pixel_anywhere_is_refused_with_nothing_changed(position, bad, threads):
    net, twin = Network(SIZES, seed=1), Network(SIZES, seed=1)
    X, y = _data()
    for n in (net, twin):
        n.SGD((X, y), 1, M, 0.5, mu=0.5)  # velocities to keep
    state = _state(net)
    column = _epoch_permutation(net, N)[POSITIONS[position]]
    good = X[2, column]
    X[2, column] = bad
    with pytest.raises(ValueError, match=rf"^training_data: X contains inf or nan \(column "
                                         rf"{column}\)$"):
        net.SGD((X, y), 3, M, 0.5, mu=0.5, threads=threads)
    _assert_unchanged(net, state)
    X[2, column] = good  # then it trains on as if the refused call had not been made
    for n in (net, twin):
        n.SGD((X, y), 1, M, 0.5, mu=0.5, threads=threads)
    assert all(np.array_equal(p, q) for p, q in zip(net.weights + net.biases,
                                                    twin.weights + twin.biases))


@pytest.mark.parametrize("net_dtype,data_dtype", [("float32", "float32"), ("float32", "float64"),
                                                  ("float64", "float32")])
def test_every_dtype_is_checked(net_dtype, data_dtype):
    net = Network(SIZES, dtype=net_dtype, seed=2)
    X, y = _data(data_dtype)
    state = _state(net)
    X[0, 7] = np.nan
    with pytest.raises(ValueError, match=r"\(column 7\)"):
        net.SGD((X, y), 1, M, 0.5)
    _assert_unchanged(net, state)


def test_with_on_batch_and_in_a_c_ordered_copy():
    net = Network(SIZES, seed=3)
    X, y = _data()
    X[4, 11] = np.inf
    state = _state(net)
    calls = []
    with pytest.raises(ValueError, match=r"\(column 11\)"):
        net.SGD((X, y), 2, M, 0.5, on_batch=lambda: calls.append(1))
    _assert_unchanged(net, state)
    with pytest.raises(ValueError, match=r"\(column 11\)"):
        net.SGD((np.ascontiguousarray(X), y), 2, M, 0.5)
    _assert_unchanged(net, state)


def test_a_float32_network_refuses_float64_pixels_beyond_its_range():
    # a finite float64 value whose float32 copy is an inf: said so, not called an inf
    net = Network(SIZES, dtype="float32", seed=2)
    X, y = _data("float64")
    X[1, 9] = 1e300
    state = _state(net)
    with pytest.raises(ValueError, match=r"^training_data: X holds a value too large for "
                                         r"float32 \(column 9\)$"):
        net.SGD((X, y), 1, M, 0.5)
    _assert_unchanged(net, state)
    # the float64 network takes it (and may diverge on it, which is another error)
    Network(SIZES, seed=2).update_mini_batch(X[:, 9:10], np.eye(3)[:, :1], 0.5)


@pytest.mark.parametrize("threads", [1, 2])
def test_training_with_overflowing_weights_is_not_mistaken_for_bad_data(threads):
    # huge weights make the first layer's products inf from finite inputs: the run goes on,
    # and the epoch's end finds the divergence
    net = Network(SIZES, seed=7)
    net.weights = [np.full((5, 6), 1e308), np.ones((3, 5))]
    X, y = _data()
    history = net.SGD((X, y), 1, M, 0.5, threads=threads)
    assert history.epochs == 1


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_update_mini_batch_refuses_a_non_finite_column_with_nothing_changed(bad):
    net = Network(SIZES, seed=11)
    X, y = _data(n=M)
    net.update_mini_batch(X, np.eye(SIZES[-1])[:, y], 0.5, mu=0.5)  # velocities to keep
    X[5, 3] = bad
    state = _state(net)
    with pytest.raises(ValueError, match=r"^X contains inf or nan \(column 3\)$"):
        net.update_mini_batch(X, np.eye(SIZES[-1])[:, y], 0.5, mu=0.5)
    _assert_unchanged(net, state)


def test_threads_that_own_no_neuron_stop_with_the_others():
    # 8 threads, 5 neurons in the hidden layer: three threads have no rows to check
    net = Network(SIZES, seed=12)
    X, y = _data()
    column = _epoch_permutation(net, N)[2 * M + 1]
    X[0, column] = np.nan
    state = _state(net)
    with pytest.raises(ValueError, match=rf"\(column {column}\)$"):
        net.SGD((X, y), 1, M, 0.5, threads=8)
    _assert_unchanged(net, state)


def test_uint8_pixels_are_never_refused():
    net = Network(SIZES, seed=4)
    X = np.asfortranarray(np.random.default_rng(0).integers(0, 256, (SIZES[0], N), np.uint8))
    assert net.SGD((X, np.zeros(N, np.int64)), 1, M, 0.5).epochs == 1


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_evaluation_data_with_a_non_finite_pixel_is_refused_with_nothing_changed(bad):
    net = Network(SIZES, seed=5)
    X, y = _data()
    V, vy = _data(n=9, seed=1)
    V[1, 6] = bad
    state = _state(net)
    with pytest.raises(ValueError, match=r"^evaluation_data: X contains inf or nan \(column 6\)$"):
        net.SGD((X, y), 2, M, 0.5, evaluation_data=(V, vy))
    _assert_unchanged(net, state)
    with pytest.raises(ValueError, match=r"\(column 6\)"):
        net.SGD((X, y), 2, M, 0.5, evaluation_data=(V, vy), monitor_evaluation_accuracy=False,
                monitor_evaluation_cost=True)
    _assert_unchanged(net, state)


@pytest.mark.parametrize("method", ["feedforward", "predict", "accuracy", "total_cost"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_inference_refuses_a_non_finite_input(method, dtype):
    net = Network(SIZES, dtype=dtype, seed=6)
    X, y = _data(dtype, n=2100)  # more than one evaluation chunk
    X[3, 2050] = np.nan
    call = getattr(net, method)
    args = (X, y) if method in ("accuracy", "total_cost") else (X,)
    with pytest.raises(ValueError, match=r"X contains inf or nan \(column 2050\)"):
        call(*args)
    X[3, 2050] = -np.inf
    with pytest.raises(ValueError, match=r"\(column 2050\)"):
        call(*args)


def test_inference_with_overflowing_weights_is_not_mistaken_for_bad_data():
    net = Network(SIZES, seed=7)
    net.weights = [np.full((5, 6), 1e308), np.ones((3, 5))]
    X, y = _data()
    out = net.feedforward(X)  # w @ x overflows to inf; the sigmoid maps it to 1
    assert np.all(np.isfinite(out))
    assert net.accuracy(X, y) >= 0


def test_empty_training_data_is_refused_up_front():
    net = Network(SIZES, seed=8)
    state = _state(net)
    empty = (np.empty((SIZES[0], 0)), np.empty(0, np.int64))
    with pytest.raises(ValueError, match="^training_data is empty"):
        net.SGD(empty, 1, M, 0.5)
    with pytest.raises(ValueError, match="^X is empty"):
        net.update_mini_batch(empty[0], np.empty((SIZES[-1], 0)), 0.5)
    _assert_unchanged(net, state)


@pytest.mark.parametrize("monitor", [{}, {"monitor_evaluation_cost": True,
                                          "monitor_evaluation_accuracy": False}])
def test_empty_evaluation_data_is_refused_before_the_first_epoch(monitor):
    net = Network(SIZES, seed=9)
    state = _state(net)
    empty = (np.empty((SIZES[0], 0)), np.empty(0, np.int64))
    with pytest.raises(ValueError, match="^evaluation_data is empty"):
        net.SGD(_data(), 1, M, 0.5, evaluation_data=empty, **monitor)
    _assert_unchanged(net, state)


def test_empty_data_cannot_be_scored():
    net = Network(SIZES, seed=10)
    empty = (np.empty((SIZES[0], 0)), np.empty(0, np.int64))
    with pytest.raises(ValueError, match="^data is empty"):
        net.total_cost(*empty)
    assert net.feedforward(empty[0]).shape == (SIZES[-1], 0)


def test_finite_inputs_that_overflow_the_network_are_named_not_predicted_as_class_0():
    """Values near 1e308 are finite, but their products overflow both ways (inf - inf): the
    output is nan, and numpy's argmax would call it class 0."""
    net = Network([784, 30, 10], seed=0)
    X = np.full((784, 3), 0.5)
    X[:, 1] = 1e308
    with pytest.raises(ValueError, match=r"^X column 1: the network's output is not a number: "
                                         r"its products overflow float64 \(inputs up to 1e\+308"):
        net.predict(X)
    with pytest.raises(ValueError, match="X column 1: the network's output is not a number"):
        net.accuracy(X, np.zeros(3, np.int64))
    assert net.predict(X[:, [0, 2]]).shape == (2,)  # the others are fine


def test_targets_that_are_not_finite_are_refused_by_update_mini_batch():
    net = Network(SIZES, seed=1)
    state = _state(net)
    X = _data()[0][:, :4]
    for bad in (np.nan, np.inf):
        Y = np.zeros((SIZES[-1], 4))
        Y[1, 2] = bad
        with pytest.raises(ValueError, match="Y, the targets, contain inf or nan"):
            net.update_mini_batch(X, Y, 0.5)
    _assert_unchanged(net, state)


def test_one_network_trained_from_two_threads_at_once_is_refused(mnist_uint8):
    """Two trainers interleaving their steps on the same arrays gave garbage: the second is
    refused while the first trains, and the first is unharmed."""
    import threading

    (X, y), _, _ = mnist_uint8
    net = Network([784, 30, 10], seed=2)
    started, tried = threading.Event(), threading.Event()
    outcome = {}

    def first():
        outcome["history"] = net.SGD((X[:, :2000], y[:2000]), 1000, 10, 3.0,
                                     on_batch=lambda: started.set() or tried.is_set())

    trainer = threading.Thread(target=first)
    trainer.start()
    assert started.wait(60)
    with pytest.raises(RuntimeError, match="this Network is already being trained"):
        net.SGD((X[:, :100], y[:100]), 1, 10, 3.0)
    with pytest.raises(RuntimeError, match="already being trained"):
        net.update_mini_batch(X[:, :10] / 256, np.eye(10)[:, y[:10]], 3.0)
    tried.set()
    trainer.join(60)
    assert outcome["history"].stopped == "interrupted"
    net.SGD((X[:, :100], y[:100]), 1, 10, 3.0)  # free again
