"""Kernels: the numba kernels of a mini-batch step against the same work in plain numpy.

Each pair works in place on one buffer, as the engine does; before timing, each result is
checked against an exact computation.  numpy gets its fastest form: in-place ufuncs into
preallocated buffers, no temporaries where it can avoid them.
"""

import numpy as np
import pytest

from fastnet import activations, costs, layers, updates
from fastnet.tolerances import SIGMOID_ATOL, SIGMOID_RTOL

SIGMOID = activations.code("sigmoid")
QUADRATIC = costs.code(costs.QuadraticCost)
NO_WEIGHTS = np.empty(0)

SHAPES = [(30, 10), (30, 100), (100, 1000), (30, 10000)]
DTYPES = ["float64", "float32"]


def numpy_bias_sigmoid(z, b):
    np.add(z, b, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    np.add(z, 1, out=z)
    np.reciprocal(z, out=z)


def numpy_delta_quadratic(a, y, delta, scratch):
    np.subtract(a, y, out=delta)
    np.subtract(1, a, out=scratch)
    np.multiply(scratch, a, out=scratch)
    np.multiply(delta, scratch, out=delta)


def numpy_times_sigmoid_prime(delta, a, scratch):
    np.subtract(1, a, out=scratch)
    np.multiply(scratch, a, out=scratch)
    np.multiply(delta, scratch, out=delta)


def numpy_update_bias(b, delta, step, sums):
    np.sum(delta, axis=1, keepdims=True, out=sums)
    sums *= step
    b -= sums


def _arrays(shape, dtype):
    rng = np.random.default_rng(0)
    z = rng.normal(0, 4, shape).astype(dtype)
    b = rng.normal(0, 1, (shape[0], 1)).astype(dtype)
    a = rng.uniform(0, 1, shape).astype(dtype)
    y = np.zeros(shape, dtype)
    y[rng.integers(0, shape[0], shape[1]), np.arange(shape[1])] = 1
    return z, b, a, y


def _exact_sigmoid(z):
    z = z.astype(np.longdouble)
    return 1 / (1 + np.exp(-z))


def _cases(shape, dtype):
    """Per kernel: (numba call, numpy call, the array both write, its exact value, rtol).

    A call is (function, args); both calls of a kernel work in place on their own copies.
    """
    z, b, a, y = _arrays(shape, dtype)
    a64, z64, b64 = (x.astype(np.float64) for x in (a, z, b))
    scratch = np.empty_like(a)
    rtol = SIGMOID_RTOL[dtype]
    step = 1e-9  # small, so that b barely moves over the timing loop

    # one output buffer for each implementation
    z1, z2, h1, h2 = z.copy(), z.copy(), z.copy(), z.copy()
    d1, d2 = np.empty_like(a), np.empty_like(a)
    b1, b2 = b.copy(), b.copy()
    return {
        "bias_sigmoid": ((layers._bias_activate, (z1, b, SIGMOID)), (numpy_bias_sigmoid, (z2, b)),
                         (z1, z2), _exact_sigmoid(z + b), rtol),
        "delta_quadratic": ((layers._output_delta, (a, y, d1, QUADRATIC, NO_WEIGHTS, False,
                                                    np.zeros(2))),
                            (numpy_delta_quadratic, (a, y, d2, scratch)),
                            (d1, d2), (a64 - y) * a64 * (1 - a64), 4 * rtol),
        "times_sigmoid_prime": ((layers._times_prime, (h1, a, SIGMOID)),
                                (numpy_times_sigmoid_prime, (h2, a, scratch)),
                                (h1, h2), z64 * a64 * (1 - a64), 4 * rtol),
        # without momentum (mu = 0) the velocity arguments are not read: b1 stands in
        "update_bias": ((updates._update_bias, (b1, b1, z, 0.0, step)),
                        (numpy_update_bias, (b2, z, step, np.empty_like(b))),
                        (b1, b2), b64 - step * z64.sum(axis=1, keepdims=True), 4 * rtol),
    }


GROUPS = {"bias_sigmoid": "bias + sigmoid", "delta_quadratic": "quadratic output delta",
          "times_sigmoid_prime": "hidden delta * sigma'",
          "update_bias": "bias update from the deltas"}


@pytest.mark.parametrize("impl", ["numba", "numpy"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("kernel", list(GROUPS))
def test_kernel(benchmark, record, kernel, impl, dtype, shape):
    numba_call, numpy_call, outputs, expected, rtol = _cases(shape, dtype)[kernel]
    fn, args = numba_call if impl == "numba" else numpy_call
    out = outputs[0] if impl == "numba" else outputs[1]
    fn(*args)  # also compiles or loads the numba kernel before timing
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=max(SIGMOID_ATOL[dtype], 1e-12))
    benchmark.group = f"kernels: {GROUPS[kernel]}"
    record(kernel=kernel, impl=impl, dtype=dtype, shape=list(shape))
    # Repeated in place, the values change (sigmoid of sigmoid, deltas shrinking); the work
    # per call does not, for either implementation.
    benchmark(fn, *args)
