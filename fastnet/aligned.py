"""Arrays that start on a cache-line boundary: the parameters and the work arrays of training.

numpy places a small array wherever the allocator puts it, 16 bytes aligned; the matrix
products of an epoch (`fastnet.blas`) and the kernels between them run measurably slower on
operands that start mid-line, and the start differs from one process (or network) to the next,
so the same run took one of several speeds.  Every array the engine trains in is made here, at
`settings.ALIGN_BYTES`; the measurements are in docs/benchmarks.md.

Each array is a view of a slightly larger byte buffer (its ``.base``), which it keeps alive;
it behaves as any numpy array of its shape, dtype and memory order.
"""

import numpy as np

from .settings import ALIGN_BYTES


def empty(shape, dtype, order="C"):
    """An uninitialized array of ``shape`` and ``dtype`` in memory ``order`` ("C" or "F")
    whose first element is at an address divisible by ALIGN_BYTES."""
    dtype = np.dtype(dtype)
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + ALIGN_BYTES, np.uint8)
    start = -raw.ctypes.data % ALIGN_BYTES
    return raw[start:start + nbytes].view(dtype).reshape(shape, order=order)


def zeros(shape, dtype, order="C"):
    """`empty`, filled with zeros."""
    out = empty(shape, dtype, order)
    out[...] = 0
    return out


def copy(array, dtype=None, order="C"):
    """An aligned copy of ``array`` (anything `numpy.asarray` takes), converted to ``dtype``
    (default: its own) in memory ``order``."""
    array = np.asarray(array)
    out = empty(array.shape, array.dtype if dtype is None else dtype, order)
    out[...] = array
    return out
