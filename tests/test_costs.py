"""The cost classes: `delta` is the gradient of `fn` with respect to the output layer's
weighted input, and the names resolve as the engine and the model files use them."""

import numpy as np
import pytest

from fastnet import reference
from fastnet.costs import BY_CLASS_NAME, COSTS, get_cost
from fastnet.tolerances import GRADCHECK_RTOL


def _output(cost, z):
    if cost.output == "softmax":
        e = np.exp(z - z.max(axis=0))
        return e / e.sum(axis=0)
    return reference.sigmoid(z)


@pytest.mark.parametrize("name", COSTS)
def test_delta_is_the_gradient_of_fn(name):
    cost = COSTS[name]
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, (4, 5))
    y = np.eye(4)[:, rng.integers(0, 4, 5)]
    delta = cost.delta(z, _output(cost, z), y)
    h = 1e-6
    numeric = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (cost.fn(_output(cost, up), y) - cost.fn(_output(cost, down), y)) / (2 * h)
    np.testing.assert_allclose(delta, numeric, rtol=0,
                               atol=GRADCHECK_RTOL * np.max(np.abs(numeric)))


@pytest.mark.parametrize("name", COSTS)
def test_the_engine_flag_says_what_delta_is(name):
    cost = COSTS[name]
    a = np.array([[0.2, 0.9], [0.7, 0.4]])
    y = np.eye(2)
    expected = (a - y) * a * (1 - a) if cost.delta_has_sigma_prime else a - y
    np.testing.assert_allclose(cost.delta(np.log(a / (1 - a)), a, y), expected)


def test_names_resolve():
    for name, cost in COSTS.items():
        assert get_cost(name) is cost
        assert get_cost(cost.__name__) is cost
        assert get_cost(cost) is cost
        assert BY_CLASS_NAME[cost.__name__] is cost
    for bad in ("hinge", "quadraticcost", None, 3, ["quadratic"], dict):
        with pytest.raises(ValueError, match="unknown cost"):
            get_cost(bad)
