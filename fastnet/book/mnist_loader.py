"""Drop-in for the book's mnist_loader.py: ``from fastnet.book import mnist_loader``.

`load_data` and `load_data_wrapper` return what the book's Python 3 mnist_loader returns, in
the same formats, read offline from the bundled MNIST (or ``$FASTNET_DATA``, see
`fastnet.load_mnist`) instead of ``mnist.pkl.gz`` in the working directory; the split and the
pixels (value/256, float32) are those of mnist.pkl.gz.

As in the book, every training ``x`` from `load_data_wrapper` is a ``(784, 1)`` view of one row
of the ``(50000, 784)`` image array, not a copy; `fastnet.book.network` and
`fastnet.book.network2` recognise such views and train on that array directly.
"""

import numpy as np

from ..data import load_mnist
from ..reference import vectorized_result

__all__ = ["load_data", "load_data_wrapper", "vectorized_result"]


def load_data(path=None):
    """``(training_data, validation_data, test_data)``, each a pair ``(images, labels)``:
    images ``(n, 784)`` float32 (value/256), labels ``(n,)`` int64; n = 50,000, 10,000 and
    10,000.  ``path`` is optional, as for `fastnet.load_mnist` (the book's takes none)."""
    return tuple((X.T, y) for X, y in load_mnist(path, dtype=np.float32))


def load_data_wrapper(path=None):
    """``(training_data, validation_data, test_data)`` in the book's network format, each an
    iterator (a ``zip``, as in the Python 3 port: consumed once) of pairs ``(x, y)``:
    ``x : (784, 1)`` float32, a view of the images; ``y`` a one-hot ``(10, 1)`` float64 array
    for training (from `vectorized_result`) and the int label for validation and test."""
    (train_images, train_labels), validation, test = load_data(path)
    training_inputs = [np.reshape(x, (784, 1)) for x in train_images]
    training_results = [vectorized_result(y) for y in train_labels]
    return (zip(training_inputs, training_results),
            zip([np.reshape(x, (784, 1)) for x in validation[0]], validation[1]),
            zip([np.reshape(x, (784, 1)) for x in test[0]], test[1]))
