"""numba's on-disk cache, and the fallback when no cache directory is writable."""

import numba
import numpy as np

from fastnet import jit, layers


def test_kernels_compile_without_a_cache_when_numba_refuses_one(monkeypatch):
    real_njit = numba.njit
    calls = []

    def njit(*args, cache=False, **options):
        calls.append(cache)
        if cache:  # what numba raises when neither the source tree nor $HOME is writable
            raise RuntimeError("cannot cache function 'f': no locator available for file 'x'")
        return real_njit(*args, cache=cache, **options)

    monkeypatch.setattr(numba, "njit", njit)

    def double(x):
        return 2 * x

    compiled = jit._jit(double)
    assert calls == [True, False]
    assert compiled(np.float64(21.0)) == 42.0
    assert isinstance(compiled, numba.core.dispatcher.Dispatcher)


def test_kernels_are_cached_on_disk_when_possible():
    layers._bias_activate(np.zeros((1, 1)), np.zeros((1, 1)), 0)
    assert layers._bias_activate.stats.cache_path is not None  # None: an in-memory NullCache
