"""The book's data sets, lists of ``(x, y)`` pairs, as the arrays the engine trains on.

The book's code takes data as lists of pairs: ``x : (784, 1)`` a column of pixels, and ``y``
either a one-hot ``(10, 1)`` target (training data) or an int label (validation and test
data).  The engine takes ``X : (784, N)`` F-ordered, one example per column, with int labels.
`as_arrays` turns the first into the second once per call, without copying when it can:

- **Views of one array** (what `fastnet.book.mnist_loader` and the book's mnist_loader give:
  every x a ``(784, 1)`` view of one row of a ``(n, 784)`` array): the columns are already
  side by side in memory, so ``X`` is a view of that array and each pair is a column index.
  Nothing is copied, and the data keep their dtype (float32 from the loaders).
- **Separate arrays** (a list the user built): they are stacked once into a new ``X``.

Either way the result is ``Columns(X, labels, index)``: pair i of the list is column
``index[i]`` of ``X``, with label ``labels[index[i]]``; or, for training targets that are not
all one-hot (the book accepts any ``(10, 1)`` array, soft targets such as 0.1/0.9 too),
``labels`` is the target matrix ``(n_out, N)`` and pair i's target its column ``index[i]``.
Every element is checked on the way; a wrong one gives a ValueError naming it
(``training_data[17]: x must be ...``).
"""

import numbers
from dataclasses import dataclass

import numpy as np

from ..finite import _all_finite

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


@dataclass
class Columns:
    """A data set as the engine takes it: pair i is column ``index[i]`` of ``X``.

    X : (n_in, N) F-ordered, float32 or float64; labels : (N,) int64, or targets
    (n_out, N) float64; index : (n,) int64.  ``copied`` says whether X had to be stacked
    (False: a view of the caller's array).
    """

    X: np.ndarray
    labels: np.ndarray
    index: np.ndarray
    copied: bool

    def __len__(self):
        return len(self.index)

    def chunks(self, size):
        """``(X_chunk : (n_in, <= size), labels_chunk)`` over the pairs in order (labels, or
        target columns): slices of X where the pairs are consecutive columns, else gathered
        chunk by chunk (never the whole set at once)."""
        index = self.index
        n = len(index)
        if n and index[-1] - index[0] == n - 1 and np.all(np.diff(index) == 1):
            start = int(index[0])
            for k in range(0, n, size):
                stop = min(n, k + size)
                yield self.X[:, start + k:start + stop], self.labels[..., start + k:start + stop]
            return
        for k in range(0, n, size):
            part = index[k:k + size]
            yield self.X[:, part], self.labels[..., part]


def as_arrays(pairs, n_in, n_out, one_hot, what, spent=False):
    """``Columns`` for the list ``pairs`` of ``(x, y)``: ``x : (n_in, 1)`` float arrays, ``y``
    ``(n_out, 1)`` target arrays (``one_hot=True``: the training data's format; one-hot
    targets become labels) or int labels in 0..n_out-1.

    ``what`` names the data in errors; ``spent``: the pairs came from an iterator (a zip), which
    an empty list then probably means was read before.  Raises ValueError for an empty list, a
    pair that is not a pair, an x of another shape or dtype, a target that is not finite or a
    label out of range, or pixels that are not finite.
    """
    n = len(pairs)
    if not n:
        hint = (" (it is an iterator, such as the zip the book's loader returns, which can be "
                "read only once: pass list(...) of it to read it again)" if spent else "")
        raise ValueError(f"{what} is empty{hint}")
    xs, ys = [None] * n, [None] * n
    shape = (n_in, 1)
    for i, pair in enumerate(pairs):
        try:
            x, y = pair
        except (TypeError, ValueError):
            raise ValueError(f"{what}[{i}] must be a pair (x, y), not {_brief(pair)}") from None
        if not isinstance(x, np.ndarray) or x.shape != shape or x.dtype not in FLOATS:
            raise ValueError(f"{what}[{i}]: x must be a {shape} float32 or float64 array, "
                             f"not {_describe(x)}")
        xs[i], ys[i] = x, y
    labels = _targets(ys, n_out, what) if one_hot else _int_labels(ys, n_out, what)
    columns = _view_of_one_array(xs, n_in)
    if columns is None:
        X = _stacked(xs, n_in)
        result = Columns(X, labels, np.arange(n, dtype=np.int64), True)
    else:
        X, index = columns
        column_labels = np.zeros(labels.shape[:-1] + (X.shape[1],), labels.dtype)
        column_labels[..., index] = labels
        if not np.array_equal(column_labels[..., index], labels):
            # One image listed twice with two labels: the columns cannot carry both.
            result = Columns(_stacked(xs, n_in), labels, np.arange(n, dtype=np.int64), True)
        else:
            result = Columns(X, column_labels, index, False)
    if not _all_finite(result.X.T):  # (N, n_in) C-ordered: read in place, not copied
        bad = next((i for i, x in enumerate(xs) if not _all_finite(x)), None)
        if bad is not None:
            raise ValueError(f"{what}[{bad}]: x contains inf or nan")
        # The pairs are finite, other columns of their array are not: train on a copy.
        result = Columns(_stacked(xs, n_in), labels, np.arange(n, dtype=np.int64), True)
    return result


def _targets(ys, n_out, what):
    """The training targets: int labels ``(n,)`` when every y is one-hot (the loader's), else
    the target matrix ``(n_out, n)`` (soft targets, as the book's code takes them too)."""
    shape = (n_out, 1)
    for i, y in enumerate(ys):
        if not isinstance(y, np.ndarray) or y.shape != shape or y.dtype.kind not in "fiub":
            raise ValueError(f"{what}[{i}]: y must be a {shape} target array such as "
                             f"vectorized_result gives (the training data's format), not "
                             f"{_describe(y)}")
    Y = np.concatenate(ys, axis=1)  # (n_out, n): small next to the images
    finite = np.isfinite(Y).all(axis=0)
    if not finite.all():
        i = int(np.argmin(finite))
        raise ValueError(f"{what}[{i}]: y contains inf or nan")
    one_hot = np.all((Y == 0) | (Y == 1), axis=0) & (np.count_nonzero(Y, axis=0) == 1)
    if not one_hot.all():
        return Y.astype(np.float64)
    return np.argmax(Y, axis=0).astype(np.int64)


def _int_labels(ys, n_out, what):
    labels = np.empty(len(ys), np.int64)
    for i, y in enumerate(ys):
        if isinstance(y, np.ndarray) and y.shape == () and y.dtype.kind in "iu":
            y = y.item()
        if isinstance(y, (bool, np.bool_)) or not isinstance(y, numbers.Integral):
            raise ValueError(f"{what}[{i}]: y must be an int label (the validation and test "
                             f"data's format), not {_describe(y)}")
        if not 0 <= y < n_out:
            raise ValueError(f"{what}[{i}]: label {y} is out of range 0..{n_out - 1}")
        labels[i] = y
    return labels


def _view_of_one_array(xs, n_in):
    """``(X, index)`` when every x is a contiguous column of one C- or F-contiguous array,
    the columns n_in elements apart (rows of a (N, n_in) array): X : (n_in, N') a view of it,
    pair i its column index[i].  None otherwise."""
    base = xs[0].base
    if not isinstance(base, np.ndarray) or not (base.flags.c_contiguous
                                                or base.flags.f_contiguous):
        return None
    dtype = base.dtype
    if dtype not in FLOATS:
        return None
    for x in xs:
        if x.base is not base or x.dtype != dtype or x.strides[0] != dtype.itemsize:
            return None
    flat = base.ravel(order="K")  # the memory in order, a view of a contiguous array
    start = flat.__array_interface__["data"][0]
    address = np.fromiter((x.__array_interface__["data"][0] for x in xs), np.int64, len(xs))
    offset, remainder = np.divmod(address - start, dtype.itemsize)
    if remainder.any() or offset.min() < 0:
        return None
    first = int(offset.min())
    column, remainder = np.divmod(offset - first, n_in)
    n_columns = int(column.max()) + 1
    if remainder.any() or first + n_columns * n_in > flat.size:
        return None
    X = flat[first:first + n_columns * n_in].reshape(n_columns, n_in).T
    return X, column.astype(np.int64)


def _stacked(xs, n_in):
    """The columns side by side in a new (n_in, n) F-ordered array of their common dtype."""
    dtype = np.result_type(*{x.dtype for x in xs})
    rows = np.empty((len(xs), n_in), dtype)  # its transpose is the F-ordered X
    for i, x in enumerate(xs):
        rows[i] = x[:, 0]
    return rows.T


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {_brief(value)}"


def _brief(value, limit=40):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
