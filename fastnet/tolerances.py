"""The tolerances fastnet's tests and benchmarks hold the fast code to, named once.

Each says how close two computations of the same thing must be, and why that close.
"""

# Vectorized engine vs the per-example reference, float64, after a full epoch: the two do the
# same arithmetic with the additions of a mini-batch in another order, which moves the last
# bits (~1e-15); 1e-10 leaves room for their growth over an epoch and catches any real error.
CROSSCHECK_ATOL = 1e-10

# The numba sigmoid (`fastexp._sigmoid`: its own vectorizable exp, Cody-Waite reduction and a
# Taylor polynomial) vs the exact logistic function.  Measured over the whole range (1.2e7
# points per dtype: every 1.1e-5 in [-110, 110], uniform in [-760, 760], log-uniform in
# magnitude down to 1e-304, against an 80-bit long-double reference): at most 1.70 ulp
# (float64) and 1.62 ulp (float32) relative error where the result is a normal number, and one
# subnormal step below that.  The bound is 2 ulps (eps = 2.2e-16 and 1.2e-7); the absolute
# tolerance covers the subnormal results and the float32 rounding of tiny float64 references.
SIGMOID_RTOL = {"float64": 2 * 2.220446049250313e-16, "float32": 2 * 1.1920929e-07}
SIGMOID_ATOL = {"float64": 1e-300, "float32": 1e-37}

# The numba tanh (`fastexp._tanh`: -expm1(-2|x|) / (2 + expm1(-2|x|)), with expm1 from the same
# reduction and polynomial as the exp, its small arguments exact to the relative precision)
# vs an exact (long double) tanh: at most 1.82 ulp (float64) and 1.55 ulp (float32) relative
# error, measured on 3e5 points per dtype over [-30, 30] and log-uniform in magnitude down to
# 1e-300 (float32: 1e-35).  Bound: 2 ulps.
TANH_RTOL = SIGMOID_RTOL

# Backprop vs central differences of the cost, with step h = 1e-6 in float64: the truncation
# error is O(h^2) and the rounding error O(eps / h) ~ 1e-10, relative to the gradient.
GRADCHECK_RTOL = 1e-6

# float32 training vs float64 training from the same start, after a few mini-batches: float32
# rounding (~6e-8 relative) grows with each step; parameters of order 1 stay within 1e-4.
FLOAT32_ATOL = 1e-4
