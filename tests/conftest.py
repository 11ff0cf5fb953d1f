"""Fixtures shared by the test modules: the bundled MNIST, loaded once per session."""

import numpy as np
import pytest

from fastnet import load_mnist


@pytest.fixture(scope="session")
def mnist():
    """The bundled data set, float64: ((X, y), (X, y), (X, y)) with X : (784, n)."""
    return load_mnist()


@pytest.fixture(scope="session")
def mnist_uint8():
    """The bundled data set as raw pixel bytes."""
    return load_mnist(dtype=np.uint8)
