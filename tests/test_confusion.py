"""fastnet.confusion: the matrix against a count made another way, and what is read off it."""

from collections import Counter

import numpy as np
import pytest

import fastnet
from fastnet import confusion


def test_the_matrix_is_the_count_of_true_and_predicted_pairs(mnist_uint8):
    _, _, (X, y) = mnist_uint8
    X, y = X[:, :2000], y[:2000]
    net = fastnet.Network([784, 15, 10], seed=3)  # untrained: many kinds of mistake
    matrix = fastnet.confusion_matrix(net, X, y)
    pairs = Counter(zip(y.tolist(), net.predict(X).tolist()))
    assert len({p for _, p in pairs}) > 3  # not a net that always says the same digit
    expected = np.zeros((10, 10), np.int64)
    for (true, predicted), n in pairs.items():
        expected[true, predicted] = n
    assert matrix.dtype == np.int64 and matrix.shape == (10, 10)
    np.testing.assert_array_equal(matrix, expected)
    assert np.trace(matrix) == net.accuracy(X, y)


def test_any_number_of_outputs():
    rng = np.random.default_rng(0)
    X = rng.random((5, 300))
    y = rng.integers(0, 3, 300)
    net = fastnet.Network([5, 4, 3], seed=1)
    matrix = fastnet.confusion_matrix(net, X, y)
    predicted = net.predict(X)
    assert matrix.shape == (3, 3)
    for i in range(3):
        for j in range(3):
            assert matrix[i, j] == np.count_nonzero((y == i) & (predicted == j))


@pytest.mark.parametrize("y, message", [
    (np.full(10, 3), "labels must lie in 0..2"),
    (np.zeros(9, np.int64), "one label per column"),
    (np.zeros(10), "integer labels"),
])
def test_labels_that_do_not_fit_are_refused(y, message):
    net = fastnet.Network([5, 3], seed=1)
    with pytest.raises(ValueError, match=message):
        fastnet.confusion_matrix(net, np.zeros((5, 10)), y)


def test_recall_precision_and_the_top_confusions():
    matrix = np.array([[5, 1, 0],
                       [3, 2, 0],
                       [0, 4, 0]])
    np.testing.assert_allclose(confusion.recall(matrix), [5 / 6, 2 / 5, 0])
    precision = confusion.precision(matrix)
    np.testing.assert_allclose(precision[:2], [5 / 8, 2 / 7])
    assert np.isnan(precision[2])  # class 2 was never predicted
    assert confusion.top_confusions(matrix) == [(2, 1, 4), (1, 0, 3), (0, 1, 1)]
    assert confusion.top_confusions(matrix, 2) == [(2, 1, 4), (1, 0, 3)]
    assert confusion.top_confusions(np.diag([3, 4])) == []


def test_the_report_labels_rows_and_columns():
    matrix = np.array([[50, 1], [12, 37]])
    lines = confusion.report(matrix)
    assert lines[0].split() == ["true\\pred", "0", "1", "recall"]
    assert lines[1].split() == ["0", "50", "1", "98.0%"]
    assert lines[2].split() == ["1", "12", "37", "75.5%"]
    assert lines[3].split() == ["precision", "80.6%", "97.4%"]
    assert lines[-2:] == ["  1 read as 0: 12", "  0 read as 1: 1"]
