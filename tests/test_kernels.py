"""The numba kernels against plain numpy and exact (long double) activations: the layer blocks'
element-wise work (`fastnet.layers`), the updates' (`fastnet.updates`), the gather
(`fastnet.gather`), BLAS from compiled code (`fastnet.blas`) and the finiteness checks
(`fastnet.finite`)."""

import itertools
import warnings

import numba

import numpy as np
import pytest

from fastnet import activations, blas, costs, finite, gather, layers, penalties, updates
from fastnet.settings import PREFETCH_AHEAD_L2
from fastnet.tolerances import SIGMOID_ATOL, SIGMOID_RTOL, TANH_RTOL

SIGMOID = activations.code("sigmoid")
L2 = penalties.code("l2")
NO_WEIGHTS = np.empty(0)

DTYPES = ["float64", "float32"]


def _exact_sigmoid(z):
    """The logistic function in long double (80-bit on x86), with exp only of -|z|, so that
    subnormal results are right too (scipy's expit returns 0 below z = -709.78)."""
    z = np.asarray(z, np.longdouble)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_tolerance(dtype):
    """SIGMOID_RTOL, plus the reference's own rounding where long double is only double."""
    own = 4 * np.finfo(np.longdouble).eps if np.finfo(np.longdouble).eps >= 1e-16 else 0.0
    return {"rtol": SIGMOID_RTOL[dtype] + own, "atol": SIGMOID_ATOL[dtype]}


@pytest.mark.parametrize("dtype", DTYPES)
def test_bias_sigmoid_matches_exact_sigmoid_over_the_range(dtype):
    rng = np.random.default_rng(0)
    tiny, sub = np.finfo(dtype).tiny, np.finfo(dtype).smallest_subnormal
    edges = [0.0, -0.0, sub, -sub, tiny, -tiny, 1e-300, -1e-40, 15.9, -15.9, 36.7, -36.7,
             88.0, -88.0, 103.9, -103.9, 104.0, -104.0, 708.0, -708.0, 709.8, -709.8,
             744.0, -744.0, 745.2, -745.2, 1e4, -1e4]
    z = np.concatenate([np.linspace(-120, 120, 240_001), rng.uniform(-760, 760, 20_000),
                        rng.choice([-1.0, 1.0], 20_000) * np.exp(rng.uniform(-690, 6.6, 20_000)),
                        edges]).astype(dtype)
    # The bias is 0 so that the kernel sees exactly the z the reference sees.
    a = z.reshape(1, -1).copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        layers._bias_activate(a, np.zeros((1, 1), dtype), SIGMOID)
    assert a.dtype == dtype
    expected = _exact_sigmoid(z).reshape(a.shape)
    np.testing.assert_allclose(a.astype(np.longdouble), expected, **_sigmoid_tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_bias_sigmoid_adds_the_bias_row_by_row(dtype):
    rng = np.random.default_rng(4)
    z = rng.normal(0, 5, (30, 70)).astype(dtype)
    b = rng.normal(0, 1, (30, 1)).astype(dtype)
    # z + b is rounded to the working precision before the sigmoid sees it.
    expected = _exact_sigmoid(z + b)
    layers._bias_activate(z, b, SIGMOID)
    np.testing.assert_allclose(z.astype(np.longdouble), expected, **_sigmoid_tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_limits_are_exact(dtype):
    # beyond ~745 (float64) and ~104 (float32), exactly 0 and 1
    big = 800.0 if dtype == "float64" else 110.0
    z = np.array([[-1e4, -1000.0, -big, big, 1000.0, 1e4]], dtype)
    layers._bias_activate(z, np.zeros((1, 1), dtype), SIGMOID)
    np.testing.assert_array_equal(z, [[0, 0, 0, 1, 1, 1]])
    special = np.array([[-np.inf, np.inf, np.nan, -np.nan]], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        layers._bias_activate(special, np.zeros((1, 1), dtype), SIGMOID)
    assert special[0, 0] == 0 and special[0, 1] == 1
    assert np.isnan(special[0, 2]) and np.isnan(special[0, 3])


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh_matches_exact_tanh_over_the_range(dtype):
    rng = np.random.default_rng(7)
    tiny = 1e-300 if dtype == "float64" else 1e-35
    z = np.concatenate([np.linspace(-30, 30, 120_001),
                        rng.choice([-1.0, 1.0], 20_000) * np.exp(rng.uniform(np.log(tiny), 3.5,
                                                                             20_000)),
                        [0.0, 0.2, -0.34, 0.35, 0.36, 1e4, -1e4]]).astype(dtype)
    a = z.reshape(1, -1).copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        layers._bias_activate(a, np.zeros((1, 1), dtype), activations.code("tanh"))
    expected = np.tanh(z.astype(np.longdouble)).reshape(a.shape)
    own = 4 * np.finfo(np.longdouble).eps if np.finfo(np.longdouble).eps >= 1e-16 else 0.0
    np.testing.assert_allclose(a.astype(np.longdouble), expected, rtol=TANH_RTOL[dtype] + own,
                               atol=SIGMOID_ATOL[dtype])
    special = np.array([[np.inf, -np.inf, np.nan]], dtype)
    layers._bias_activate(special, np.zeros((1, 1), dtype), activations.code("tanh"))
    assert special[0, 0] == 1 and special[0, 1] == -1 and np.isnan(special[0, 2])


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_and_identity_are_exact_and_pass_nan(dtype):
    z = np.array([[-2.5, -0.0, 0.0, 1e-30, 3.25, -np.inf, np.inf, np.nan]], dtype)
    b = np.full((1, 1), 0.5, dtype)
    relu, identity = z.copy(), z.copy()
    layers._bias_activate(relu, b, activations.code("relu"))
    layers._bias_activate(identity, b, activations.code("identity"))
    shifted = z + b
    np.testing.assert_array_equal(relu[0, :7], np.where(shifted <= 0, 0, shifted)[0, :7])
    np.testing.assert_array_equal(identity, shifted)
    assert np.isnan(relu[0, 7]) and relu.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_each_derivative_from_the_output_matches_the_oracles_from_z(dtype, name):
    """The engine writes f' from a = f(z), the oracle from z: the two agree (away from
    ReLU's kink, where both say 0 at z = 0)."""
    from fastnet.reference import DERIVATIVES

    rng = np.random.default_rng(8)
    z = rng.normal(0, 3, (7, 40))
    z[0, :3] = 0.0
    a = activations.ACTIVATIONS[name].numpy(z).astype(dtype)
    d = np.ones((7, 40), dtype)
    layers._times_prime(d, a, activations.code(name))
    tol = 100 * np.finfo(dtype).eps
    np.testing.assert_allclose(d, DERIVATIVES[name](z), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cost", list(costs.COSTS.values()), ids=lambda c: c.name)
def test_the_tallied_loss_is_the_costs_with_weights(dtype, cost):
    """The loss the output block adds up (for scikit-learn's loss_) is each cost's fn, the
    probabilities clipped to [eps, 1 - eps] first, each example's times its weight."""
    rng = np.random.default_rng(10)
    a = rng.uniform(0.01, 0.99, (4, 6)).astype(dtype)
    a[0, 0], a[1, 1] = 0.0, 1.0  # clipped, not log(0)
    if cost.output == "softmax":
        a /= a.sum(axis=0)
    y = np.eye(4, 6, dtype=dtype)[:, [0, 1, 2, 3, 0, 1]]
    sw = rng.uniform(0.5, 2, 6).astype(dtype)
    tally = np.zeros(2)
    layers._output_delta(a, y, np.empty_like(a), costs.code(cost), sw, True, tally)
    eps = np.finfo(np.float64).eps
    clipped = np.clip(a.astype(np.float64), eps, 1 - eps)
    per_example = [cost.fn(clipped[:, [j]], y[:, [j]].astype(np.float64)) for j in range(6)]
    if cost is costs.QuadraticCost:
        per_example = [cost.fn(a[:, [j]].astype(np.float64), y[:, [j]]) for j in range(6)]
    np.testing.assert_allclose(tally, [np.dot(sw, per_example), sw.sum()], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_penalty_gradients(dtype):
    w = np.array([[-2.0, -0.0, 0.0, 3.0, np.nan]], dtype)
    for name, expected in (("l2", w.copy()), ("l1", np.array([[-1, 0, 0, 1, 0]], dtype))):
        target = np.zeros_like(w)
        updates._penalize(target, w, -1.0, penalties.code(name))  # target += grad(w)
        np.testing.assert_array_equal(target, expected)  # sgn(nan) = 0: the weight stays nan
        shrunk = w.copy()
        updates._shrink(shrunk, 0.5, penalties.code(name))
        np.testing.assert_array_equal(shrunk, w - 0.5 * expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_copies_target_columns_and_weights(dtype):
    rng = np.random.default_rng(9)
    X = np.asfortranarray(rng.uniform(size=(6, 9)))
    targets = rng.uniform(size=(4, 9))
    weights = rng.uniform(size=9).astype(dtype)
    index = np.array([8, 0, 3])
    out_x, out_y = np.empty((6, 3), dtype, order="F"), np.full((4, 3), 7.0, dtype)
    out_w = np.empty(3, dtype)
    gather._gather(X, targets, weights, index, out_x, out_y, out_w, np.dtype(dtype).type(1),
                   index[:0])
    np.testing.assert_array_equal(out_x, X[:, index].astype(dtype))
    np.testing.assert_array_equal(out_y, targets[:, index].astype(dtype))
    np.testing.assert_array_equal(out_w, weights[index])
    assert gather._batch_weight(weights, index) == pytest.approx(float(weights[index].sum()))
    assert gather._batch_weight(weights[:0], index) == 3.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_bias_softmax_matches_numpy(dtype):
    rng = np.random.default_rng(1)
    z = rng.normal(0, 30, (10, 50)).astype(dtype)
    b = rng.normal(0, 1, (10, 1)).astype(dtype)
    # z + b is rounded to the working precision first, as in the kernel.
    shifted = (z + b).astype(np.float64)
    e = np.exp(shifted - shifted.max(axis=0))
    expected = e / e.sum(axis=0)
    layers._bias_softmax(z, b)
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
    tally = np.zeros(2)
    layers._output_delta(a, y, delta, costs.code(costs.QuadraticCost), NO_WEIGHTS, False, tally)
    np.testing.assert_allclose(delta, (a - y) * a * (1 - a), **tol)
    for cost in (costs.CrossEntropyCost, costs.LogLikelihoodCost):
        layers._output_delta(a, y, delta, costs.code(cost), NO_WEIGHTS, False, tally)
        np.testing.assert_allclose(delta, a - y, **tol)
    assert not tally.any()  # not asked to

    d = rng.normal(size=(10, 20)).astype(dtype)
    expected = d * a * (1 - a)
    layers._times_prime(d, a, SIGMOID)
    np.testing.assert_allclose(d, expected, **tol)

    for mu in (0.0, 0.9):
        b = rng.normal(size=(10, 1)).astype(dtype)
        v = rng.normal(size=(10, 1)).astype(dtype)
        sums = d.sum(axis=1, keepdims=True)
        expected_v = mu * v - 0.3 * sums
        expected_b = b + expected_v if mu else b - 0.3 * sums
        updates._update_bias(b, v, d, mu, 0.3)
        np.testing.assert_allclose(b, expected_b, **tol)
        if mu:
            np.testing.assert_allclose(v, expected_v, **tol)

    w = rng.normal(size=(10, 20)).astype(dtype)
    v = rng.normal(size=(10, 20)).astype(dtype)
    expected_v = v - 0.01 * w
    expected_w = w + expected_v
    updates._apply_velocity(w, v, 0.01, L2)
    np.testing.assert_allclose(v, expected_v, **tol)
    np.testing.assert_allclose(w, expected_w, **tol)


@numba.njit
def _gemm(alpha, a, b, beta, c):
    blas._gemm(alpha, a, b, beta, c)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gemm_takes_any_layout_and_column_blocks(dtype):
    rng = np.random.default_rng(5)
    tol = {"rtol": 1e-5 if dtype == "float32" else 1e-13}
    for order_a, order_b, order_c in itertools.product("CF", repeat=3):
        a = np.asarray(rng.normal(size=(5, 7)), dtype, order=order_a)
        b = np.asarray(rng.normal(size=(7, 9)), dtype, order=order_b)
        c = np.asarray(rng.normal(size=(5, 9)), dtype, order=order_c)
        expected = 2.0 * a @ b + 0.5 * c
        _gemm(2.0, a, b, 0.5, c)
        np.testing.assert_allclose(c, expected, **tol)
        # blocks of columns (strided, with a leading dimension) and transposed views
        c_block = c[:, 2:6]
        expected = -a @ b[:, 1:5] + c_block
        _gemm(-1.0, a, b[:, 1:5], 1.0, c_block)
        np.testing.assert_allclose(c[:, 2:6], expected, **tol)
        out = np.full((9, 5), np.nan, dtype)  # beta = 0: the old contents are not read
        _gemm(1.0, b.T, a.T, 0.0, out)
        np.testing.assert_allclose(out, (a @ b).T, **tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_blocked_products_equal_whole_ones(dtype):
    """[30 x 784] @ [784 x 100] goes in blocks of 38 columns; [300 x 784] products whole."""
    assert blas._block(30, 784, 100) == 38
    assert blas._block(300, 784, 100) == 100
    rng = np.random.default_rng(6)
    rows, inner, m = 30, 784, 100
    w = rng.normal(size=(rows, inner)).astype(dtype)
    x = np.asfortranarray(rng.normal(size=(inner, m)).astype(dtype))
    z = np.empty((rows, m), dtype)
    blas._gemm_by_columns(w, x, z)
    # sums of 1000 products of magnitude ~1: rounding ~ sqrt(1000) eps relative to ~30
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(z, w @ x, rtol=0, atol=1000 * eps)
    delta = rng.normal(size=(rows, m)).astype(dtype)
    expected = 0.9 * w - 0.1 * (delta @ x.T)
    blas._gemm_over_examples(-0.1, delta, x.T, 0.9, w)
    np.testing.assert_allclose(w, expected, rtol=0, atol=100 * eps)


@pytest.mark.parametrize("source", ["uint8", "float64", "float32"])
def test_gather_copies_columns_and_one_hots_labels(source):
    rng = np.random.default_rng(3)
    X = np.asfortranarray(rng.integers(0, 256, (6, 9)).astype(source))
    labels = rng.integers(0, 4, 9)
    index = np.array([8, 0, 3])
    scale = 1 / 256 if source == "uint8" else 1.0
    out_x = np.empty((6, 3), order="F")
    out_y = np.full((4, 3), 7.0)
    gather._gather(X, labels, NO_WEIGHTS, index, out_x, out_y, NO_WEIGHTS, scale,
                   np.array([5, 2]))
    np.testing.assert_array_equal(out_x, X[:, index] * scale)
    np.testing.assert_array_equal(out_y, np.eye(4)[:, labels[index]])


def test_column_ahead_reads_the_batch_then_the_next_then_nothing():
    # the gather's prefetches look this far ahead: past the next mini-batch there is no column
    index, upcoming = np.array([8, 0, 3]), np.array([5, 2])
    found = [gather._column_ahead(index, upcoming, k) for k in range(7)]
    assert found == [8, 0, 3, 5, 2, -1, -1]
    assert gather._column_ahead(index, upcoming[:0], 3) == -1


@pytest.mark.parametrize("m", [1, 10, 50])
def test_upcoming_covers_the_look_ahead_even_for_short_mini_batches(m):
    index = np.arange(100, 200)
    ahead = max(m, PREFETCH_AHEAD_L2)
    np.testing.assert_array_equal(gather._upcoming(index, m, m), index[m:m + ahead])
    # at the end of the epoch, what is left
    np.testing.assert_array_equal(gather._upcoming(index, 100 - m, m), index[100 - m:])
    assert len(gather._upcoming(index, 100, m)) == 0


@pytest.mark.parametrize("source", ["uint8", "float64"])
@pytest.mark.parametrize("m", [1, 10, 50])
def test_gather_of_an_epoch_copies_every_column(source, m):
    # mini-batches shorter and longer than the prefetch distances, the last one with no next
    rng = np.random.default_rng(4)
    n = 150
    X = np.asfortranarray(rng.integers(0, 256, (20, n)).astype(source))
    labels = rng.integers(0, 10, n)
    index = rng.permutation(n)
    scale = 1 / 256 if source == "uint8" else 1.0
    out_x, out_y = np.empty((20, m), order="F"), np.empty((10, m))
    for k in range(0, n, m):
        gather._gather(X, labels, NO_WEIGHTS, index[k:k + m], out_x, out_y, NO_WEIGHTS, scale,
                       gather._upcoming(index, k + m, m))
        np.testing.assert_array_equal(out_x, X[:, index[k:k + m]] * scale)
        np.testing.assert_array_equal(out_y, np.eye(10)[:, labels[index[k:k + m]]])


def test_first_bad_input_looks_only_where_the_products_are_not_finite():
    x = np.asfortranarray(np.ones((4, 5)))
    w = np.ones((3, 4))
    assert finite._first_bad_input(x, w @ x) == -1
    for bad in (np.nan, np.inf, -np.inf):
        x[3, 1] = x[0, 4] = bad
        assert finite._first_bad_input(x, w @ x) == 1
        x[3, 1] = 1.0
        assert finite._first_bad_input(x, w @ x) == 4
        x[0, 4] = 1.0
    # an inf in x against a zero weight: inf * 0 is nan, still not finite
    x[2, 0] = np.inf
    w[0, 2] = 0.0
    with np.errstate(invalid="ignore"):
        z = w @ x
    assert finite._first_bad_input(x, z) == 0
    x[2, 0] = 1.0
    # products overflowed by huge weights, from finite inputs: not bad data
    z = np.full((3, 5), np.inf)
    assert finite._first_bad_input(x, z) == -1
    # a share of no rows (a thread that owns no neuron) finds nothing, and reads nothing: the
    # empty share below starts where a row of nans lies, which a read past its end would find
    x[1, 0] = np.nan
    assert finite._first_bad_input(x, np.full((1, 5), np.nan)[:0]) == -1


def test_all_finite():
    assert finite._all_finite(np.ones((3, 3)))
    for bad in (np.inf, -np.inf, np.nan):
        x = np.ones((3, 3))
        x[2, 1] = bad
        assert not finite._all_finite(x)
