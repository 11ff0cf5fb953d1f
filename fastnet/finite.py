"""Finding an inf or a nan without a pass of its own over the data: the checks the engine
makes as it goes (the first layer's products, the parameters after an epoch).

Shapes: ``z : (n, m)`` a layer's products, one column per example; ``x : (n_in, m)``.
"""

import numpy as np

from .jit import _jit


@_jit
def _first_nonfinite(z, start):
    """The first column j >= start whose ``z[0, j]`` is inf or nan, or -1.  z : (n, m).

    The check of the inputs, in training (`_first_bad_input`) and evaluation
    (`checks.check_columns`): a NaN or an inf anywhere in a column of x makes every entry of
    that column of ``w @ x`` non-finite (nan * w, inf * 0 and inf - inf are all nan, inf * w
    is an inf), so the first row of the first layer's products finds the columns to look
    at, at the cost of reading one row.  Huge weights can overflow a finite column too; the
    caller confirms on the column of x.
    """
    for j in range(start, z.shape[1]):
        if not np.isfinite(z[0, j]):
            return j
    return -1


@_jit
def _first_bad_input(x, z):
    """-1, or the first column j of ``x : (n_in, m)`` that holds an inf or a nan, given
    ``z = w @ x : (n, m)``, the first layer's products (or some of their rows), before the
    activation: only the columns whose first row of z is not finite are looked at
    (`_first_nonfinite`), one of them with a finite x was overflowed by huge weights and is
    let through.  Training's check of its inputs, at the cost of reading one row of z per
    mini-batch.  A z without rows (a thread that owns no neuron) finds nothing."""
    if z.shape[0] == 0:
        return -1
    j = _first_nonfinite(z, 0)
    while j >= 0:
        for i in range(x.shape[0]):
            if not np.isfinite(x[i, j]):
                return j
        j = _first_nonfinite(z, j + 1)
    return -1


@_jit
def _all_finite(a):
    """True when no entry of ``a`` is inf or nan (one pass; ``a`` C-contiguous, the
    parameters: ravel is then a view, while of an F-ordered array it would be a copy)."""
    for x in a.ravel():
        if not np.isfinite(x):
            return False
    return True
