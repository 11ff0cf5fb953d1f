"""`fastnet bench`'s rows "fastnet.book, the book's data format": the drop-in
`fastnet.book.network2` against the book's per-example algorithm, on the data as the book's
users hold them.

The setting is the book's chapter-3 run: network2 ``[784, 30, 10]``, cross-entropy cost,
mini-batch 10, eta 0.5, lmbda 5.0.  fastnet.book is timed as a user calls it, one whole
``net.SGD(training_data, epochs, 10, 0.5, lmbda=5.0)`` (its ``list()``, its checks, the view
detection or the stacking, and its printed epoch lines, sent to a buffer), per epoch.  The
book's side is `fastnet.reference.Network2`, the book's network2 algorithm one example at a
time (as the book's code runs it), timed on fewer images and scaled to the epoch.  Two forms:

- ``views``: as the book's mnist_loader yields them, each x a ``(784, 1)`` float32 view of one
  row of an ``(n, 784)`` array (what `fastnet.book.mnist_loader` gives);
- ``float64-list``: a user's own list of separate ``(784, 1)`` float64 arrays.

Both forms are built once, outside the timings, and dropped after their row.  fastnet.book
draws from ``random`` and ``np.random`` as the book does; their states are put back after.
"""

import contextlib
import io
import random
import time

import numpy as np

from .. import reference
from ..book import network2
from .implementations import SEED

SIZES = [784, 30, 10]
BATCH, ETA, LMBDA = 10, 0.5, 5.0  # the book's chapter-3 run
FORMS = {"views": 12.0, "float64-list": 8.0}  # each form and issue 12's target speedup
WARM_UP_IMAGES = 1000  # one untimed epoch on these first: kernels loaded, caches warm


def run(data, epochs, n_train, reference_images):
    """One row per form in `FORMS`: fastnet.book's seconds per epoch over ``epochs`` epochs of
    the first ``n_train`` images of ``data.train`` (uint8 ``(784, n)``), the reference's over
    one epoch of ``reference_images`` (scaled to n_train), their ratio, and each one's
    validation accuracy before and after.  Raises RuntimeError if either did not learn."""
    X, y = data.train
    # The book's pixels: value/256 in float32 (exact: 1/256 is a power of two), one row each.
    rows = np.multiply(X[:, :n_train].T, np.float32(1 / 256), dtype=np.float32)
    targets = [reference.vectorized_result(label) for label in y[:n_train]]
    Xv, yv = data.evaluation
    validation = list(zip(np.multiply(Xv.T, np.float32(1 / 256), dtype=np.float32)
                          .reshape(-1, SIZES[0], 1), yv.tolist()))
    reference_seconds, reference_accuracy = _time_reference(data, reference_images, n_train)
    result = []
    states = random.getstate(), np.random.get_state()
    try:
        for form, target in FORMS.items():
            inputs = [np.reshape(x, (SIZES[0], 1)) for x in rows]
            if form == "float64-list":
                inputs = [x.astype(np.float64) for x in inputs]
            train = list(zip(inputs, targets))
            del inputs
            seconds, before, after = _time_book(train, validation, epochs)
            del train
            for name, accuracy_before, accuracy_after in (
                    ("fastnet.book", before, after), ("reference", *reference_accuracy)):
                if not accuracy_after > accuracy_before:
                    raise RuntimeError(f"{name} did not learn on the book's data format "
                                       f"({form}): validation accuracy {accuracy_after:.3f}, "
                                       f"not above {accuracy_before:.3f}")
            result.append({"form": form, "sizes": SIZES, "batch": BATCH, "eta": ETA,
                           "lmbda": LMBDA, "n_train": n_train, "epochs_timed": epochs,
                           "seconds_per_epoch": seconds,
                           "reference_images_timed": reference_images,
                           "reference_seconds_per_epoch": reference_seconds,
                           "speedup_vs_reference": reference_seconds / seconds,
                           "target": target, "accuracy_before": before, "accuracy_after": after,
                           "reference_accuracy": list(reference_accuracy)})
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
    return result


def _time_book(train, validation, epochs):
    """``(seconds per epoch, accuracy before, accuracy after)`` of one whole fastnet.book
    network2 SGD call of ``epochs`` epochs on the book-format pairs ``train``."""
    np.random.seed(SEED)
    random.seed(SEED)
    with contextlib.redirect_stdout(io.StringIO()):
        network2.Network(SIZES).SGD(train[:WARM_UP_IMAGES], 1, BATCH, ETA, lmbda=LMBDA)
        net = network2.Network(SIZES)
        before = net.accuracy(validation) / len(validation)
        start = time.perf_counter()
        net.SGD(train, epochs, BATCH, ETA, lmbda=LMBDA)
        seconds = (time.perf_counter() - start) / epochs
    return seconds, before, net.accuracy(validation) / len(validation)


def _time_reference(data, k, n_train):
    """``(seconds per epoch of n_train images, (accuracy before, after))`` of the reference's
    network2 over one epoch of the first k images (float64, value/256)."""
    X, y = data.train
    X = X[:, :k] / 256.0
    Xv, yv = data.evaluation
    net = reference.Network2(SIZES, np.random.default_rng(SEED))
    before = net.accuracy((Xv / 256.0, yv)) / len(yv)
    start = time.perf_counter()
    net.SGD((X, y[:k]), 1, BATCH, ETA, lmbda=LMBDA)
    seconds = (time.perf_counter() - start) * n_train / k
    return seconds, (before, net.accuracy((Xv / 256.0, yv)) / len(yv))
