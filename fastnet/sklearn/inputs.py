"""The estimator's data in the engine's form: dense rows in the network's dtype, targets, and
the outputs of a data set, chunk by chunk.

scikit-learn hands an estimator ``X : (n_samples, n_features)``, one example per row; the
engine reads ``(n_features, n_samples)``, one example per column, F-ordered (each example
contiguous, `fastnet.gather`).  The transpose of a C-ordered ``(n_samples, n_features)`` array
is exactly that, with no copy, so everything here makes (or keeps) C-ordered rows:

- a C-ordered array of the network's dtype is used as it is;
- any other dtype (uint8, int, float64 for a float32 network, ...) is cast once, as numbers:
  uint8 values are *not* pixel bytes here (`fastnet.Network` scales those by 1/256);
- an F-ordered or strided array is copied once (its transpose would reach the engine as
  scattered columns: epochs 5x slower), in the same copy as the cast, by `validate_data`;
- a read-only array (a memory map) is copied once: numba compiles its kernels anew for
  read-only arrays (seconds, per kind of data), and the copy is what one epoch reads anyway;
- a sparse matrix is densified row chunk by row chunk into one dense array (the engine
  gathers examples from anywhere in the set), without a dense temporary of its own; for
  prediction, chunk by chunk only (`outputs`).

So a `fit` copies X at most once (with ``early_stopping``, the validation rows, a
``validation_fraction`` of them, are gathered once more; the training rows stay where they are,
trained on through the epoch's order).  Shapes as said: ``X : (n_samples, n_features)`` here, its
transpose in the engine; outputs ``(n_samples, n_outputs)``.
"""

import numpy as np
from scipy import sparse

from ..evaluation import outputs as network_outputs
from ..settings import EVAL_CHUNK

# Bytes of dense rows made from a sparse matrix at a time: the CSR slice of a chunk and the
# rows it fills stay small whatever the data set's size.
DENSIFY_CHUNK_BYTES = 8 * 1024 * 1024


def dense_rows(X, dtype):
    """``X : (n_samples, n_features)`` (validated: a numpy array or a sparse matrix, already
    of ``dtype``) as a writeable C-ordered numpy array of ``dtype``: itself when it is one,
    else one copy (see the module)."""
    if sparse.issparse(X):
        return _densify(X, dtype)
    if X.dtype != dtype or not X.flags.c_contiguous or not X.flags.writeable:
        return np.array(X, dtype=dtype, order="C")
    return X


def _densify(X, dtype):
    X = X.tocsr()
    n, d = X.shape
    itemsize = np.dtype(dtype).itemsize
    try:
        out = np.empty((n, d), dtype)
    except MemoryError:
        raise MemoryError(f"sparse X of shape {X.shape} needs {n * d * itemsize / 2**30:.1f} "
                          f"GiB as a dense array, which fastnet trains on") from None
    rows = max(1, DENSIFY_CHUNK_BYTES // max(1, d * itemsize))
    for start in range(0, n, rows):
        chunk = X[start:start + rows]
        if chunk.dtype != dtype:
            chunk = chunk.astype(dtype)
        chunk.toarray(out=out[start:start + rows])
    return out


def engine_targets(Y, multiclass, dtype):
    """The engine's targets for the binarized ``Y : (n_samples, n_outputs)`` (0/1, as
    `sklearn.preprocessing.LabelBinarizer` gives them): int64 labels ``(n_samples,)`` for a
    multiclass problem (one-hot in the gather, `fastnet.gather`), else a C-ordered target
    matrix ``(n_outputs, n_samples)`` of ``dtype`` (binary: one output; multilabel)."""
    if multiclass:
        return np.argmax(Y, axis=1).astype(np.int64, copy=False)
    return np.ascontiguousarray(Y.T, dtype=dtype)


def outputs(net, X):
    """The output activations ``(n_samples, n_outputs)`` of the `fastnet.Network` ``net`` for
    ``X : (n_samples, n_features)`` (validated, of the network's dtype; dense or sparse),
    `settings.EVAL_CHUNK` rows at a time: a sparse chunk is densified on its own."""
    if sparse.issparse(X):
        X = X.tocsr()
    n = X.shape[0]
    out = np.empty((net.sizes[-1], n), net.dtype, order="F")  # its transpose is C-ordered
    for start in range(0, n, EVAL_CHUNK):
        chunk = X[start:start + EVAL_CHUNK]
        if sparse.issparse(chunk):
            chunk = chunk.toarray()
        out[:, start:start + EVAL_CHUNK] = network_outputs(net, chunk.T, start)
    return out.T
