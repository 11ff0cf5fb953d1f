"""Fixtures shared by the test modules: the bundled MNIST, loaded once per session."""

import signal

import numpy as np
import pytest

from fastnet import load_mnist


def pytest_configure(config):
    """Give Ctrl-C back to the suite when it was started with SIGINT ignored.

    A shell starts a background job (``python -m pytest &`` in a script) with SIGINT ignored;
    the commands the tests start would inherit that, and Ctrl-C's tests (the run kept, exit
    130) would then wait for an interrupt that never comes.  A handler, unlike an ignored
    signal, does not pass to a child: the commands start with SIGINT at its default and install
    Python's own handler, as they do from a terminal."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def mnist():
    """The bundled data set, float64: ((X, y), (X, y), (X, y)) with X : (784, n)."""
    return load_mnist()


@pytest.fixture(scope="session")
def mnist_uint8():
    """The bundled data set as raw pixel bytes."""
    return load_mnist(dtype=np.uint8)


def redraw(field, path, rng):
    """Write the MNIST image ``field : (28, 28)`` (uint8, ink bright) to ``path`` as a person
    might scan or photograph their own digit: enlarged 3 to 8 times, dark coloured ink on light
    paper, somewhere off-centre on a larger sheet, in colour; as JPEG when ``path`` ends in
    .jpg.  Needs Pillow."""
    from PIL import Image

    scale = int(rng.integers(3, 9))
    side = 28 * scale
    big = Image.fromarray(np.ascontiguousarray(field)).resize((side, side),
                                                               Image.Resampling.BICUBIC)
    ink = np.asarray(big, np.float64)[..., None] / 255
    height, width = side + int(rng.integers(10, 150)), side + int(rng.integers(10, 250))
    top, left = int(rng.integers(0, height - side)), int(rng.integers(0, width - side))
    sheet = np.empty((height, width, 3))
    sheet[...] = rng.uniform(215, 250)  # the paper
    colour = rng.uniform(0, 60, 3)  # black or blue-black ink
    area = sheet[top:top + side, left:left + side]
    area[...] = area * (1 - ink) + colour * ink
    image = Image.fromarray(np.rint(sheet).astype(np.uint8), "RGB")
    if str(path).endswith(".jpg"):
        image.save(path, quality=int(rng.integers(60, 95)))
    else:
        image.save(path)
    return path
