"""The one decorator of every numba kernel: `numba.njit` with the engine's options
(`fastnet.settings.JIT_OPTIONS`), cached on disk when possible, and a damaged cache
recovered from."""

import contextlib
import os

import numba

from .settings import JIT_OPTIONS


def _jit(func=None, options=JIT_OPTIONS):
    """`numba.njit` with the options above, cached on disk when possible.

    `cache=True` writes next to the source file or in the user's cache directory.  When neither
    is writable (a read-only site-packages, a sandbox without $HOME), numba refuses at
    decoration time; the kernel is then compiled in memory on first use instead.  A cache file
    that cannot be read back (`_Recovering`) is compiled anew and overwritten.
    """
    if func is None:
        return lambda func: _jit(func, options)
    try:
        dispatcher = numba.njit(cache=True, **options)(func)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, **options)(func)
    _recovering(dispatcher)
    return dispatcher


def _recovering(dispatcher):
    """Make ``dispatcher``'s on-disk cache a `_Recovering` one (numba's own class, with the
    two methods below); left as it is if numba's internals are not what they were."""
    cache = getattr(dispatcher, "_cache", None)
    cls = type(cache)
    if not all(hasattr(cache, name) for name in ("load_overload", "save_overload", "_cache_file")):
        return
    cache.__class__ = type(f"Recovering{cls.__name__}", (_Recovering, cls), {})


class _Recovering:
    """numba's cache, but a file of it that cannot be read back (truncated by a full disk or a
    process killed mid-write: UnpicklingError, EOFError, ...) is a miss, not an error that every
    later run repeats: its index is removed, numba compiles the kernel, and the save writes a
    new index and data file over the damaged ones."""

    def load_overload(self, sig, target_context):
        try:
            return super().load_overload(sig, target_context)
        except Exception:
            self._forget_index()
            return None

    def save_overload(self, sig, data):
        try:
            super().save_overload(sig, data)
        except Exception:  # the index again, or a file that cannot be written: keep the kernel
            self._forget_index()
            with contextlib.suppress(Exception):
                super().save_overload(sig, data)

    def _forget_index(self):
        """Remove the index file, which lists the data files: numba then starts a new one
        (and numbers the data files from 1 again, overwriting the old)."""
        with contextlib.suppress(Exception):
            os.unlink(self._cache_file._index_path)
