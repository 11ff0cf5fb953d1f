"""exp, the sigmoid and tanh as straight-line numba code, so that loops over them vectorize.

numba's np.exp is a call into libm per element, which no compiler can turn into SIMD; numpy's
own exp is SIMD, so a plain numba loop lost to numpy.  The exp below is straight-line code
(no call, no branch: the conditionals are selects), so a loop over it vectorizes.  The
sigmoid's accuracy, measured over the whole range against an exact (long double) logistic,
is stated with the tolerances (`fastnet.tolerances.SIGMOID_RTOL`, `TANH_RTOL`).  All are typed
like their argument (float32 or float64), so that in float32 a loop vectorizes twice as wide;
`_zero` and `_one` give constants of that type, for the same reason (a float64 constant would
make a float32 loop compute in float64).

Scalars only, callable from compiled code only: ``x`` a float32 or float64.
"""

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core.errors import TypingError
from numba.extending import intrinsic, overload

from .settings import JIT_OPTIONS



def _exp_nonpositive(x):
    """exp(x) for x <= 0 (or nan), inside jitted code only."""
    raise NotImplementedError("only callable from numba-compiled code")


def _sigmoid(x):
    """The logistic function, inside jitted code only."""
    raise NotImplementedError("only callable from numba-compiled code")


def _tanh(x):
    """The hyperbolic tangent, inside jitted code only."""
    raise NotImplementedError("only callable from numba-compiled code")


def _zero(x):
    """0 of x's type, inside jitted code only."""
    raise NotImplementedError("only callable from numba-compiled code")


def _one(x):
    """1 of x's type, inside jitted code only."""
    raise NotImplementedError("only callable from numba-compiled code")


def _like(array, value):
    """``value`` as a number of ``array``'s dtype, inside jitted code only: a float64 factor
    in a float32 loop would make it compute in float64, half as wide."""
    raise NotImplementedError("only callable from numba-compiled code")


@intrinsic
def _times_pow2(typingctx, p, k):
    """p * 2**k for a float p and an integral float k with -2*emax < k <= 0.

    2**k is built from exponent bits, in two halves 2**(k//2) * 2**(k - k//2) that are both
    normal numbers, so that a result in the subnormal range is rounded once, as libm's is.
    """
    if p not in (types.float32, types.float64) or k != p:
        return None
    width, mantissa, bias = (64, 52, 1023) if p == types.float64 else (32, 23, 127)

    def codegen(context, builder, signature, args):
        p, k = args
        int_t = ir.IntType(width)
        k = builder.fptosi(k, int_t)
        k1 = builder.ashr(k, ir.Constant(int_t, 1))
        k2 = builder.sub(k, k1)

        def pow2(e):
            bits = builder.shl(builder.add(e, ir.Constant(int_t, bias)),
                               ir.Constant(int_t, mantissa))
            return builder.bitcast(bits, p.type)

        return builder.fmul(builder.fmul(p, pow2(k1)), pow2(k2))

    return p(p, k), codegen


# Cody-Waite range reduction: x = k ln2 + r with |r| <= ln2/2, where ln2 = LN2_HI + LN2_LO and
# LN2_HI has enough trailing zero bits that k * LN2_HI is exact.  exp(r) is its Taylor
# polynomial: degree 13 in float64 (truncation < 4e-18) and 7 in float32 (< 5e-9), far below
# half an ulp.  Below the clamp exp(x) rounds to 0 anyway; clamping keeps 2**k in range.
_EXP = {
    types.float64: {"dtype": np.float64, "ln2_hi": 6.93147180369123816490e-01,
                    "ln2_lo": 1.90821492927058770002e-10, "degree": 13, "clamp": -750.0},
    types.float32: {"dtype": np.float32, "ln2_hi": 0.693145751953125,
                    "ln2_lo": math.log(2) - 0.693145751953125, "degree": 7, "clamp": -105.0},
}


def _horner(coefficients):
    """A jitted polynomial c0 + r (c1 + r (c2 + ...)) with the coefficients as constants
    (each step a multiply-add that "contract" lets LLVM fuse into one FMA)."""
    c = coefficients[0]
    if len(coefficients) == 1:
        return numba.njit(**JIT_OPTIONS)(lambda r: c)
    rest = _horner(coefficients[1:])
    return numba.njit(**JIT_OPTIONS)(lambda r: c + r * rest(r))


def _reduction(x):
    """The jitted Cody-Waite reduction ``x -> (k, r)`` for x's type: x = k ln2 + r with
    |r| <= ln2/2 (k an integral float)."""
    spec = _EXP[x]
    T = spec["dtype"]
    ln2_hi, ln2_lo, clamp = T(spec["ln2_hi"]), T(spec["ln2_lo"]), T(spec["clamp"])
    log2e, half, zero = T(1 / math.log(2)), T(0.5), T(0)

    def reduce(x):
        # nan < clamp is false, so nan passes; its k is set to 0, where float->int is defined.
        x = clamp if x < clamp else x
        k = np.floor(x * log2e + half)
        k = zero if k != k else k
        return k, (x - k * ln2_hi) - k * ln2_lo

    return numba.njit(**JIT_OPTIONS)(reduce)


def _taylor(x, first):
    """The jitted Taylor polynomial of exp for x's type from the term of degree ``first``
    on, divided by r**first: exp(r) for first = 0, (exp(r) - 1)/r for first = 1."""
    spec = _EXP[x]
    T = spec["dtype"]
    return _horner([T(1 / math.factorial(i)) for i in range(first, spec["degree"] + 1)])


@overload(_exp_nonpositive, jit_options=JIT_OPTIONS)
def _exp_nonpositive_impl(x):
    if x not in _EXP:
        raise TypingError(f"_exp_nonpositive needs float32 or float64, not {x}")
    reduce, poly = _reduction(x), _taylor(x, 0)

    def impl(x):
        k, r = reduce(x)
        return _times_pow2(poly(r), k)

    return impl


@overload(_tanh, jit_options=JIT_OPTIONS)
def _tanh_impl(x):
    if x not in _EXP:
        raise TypingError(f"_tanh needs float32 or float64, not {x}")
    reduce, poly1 = _reduction(x), _taylor(x, 1)
    T = _EXP[x]["dtype"]
    one, two, minus_two, zero = T(1), T(2), T(-2), T(0)

    def impl(x):
        # tanh|x| = -expm1(-2|x|) / (2 + expm1(-2|x|)).  With y = k ln2 + r, exp(r) - 1 is
        # q = r (1/1! + r/2! + ...) without its constant term, so expm1(y) = q where k = 0
        # (|y| <= ln2/2) keeps the relative accuracy of tanh at small x (1 - exp(y) would
        # cancel); elsewhere exp(y) <= 0.71 and 2**k (1 + q) - 1 loses nothing.  Selects, not
        # branches, so that the loop vectorizes.
        k, r = reduce(minus_two * abs(x))
        q = r * poly1(r)
        em1 = q if k == zero else _times_pow2(one + q, k) - one
        t = abs(em1) / (two + em1)
        return t if x >= zero else -t

    return impl


@overload(_zero, jit_options=JIT_OPTIONS)
def _zero_impl(x):
    if x not in _EXP:
        raise TypingError(f"_zero needs float32 or float64, not {x}")
    zero = _EXP[x]["dtype"](0)
    return lambda x: zero


@overload(_one, jit_options=JIT_OPTIONS)
def _one_impl(x):
    if x not in _EXP:
        raise TypingError(f"_one needs float32 or float64, not {x}")
    one = _EXP[x]["dtype"](1)
    return lambda x: one


@overload(_sigmoid, jit_options=JIT_OPTIONS)
def _sigmoid_impl(x):
    if x not in _EXP:
        raise TypingError(f"_sigmoid needs float32 or float64, not {x}")
    one = _EXP[x]["dtype"](1)

    def impl(x):
        # exp is only taken of -|x| <= 0, so it cannot overflow; beyond |x| ~ 745 (float64) or
        # ~104 (float32) it is 0 and the result exactly 0 or 1.
        e = _exp_nonpositive(-abs(x))
        r = one / (one + e)
        return r if x >= 0 else e * r

    return impl


@overload(_like, jit_options=JIT_OPTIONS)
def _like_impl(array, value):
    dtype = getattr(array, "dtype", None)
    if dtype not in _EXP:
        raise TypingError(f"_like needs a float32 or float64 array, not {array}")
    T = _EXP[dtype]["dtype"]
    return lambda array, value: T(value)
