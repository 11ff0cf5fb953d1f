"""The tolerances fastnet's tests and benchmarks hold the fast code to, named once.

Each says how close two computations of the same thing must be, and why that close.
"""

# Vectorized engine vs the per-example reference, float64, after a full epoch: the two do the
# same arithmetic with the additions of a mini-batch in another order, which moves the last
# bits (~1e-15); 1e-10 leaves room for their growth over an epoch and catches any real error.
CROSSCHECK_ATOL = 1e-10

# numba sigmoid kernels vs a float64 reference (scipy.special.expit when installed): a few
# ulps of the working precision (2.2e-16 and 1.2e-7 per ulp).
SIGMOID_RTOL = {"float64": 1e-15, "float32": 5e-7}
SIGMOID_ATOL = {"float64": 1e-300, "float32": 1e-37}

# Backprop vs central differences of the cost, with step h = 1e-6 in float64: the truncation
# error is O(h^2) and the rounding error O(eps / h) ~ 1e-10, relative to the gradient.
GRADCHECK_RTOL = 1e-6

# float32 training vs float64 training from the same start, after a few mini-batches: float32
# rounding (~6e-8 relative) grows with each step; parameters of order 1 stay within 1e-4.
FLOAT32_ATOL = 1e-4
