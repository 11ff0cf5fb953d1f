"""The numba kernels against plain float64 numpy (and scipy's expit where installed)."""

import warnings

import numpy as np
import pytest

from fastnet import kernels, reference
from fastnet.tolerances import SIGMOID_ATOL, SIGMOID_RTOL

DTYPES = ["float64", "float32"]


def _expit(z):
    """The float64 reference sigmoid: scipy's when available, else the oracle's."""
    try:
        from scipy.special import expit
    except ImportError:
        return reference.sigmoid(np.asarray(z, np.float64))
    return expit(np.asarray(z, np.float64))


@pytest.mark.parametrize("dtype", DTYPES)
def test_bias_sigmoid_matches_expit_and_never_warns(dtype):
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 5, (30, 200)), rng.uniform(-1e4, 1e4, (30, 200)),
                        np.linspace(-40, 40, 30 * 200).reshape(30, 200)], axis=1).astype(dtype)
    b = rng.normal(0, 1, (30, 1)).astype(dtype)
    # z + b is rounded to the working precision before the sigmoid sees it; the kernel is
    # judged on the sigmoid of that rounded sum.
    expected = _expit(z + b)
    a = z.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kernels._bias_sigmoid(a, b)
    np.testing.assert_allclose(a, expected, rtol=SIGMOID_RTOL[dtype], atol=SIGMOID_ATOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_limits_are_exact(dtype):
    z = np.array([[-1e4, -1000.0, -800.0, 800.0, 1000.0, 1e4]], dtype)
    kernels._bias_sigmoid(z, np.zeros((1, 1), dtype))
    np.testing.assert_array_equal(z, [[0, 0, 0, 1, 1, 1]])
    inf = np.array([[-np.inf, np.inf, np.nan]], dtype)
    kernels._bias_sigmoid(inf, np.zeros((1, 1), dtype))
    assert inf[0, 0] == 0 and inf[0, 1] == 1 and np.isnan(inf[0, 2])


@pytest.mark.parametrize("dtype", DTYPES)
def test_bias_softmax_matches_numpy(dtype):
    rng = np.random.default_rng(1)
    z = rng.normal(0, 30, (10, 50)).astype(dtype)
    b = rng.normal(0, 1, (10, 1)).astype(dtype)
    shifted = z.astype(np.float64) + b
    e = np.exp(shifted - shifted.max(axis=0))
    expected = e / e.sum(axis=0)
    kernels._bias_softmax(z, b)
    np.testing.assert_allclose(z, expected, rtol=10 * SIGMOID_RTOL[dtype],
                               atol=SIGMOID_ATOL[dtype])
    np.testing.assert_allclose(z.sum(axis=0), 1, rtol=10 * SIGMOID_RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_deltas_and_updates_match_numpy(dtype):
    rng = np.random.default_rng(2)
    tol = {"rtol": 4 * SIGMOID_RTOL[dtype], "atol": 4 * SIGMOID_RTOL[dtype]}
    a = rng.uniform(0, 1, (10, 20)).astype(dtype)
    y = np.eye(10, 20, dtype=dtype)
    delta = np.empty_like(a)
    kernels._delta_quadratic(a, y, delta)
    np.testing.assert_allclose(delta, (a - y) * a * (1 - a), **tol)
    kernels._delta_difference(a, y, delta)
    np.testing.assert_allclose(delta, a - y, **tol)

    d = rng.normal(size=(10, 20)).astype(dtype)
    expected = d * a * (1 - a)
    kernels._times_sigmoid_prime(d, a)
    np.testing.assert_allclose(d, expected, **tol)

    out = np.empty((10, 1), dtype)
    kernels._sum_columns(d, out)
    np.testing.assert_allclose(out, d.sum(axis=1, keepdims=True), **tol)

    w = rng.normal(size=(10, 20)).astype(dtype)
    grad = rng.normal(size=(10, 20)).astype(dtype)
    expected = 0.99 * w - 0.3 * grad
    kernels._update(w, grad, 0.99, 0.3)
    np.testing.assert_allclose(w, expected, **tol)

    v = rng.normal(size=(10, 20)).astype(dtype)
    expected_v = 0.9 * v - 0.01 * w - 0.3 * grad
    expected_w = w + expected_v
    kernels._update_momentum(w, v, grad, 0.9, 0.01, 0.3)
    np.testing.assert_allclose(v, expected_v, **tol)
    np.testing.assert_allclose(w, expected_w, **tol)


@pytest.mark.parametrize("source", ["uint8", "float64", "float32"])
def test_gather_copies_columns_and_one_hots_labels(source):
    rng = np.random.default_rng(3)
    X = np.asfortranarray(rng.integers(0, 256, (6, 9)).astype(source))
    labels = rng.integers(0, 4, 9)
    index = np.array([8, 0, 3])
    scale = 1 / 256 if source == "uint8" else 1.0
    out_x = np.empty((6, 3), order="F")
    out_y = np.full((4, 3), 7.0)
    kernels._gather(X, labels, index, out_x, out_y, scale)
    np.testing.assert_array_equal(out_x, X[:, index] * scale)
    np.testing.assert_array_equal(out_y, np.eye(4)[:, labels[index]])


def test_all_finite():
    assert kernels._all_finite(np.ones((3, 3)))
    for bad in (np.inf, -np.inf, np.nan):
        x = np.ones((3, 3))
        x[2, 1] = bad
        assert not kernels._all_finite(x)
