"""Mini-batch update: the reference's per-example step against the vectorized one.

One `update_mini_batch` on real MNIST images, through each implementation's public method.
Before timing, one step from the same parameters is checked: float64 equals the reference to
CROSSCHECK_ATOL, float32 follows float64 to FLOAT32_ATOL.  The timed calls then keep stepping
the same network (a tiny eta keeps it from drifting far; the work per call is the same).
"""

import numpy as np
import pytest

import fastnet
from fastnet import reference
from fastnet.tolerances import CROSSCHECK_ATOL, FLOAT32_ATOL

SIZES = [784, 30, 10]
ETA = 3.0


def _batch(data, m):
    (X, y) = data.train
    return X[:, :m] / 256.0, y[:m]


def _max_difference(a, b):
    return max(float(np.max(np.abs(p - q))) for p, q in zip(a, b))


@pytest.mark.parametrize("batch", [10, 100])
@pytest.mark.parametrize("impl", ["reference", "fastnet-float64", "fastnet-float32"])
@pytest.mark.benchmark(group="mini-batch update")
def test_update_mini_batch(benchmark, record, data, impl, batch):
    X, y = _batch(data, batch)
    ref = reference.Network(SIZES, np.random.default_rng(1))
    start = ref.weights + ref.biases
    ref.update_mini_batch(X, y, np.arange(batch), ETA)
    if impl == "reference":
        fn, args = ref.update_mini_batch, (X, y, np.arange(batch), 1e-9)
    else:
        dtype = impl.split("-")[1]
        net = fastnet.Network(SIZES, dtype=dtype, seed=1)
        assert _max_difference(net.weights + net.biases, start) == 0 or dtype == "float32"
        Y = fastnet.one_hot(y)
        net.update_mini_batch(X, Y, ETA)
        tol = CROSSCHECK_ATOL if dtype == "float64" else FLOAT32_ATOL
        assert _max_difference(net.weights + net.biases, ref.weights + ref.biases) <= tol
        fn, args = net.update_mini_batch, (X.astype(dtype), Y, 1e-9)
    record(impl=impl, dtype="float64" if impl == "reference" else impl.split("-")[1],
           sizes=SIZES, batch=batch)
    benchmark(fn, *args)
