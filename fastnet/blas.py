"""BLAS from compiled code: ?gemm on any mix of row- and column-major operands, products
cut into blocks that suit OpenBLAS's small-matrix kernels, and the one-thread policy.

The matrix products of backprop go to BLAS (`_gemm`, the same BLAS that numba's ``np.dot``
uses, scipy's).  Shapes: ``a : (rows, inner)``, ``b : (inner, m)``, ``c : (rows, m)``, each
with contiguous rows or columns (transposed views and column blocks are fine).
"""

import importlib.machinery
import importlib.util
import os
import sys

import numpy as np
import threadpoolctl
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload
from numba.np.numpy_support import as_dtype

from .jit import _jit
from .settings import JIT_OPTIONS, MIN_BLOCK, SMALL_PRODUCT


def _import_cython_blas():
    """Import scipy.linalg.cython_blas, the module numba's BLAS wrapper (`numba_xxgemm`)
    takes ?gemm from, without running scipy.linalg's ``__init__``.

    That ``__init__`` imports all of scipy.linalg (its solvers and decompositions), which
    fastnet never calls: 26 MB at import against 4 MB for the extension module alone, about
    10 MB of the peak of `fastnet train` (docs/benchmarks.md).  numba imports the module by
    its full name and finds it in sys.modules, as does a later ``import
    scipy.linalg.cython_blas`` (only the attribute ``scipy.linalg.cython_blas`` is then
    unset).  Importing it here makes a missing scipy fail at import, and puts scipy's BLAS
    under threadpoolctl's control at once.
    """
    name = "scipy.linalg.cython_blas"
    if name in sys.modules:
        return
    import scipy  # the package alone: a few modules

    linalg = [os.path.join(path, "linalg") for path in scipy.__path__]
    spec = importlib.machinery.PathFinder.find_spec(name, linalg)
    if spec is None:
        raise ImportError(f"{name} not found in {linalg}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise


_import_cython_blas()

_FLOATS = (types.float32, types.float64)

def _gemm(alpha, a, b, beta, c):
    """c <- alpha * (a @ b) + beta * c, inside jitted code only (beta = 0: c is not read)."""
    raise NotImplementedError("only callable from numba-compiled code")


def _xxgemm(dtype):
    """numba's C wrapper of BLAS ?gemm (column-major, Fortran conventions)."""
    ptr = types.CPointer(dtype)
    return types.ExternalFunction("numba_xxgemm", types.intc(
        types.char, types.char, types.char, types.intp, types.intp, types.intp,
        ptr, ptr, types.intp, ptr, types.intp, ptr, ptr, types.intp))


@_jit
def _blas_layout(t):
    """(column-major?, leading dimension) of a 2-D array whose rows or columns are
    contiguous: an F- or C-ordered array, or a block of its columns or rows."""
    size = t.itemsize
    rows, cols = t.shape
    if t.strides[0] == size and (cols <= 1 or t.strides[1] >= rows * size):
        return True, max(t.strides[1] // size, rows, 1)
    if t.strides[1] == size and (rows <= 1 or t.strides[0] >= cols * size):
        return False, max(t.strides[0] // size, cols, 1)
    raise ValueError("_gemm needs arrays with contiguous rows or columns")


@overload(_gemm, jit_options=JIT_OPTIONS)
def _gemm_impl(alpha, a, b, beta, c):
    """Any mix of column- and row-major operands, with leading dimensions, so that transposed
    views (``w.T``) and blocks of columns (``x[:, j:k]``) cost no copy.

    BLAS sees every array column-major.  A column-major c is c itself; an operand in the same
    order as c goes in as is ("N"), the other as its transpose ("T").  A row-major c is seen
    as c.T, so the call computes c.T = b.T @ a.T, with the roles mirrored.
    """
    arrays = (a, b, c)
    if any(not isinstance(t, types.Array) or t.ndim != 2 for t in arrays):
        raise TypingError("_gemm needs 2-D arrays")
    if len({t.dtype for t in arrays}) != 1 or c.dtype not in _FLOATS:
        raise TypingError("_gemm needs float32 or float64 arrays of one dtype")
    xxgemm = _xxgemm(c.dtype)
    dtype = as_dtype(c.dtype)
    kind = ord("d" if c.dtype == types.float64 else "s")
    same, other = ord("N"), ord("T")

    def impl(alpha, a, b, beta, c):
        m, k = a.shape
        n = c.shape[1]
        if m == 0 or n == 0:
            return
        scalars = np.empty(2, dtype)
        scalars[0] = alpha
        scalars[1] = beta
        a_col, lda = _blas_layout(a)
        b_col, ldb = _blas_layout(b)
        c_col, ldc = _blas_layout(c)
        trans_a = same if a_col == c_col else other
        trans_b = same if b_col == c_col else other
        if c_col:
            status = xxgemm(kind, trans_a, trans_b, m, n, k, scalars[0:].ctypes, a.ctypes, lda,
                            b.ctypes, ldb, scalars[1:].ctypes, c.ctypes, ldc)
        else:
            status = xxgemm(kind, trans_b, trans_a, n, m, k, scalars[0:].ctypes, b.ctypes, ldb,
                            a.ctypes, lda, scalars[1:].ctypes, c.ctypes, ldc)
        if status != 0:  # numba's wrapper found no BLAS function for this kind
            raise RuntimeError("BLAS ?gemm is unavailable")

    return impl


# OpenBLAS runs small products through dedicated small-matrix kernels, which for the skinny
# products of a layer of 10-30 neurons are much faster than its general path; so the products
# of a mini-batch are cut into column blocks of at most SMALL_PRODUCT multiply-adds, except
# where the blocks would be narrower than MIN_BLOCK columns (`fastnet.settings`; the
# measurements are in docs/benchmarks.md).


@_jit
def _block(rows, inner, m):
    """Columns per block of a [rows x inner] @ [inner x m] product (m: no blocks)."""
    block = SMALL_PRODUCT // max(1, rows * inner)
    return block if block >= MIN_BLOCK else max(m, 1)


@_jit
def _gemm_by_columns(a, b, c):
    """c <- a @ b, block by block of the columns of b and c (m, the examples)."""
    rows, inner = a.shape
    m = c.shape[1]
    block = _block(rows, inner, m)
    for j in range(0, m, block):
        _gemm(1.0, a, b[:, j:j + block], 0.0, c[:, j:j + block])


@_jit
def _gemm_over_examples(alpha, a, b, beta, c):
    """c <- alpha * (a @ b) + beta * c, summing over the inner dimension (m, the examples)
    block by block: a : (rows, m), b : (m, cols)."""
    rows, m = a.shape
    block = _block(rows, b.shape[1], m)
    for j in range(0, m, block):
        _gemm(alpha, a[:, j:j + block], b[j:j + block, :], beta if j == 0 else 1.0, c)


# -- BLAS's own threads -------------------------------------------------------------------------


def one_thread():
    """A context in which BLAS runs on one thread: the epoch loop of `fastnet.train`, which
    spreads an epoch over the cores itself, one BLAS call per thread (`fastnet.parallel`).

    The products of one mini-batch are small (a few to a hundred MFLOP), and OpenBLAS's
    threads help them little (nothing for [784, 30, 10], whose blocks run OpenBLAS's
    single-threaded small kernels anyway); with another process busy on the cores, its threads
    wait for each other and the same products ran 10-50x slower (docs/benchmarks.md).  One
    thread is the robust choice; the limit is set once per epoch and lifted after it,
    so evaluation (large products, in `Network.feedforward`) keeps the caller's setting, except
    for the monitoring inside a run on several threads (see `fastnet.train`).
    """
    return threads(1)


def threads(n):
    """A context in which BLAS runs on at most n threads: scoring during training, on the
    training's own thread policy (one BLAS thread per training thread, see `one_thread`)."""
    return _controller().limit(limits=n)


def _controller():
    """threadpoolctl's handle on the BLAS libraries loaded (numpy's and scipy's), made once."""
    global _blas_controller
    if _blas_controller is None:
        _blas_controller = threadpoolctl.ThreadpoolController().select(user_api="blas")
    return _blas_controller


_blas_controller = None
