"""The one decorator of every numba kernel: `numba.njit` with the engine's options
(`fastnet.settings.JIT_OPTIONS`), cached on disk when possible.

numba keys a kernel's on-disk cache by its own source file only, and a kernel compiled into
another (a layer's block into the step) is frozen into the caller's cache entry: after an
edit of `fastnet.layers`, the step cached from `fastnet/step.py` would go on running the old
block, and a constant of `fastnet.settings` would stay as it was.  So every kernel's cache
entry is stamped here with a hash of the source of every module compiled code can depend on:
those that hold compiled code, and all that they import from the package, transitively
(`_kernel_modules`).  An edit of any of them recompiles the kernels once (about 20 s); an
edit elsewhere (the command line, the epoch loop in Python) does not.

A cache file that cannot be read back (a full disk, a process killed mid-write) is compiled
anew and overwritten (`_Recovering`), not an error every later run repeats.
"""

import ast
import contextlib
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
    decoration time; the kernel is then compiled in memory on first use instead.  A cache file
    that cannot be read back (`_Recovering`) is compiled anew and overwritten.
    """
    if func is None:
        return lambda func: _jit(func, options)
    try:
        dispatcher = numba.njit(cache=True, **options)(func)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, **options)(func)
    _stamp(dispatcher)
    _recovering(dispatcher)
    return dispatcher


def _stamp(dispatcher):
    """Key the dispatcher's cache by the whole package's source (see the module); numba's own
    key, its file's hash, stays where numba's internals are not as expected."""
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if cache_file is not None and hasattr(cache_file, "_source_stamp"):
        cache_file._source_stamp = _package_source_hash()


def will_compile(dispatcher, args):
    """Whether calling ``dispatcher`` on ``args`` compiles (nothing for these argument types
    in memory, nor in numba's on-disk cache), from numba's own index, without compiling or
    loading anything.  False when that cannot be told (numba's internals changed)."""
    try:
        signature = tuple(dispatcher.typeof_pyval(arg) for arg in args)
        if signature in dispatcher.overloads:
            return False
        cache_file = getattr(dispatcher._cache, "_cache_file", None)
        if cache_file is None:  # no cache directory: every process compiles
            return True
        return not any(key[0] == signature for key in cache_file._load_index())
    except Exception:
        return False


# What marks a module as holding compiled code.
_COMPILED = (b"@_jit", b"@overload(", b"@intrinsic", b"numba.njit", b"ExternalFunction")


@functools.lru_cache(maxsize=None)
def _package_source_hash():
    """sha256 of the sources of `_kernel_modules`, in name order (read once per process)."""
    here = os.path.dirname(os.path.abspath(__file__))
    sources = _kernel_modules(here)
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name])
    return digest.digest()


def _kernel_modules(here):
    """``{file name: source}`` of the package's top-level modules that hold compiled code and
    of every top-level module they import, transitively."""
    sources = {}
    for name in os.listdir(here):
        if name.endswith(".py"):
            with open(os.path.join(here, name), "rb") as f:
                sources[name] = f.read()
    todo = [name for name, source in sources.items() if any(m in source for m in _COMPILED)]
    found = set()
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        todo.extend(imported for imported in _imports(sources[name]) if imported in sources)
    return {name: sources[name] for name in found}


def _imports(source):
    """The file names of the package's top-level modules ``source`` imports (``from .x import``
    and ``from . import x``)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0] + ".py")
            else:
                names.update(alias.name + ".py" for alias in node.names)
    return names


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
