"""The one decorator of every numba kernel: `numba.njit` with the engine's options
(`fastnet.settings.JIT_OPTIONS`), cached on disk when possible."""

import numba

from .settings import JIT_OPTIONS


def _jit(func=None, options=JIT_OPTIONS):
    """`numba.njit` with the options above, cached on disk when possible.

    `cache=True` writes next to the source file or in the user's cache directory.  When neither
    is writable (a read-only site-packages, a sandbox without $HOME), numba refuses at
    decoration time; the kernel is then compiled in memory on first use instead.
    """
    if func is None:
        return lambda func: _jit(func, options)
    try:
        return numba.njit(cache=True, **options)(func)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, **options)(func)
