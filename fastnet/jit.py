"""The one decorator of every numba kernel: `numba.njit` with the engine's options
(`fastnet.settings.JIT_OPTIONS`), cached on disk when possible.

numba keys a kernel's on-disk cache by its own source file only, and a kernel compiled into
another (a layer's block into the step) is frozen into the caller's cache entry: after an
edit of `fastnet.layers`, the step cached from `fastnet/step.py` would go on running the old
block, and a constant of `fastnet.settings` would stay as it was.  So every kernel's cache
entry is stamped here with a hash of all the package's top-level modules: an edit of any of
them recompiles the kernels once (about 15 s), and no stale kernel survives it.
"""

import functools
import hashlib
import os
import warnings

import numba
from numba.core.errors import NumbaExperimentalFeatureWarning

from .settings import JIT_OPTIONS

# The tables of activations, penalties and optimizers reach the compiled code as tuples of
# kernels that numba unrolls (``literal_unroll``), a use numba's typing of them calls
# experimental; each unrolled call is compiled as a direct call.
warnings.filterwarnings("ignore", "First-class function type feature is experimental",
                        NumbaExperimentalFeatureWarning)


def _jit(func=None, options=JIT_OPTIONS):
    """`numba.njit` with the options above, cached on disk when possible.

    `cache=True` writes next to the source file or in the user's cache directory.  When neither
    is writable (a read-only site-packages, a sandbox without $HOME), numba refuses at
    decoration time; the kernel is then compiled in memory on first use instead.
    """
    if func is None:
        return lambda func: _jit(func, options)
    try:
        dispatcher = numba.njit(cache=True, **options)(func)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, **options)(func)
    _stamp(dispatcher)
    return dispatcher


def _stamp(dispatcher):
    """Key the dispatcher's cache by the whole package's source (see the module); numba's own
    key, its file's hash, stays where numba's internals are not as expected."""
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if cache_file is not None and hasattr(cache_file, "_source_stamp"):
        cache_file._source_stamp = _package_source_hash()


@functools.lru_cache(maxsize=None)
def _package_source_hash():
    """sha256 of the package's top-level modules, in name order (read once per process)."""
    here = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    for name in sorted(os.listdir(here)):
        if name.endswith(".py"):
            with open(os.path.join(here, name), "rb") as f:
                digest.update(name.encode() + b"\0" + f.read())
    return digest.digest()
