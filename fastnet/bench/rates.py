"""The yardsticks of efficiency: the FLOPs of an epoch's matrix products, and the rate
numpy's ``@`` multiplies at on this machine, measured in the same run as the epochs.
"""

import time

import numpy as np

from .implementations import N_EPOCH


def epoch_flops(sizes, n=N_EPOCH):
    """Floating-point operations of the matrix products of one epoch of n examples."""
    layers = [n_out * n_in for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return 2 * n * (2 * sum(layers) + sum(layers[1:]))


def matmul_rate(a, b, min_seconds=0.05, repeats=5):
    """GFLOP/s of ``a @ b`` with numpy (into a preallocated result): the best of `repeats`
    timings, each of enough calls to last `min_seconds`."""
    out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    np.matmul(a, b, out=out)
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < min_seconds / 5:
        np.matmul(a, b, out=out)
        calls += 1
    calls = max(1, int(calls * 5))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            np.matmul(a, b, out=out)
        best = min(best, (time.perf_counter() - start) / calls)
    return 2 * a.shape[0] * a.shape[1] * b.shape[1] / best / 1e9


def measure_rates(plan, rng):
    """{"square": {dtype: GFLOP/s}, "shape": {"784-30-10/100/float32": GFLOP/s, ...}}."""
    rates = {"square": {}, "shape": {}}
    for dtype in ("float64", "float32"):
        a = rng.standard_normal((plan.square, plan.square)).astype(dtype)
        rates["square"][dtype] = matmul_rate(a, a.copy())
        for sizes in plan.shapes:
            w = rng.standard_normal((sizes[1], sizes[0])).astype(dtype)
            for batch in plan.batches:
                x = np.asfortranarray(rng.standard_normal((sizes[0], batch)).astype(dtype))
                rates["shape"][shape_key(sizes, batch, dtype)] = matmul_rate(w, x)
    return rates


def shape_key(sizes, batch, dtype):
    return f"{'-'.join(map(str, sizes))}/{batch}/{dtype}"
