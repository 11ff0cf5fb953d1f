"""The confusion matrix of a network on labelled data, and what is read off it: each class's
recall and precision, the most frequent confusions, and the table `fastnet evaluate
--confusion` prints.

Rows are the true class and columns the predicted one, so ``matrix[4, 9]`` counts the 4s the
network read as 9s; the diagonal holds the correct answers.
"""

import numpy as np


def confusion_matrix(net, X, y):
    """The ``(n_out, n_out)`` int64 confusion matrix of ``net`` on ``X : (n_in, m)`` with the
    labels ``y : (m,)``: entry [i, j] counts the columns of true class i that ``net.predict``
    assigns to class j.  Raises ValueError for labels that do not fit the network."""
    k = net.sizes[-1]
    y = _check_labels(y, k)
    predicted = net.predict(X)
    if predicted.shape != y.shape:
        raise ValueError(f"y must hold one label per column of X: {X.shape[1]} columns, "
                         f"{y.size} labels")
    return count(y, predicted, k)


def count(y, predicted, k):
    """The ``(k, k)`` confusion matrix of the true labels ``y : (m,)`` and the predicted ones
    ``predicted : (m,)``, both integers in 0..k-1."""
    return np.bincount(y * k + predicted, minlength=k * k).reshape(k, k).astype(np.int64)


def recall(matrix):
    """Per class, the fraction of its examples predicted as it: ``(k,)``, nan for a class
    with no examples."""
    return _ratio(np.diag(matrix), matrix.sum(axis=1))


def precision(matrix):
    """Per class, the fraction of the examples predicted as it that are it: ``(k,)``, nan for
    a class never predicted."""
    return _ratio(np.diag(matrix), matrix.sum(axis=0))


def top_confusions(matrix, n=10):
    """The ``n`` largest off-diagonal entries that are not zero, largest first (ties by true,
    then predicted class): a list of (true, predicted, count)."""
    off = np.array(matrix, np.int64)
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:n]
    pairs = [(int(i), int(j), int(off[i, j])) for i, j in zip(*np.unravel_index(order, off.shape))]
    return [pair for pair in pairs if pair[2] > 0]


def report(matrix, n_confusions=10):
    """The lines `fastnet evaluate --confusion` prints: the matrix with row and column labels
    and each row's recall, a row of precisions, then the most frequent confusions."""
    k = matrix.shape[0]
    width = max(len(str(int(matrix.max()))), len(str(k - 1)), 6) + 1
    label = "true\\pred"
    lines = [f"{label:<10}" + "".join(f"{j:>{width}}" for j in range(k)) + f"{'recall':>9}"]
    for i, r in enumerate(recall(matrix)):
        lines.append(f"{i:<10}" + "".join(f"{c:>{width}}" for c in matrix[i]) + f"{_percent(r):>9}")
    lines.append(f"{'precision':<10}" + "".join(f"{_percent(p):>{width}}"
                                                for p in precision(matrix)))
    confusions = top_confusions(matrix, n_confusions)
    if confusions:
        lines += ["", "Most frequent confusions:"]
        lines += [f"  {i} read as {j}: {c}" for i, j, c in confusions]
    else:
        lines += ["", "No confusions: every example was read correctly."]
    return lines


def _ratio(numerator, denominator):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def _percent(value):
    return "-" if np.isnan(value) else f"{value:.1%}"


def _check_labels(y, k):
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise ValueError(f"y must be a 1-d array of integer labels, not an array of shape "
                         f"{y.shape} and dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"labels must lie in 0..{k - 1} for {k} output neurons, found "
                         f"{y.min()}..{y.max()}")
    return y.astype(np.int64)
