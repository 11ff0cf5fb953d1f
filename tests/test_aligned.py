"""The arrays training works in start on a cache line (`fastnet.aligned`, settings.ALIGN_BYTES):
the helpers themselves, and every parameter and work array a network trains in."""

import numpy as np
import pytest

from fastnet import aligned, parallel
from fastnet.network import Network
from fastnet.settings import ALIGN_BYTES


def is_aligned(array):
    return array.ctypes.data % ALIGN_BYTES == 0


@pytest.mark.parametrize("dtype", ["float64", "float32", "uint8"])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(3, 5), (784, 10), (1,), (0, 4), 7])
def test_empty_zeros_and_copy_are_aligned_arrays_of_the_shape_dtype_and_order(dtype, order,
                                                                               shape):
    keep = [np.empty(k) for k in range(1, 9)]  # the allocator's next address varies
    for make in (lambda: aligned.empty(shape, dtype, order),
                 lambda: aligned.zeros(shape, dtype, order)):
        out = make()
        assert is_aligned(out) or out.size == 0  # an empty array has no first element
        assert out.shape == np.empty(shape).shape and out.dtype == np.dtype(dtype)
        if out.ndim == 2 and out.size and min(out.shape) > 1:
            assert out.flags.f_contiguous if order == "F" else out.flags.c_contiguous
        assert out.flags.writeable
    assert not aligned.zeros(shape, dtype, order).any()
    source = np.arange(np.empty(shape).size).reshape(np.empty(shape).shape)
    copied = aligned.copy(source, dtype, order)
    assert is_aligned(copied) or copied.size == 0
    np.testing.assert_array_equal(copied, source.astype(dtype))
    assert not np.shares_memory(copied, source)
    del keep


def test_copy_keeps_the_dtype_unless_told():
    source = np.arange(6, dtype=np.float32).reshape(2, 3)[:, 1:]  # not contiguous
    out = aligned.copy(source)
    assert out.dtype == np.float32 and out.flags.c_contiguous and is_aligned(out)
    np.testing.assert_array_equal(out, source)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_array_a_network_trains_in_is_aligned(mnist_uint8, dtype):
    X, y = mnist_uint8[0]
    training = (X[:, :40], y[:40])
    net = Network([784, 12, 7, 10], dtype=dtype, seed=3)
    assert all(is_aligned(p) for p in net.weights + net.biases)
    net.SGD(training, 1, 10, 0.5, mu=0.5)
    ws = net.state.workspace(10)
    velocity = [a for w, b in net.state.slots for a in w + b]
    arrays = (net.weights + net.biases + velocity + [ws.x, ws.y, *ws.a, *ws.delta, ws.coef])
    assert velocity and all(is_aligned(a) for a in arrays)
    net.SGD(training, 1, 10, 0.01, optimizer="adam")
    adam = [a for w, b in net.state.slots for a in w + b] + net.state._gradients[0]
    assert len(adam) > len(velocity) and all(is_aligned(a) for a in adam)
    # parameters set by a user (or read from a model file) and a restored snapshot
    net.weights = [w.astype(np.float64)[:, :] for w in net.weights]
    net.biases = [np.asfortranarray(b) for b in net.biases]
    assert all(is_aligned(p) for p in net.weights + net.biases)
    saved = net.state.snapshot()
    net.state.restore(saved)
    assert all(is_aligned(p) for p in net.weights + net.biases)


def test_the_threads_arrays_are_aligned():
    shared, parts = parallel.buffers([784, 30, 10], 100, np.float64, 2)
    arrays = [a for group in shared for a in group] + [a for part in parts for a in part]
    assert arrays and all(is_aligned(a) for a in arrays)
