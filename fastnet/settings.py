"""The engine's settings, named once: compiler options and the constants tuned on a machine.

Each says what it trades.  The measurements behind the tuned ones are in docs/benchmarks.md,
where they are re-measured; re-tune them there, not from memory.

The constants read inside compiled code (`SMALL_PRODUCT`, `MIN_BLOCK`, `PREFETCH_AHEAD*`,
`SPINS_BEFORE_YIELD`) are frozen into the kernels when numba compiles them, and numba's
on-disk cache is keyed by the kernel's own source file, not this one: after changing one of
them, delete the cache (``find fastnet -name '*.nb[ic]' -delete``) or the old value stays in
use.
"""

# Compiler options of every kernel.  Of the fast-math flags only "contract" is on: it lets
# LLVM fuse a multiply and an add into one FMA (one rounding instead of two; the sigmoid's
# polynomial gets faster and more accurate).  The flags that assume no inf/nan ("nnan",
# "ninf") stay off: the engine relies on inf/nan to detect a diverging run.
# error_model="numpy" drops Python's division-by-zero checks, which block vectorization.
JIT_OPTIONS = {"nogil": True, "error_model": "numpy", "fastmath": {"contract"}}
# Sums also allow "reassoc": LLVM may then add in any order, which is what vectorizing a sum
# takes (eight partial sums at once); numpy's pairwise sums reorder the additions too.
SUM_OPTIONS = {**JIT_OPTIONS, "fastmath": {"contract", "reassoc"}}
# The blocks that only chain other kernels (a layer's forward, backward and update, backprop)
# are inlined into their callers by numba itself: a call between compiled functions passes
# every array as a struct and counts its references, which at mini-batch 10 cost the step
# several percent (docs/benchmarks.md).
INLINE_OPTIONS = {**JIT_OPTIONS, "inline": "always"}

# Largest product, in multiply-adds, handed to BLAS in one call (`blas._block`): OpenBLAS
# runs products below ~0.95e6 multiply-adds through its small-matrix kernels, much faster for
# the skinny products of a 10-30 neuron layer, so a mini-batch's products are cut into column
# blocks under this.  Trades one BLAS call for several.
SMALL_PRODUCT = 900_000
# Narrowest column block worth cutting: a wide layer's blocks get narrow, and narrow blocks run
# slower than one whole call; products that would need narrower blocks go to BLAS whole.
MIN_BLOCK = 32

# Bytes every parameter and work array of training is aligned to (`fastnet.aligned`): one
# cache line.  BLAS's products and the kernels ran 15-30% slower on operands that started
# mid-line, and numpy's own placement (16 bytes) made the speed differ from run to run.  Costs
# at most this many bytes per array.
ALIGN_BYTES = 64

# How many columns ahead of the one it copies the gather asks for a column's cache lines
# (`kernels._gather`), in two stages: PREFETCH_AHEAD_L2 columns ahead into the core's L2
# cache, whose queue of pending misses is deeper than L1's, so that more of memory's latency
# overlaps; PREFETCH_AHEAD columns ahead from there into L1, near enough that the lines are
# still there when the copy reads them.  Farther ahead trades cache room (a whole mini-batch
# of 1000 float64 columns is 6 MB, more than the 2 MB L2) for latency hidden; one stage at 8
# columns into L1 gathered float64 pixels 10-20% slower (docs/benchmarks.md).
# uint8 pixels (13 cache lines a column, against 98 for float64) gather in one stage, 8
# columns ahead into L1: the two stages made their epochs 1-3 ms slower.  The look-ahead
# reaches past the next mini-batch when that is shorter (`kernels._upcoming`).
PREFETCH_AHEAD = 2
PREFETCH_AHEAD_L2 = 12
PREFETCH_AHEAD_UINT8 = 8

# Reads of the barrier counter before a waiting thread yields its core after each further
# read (`parallel._barrier`), about 1 us: spinning longer wastes a core that another process
# (or the thread being waited for) could use; yielding sooner costs a system call per check.
SPINS_BEFORE_YIELD = 2000
# Bytes of gathered inputs per chunk of a large mini-batch on several threads
# (`parallel.chunks_of`): small enough that a chunk stays in the core's L2 cache from the
# forward product to the weight update; more chunks mean more barriers.
CHUNK_BYTES = 512 * 1024

# Columns per chunk when evaluating a data set (`Network.feedforward`, accuracy, cost): bounds
# the temporaries (784 x 256 x 8 bytes = 1.6 MB in float64; 1024 columns made 6.4 MB, a
# twentieth of `fastnet train`'s peak memory) while keeping BLAS's products large enough;
# 10,000 uint8 images were scored about 10% slower than in chunks of 1024.
EVAL_CHUNK = 256

# Pause before each timing of `fastnet bench`: OpenBLAS's threads keep spinning for about
# 0.1 s after a multi-threaded product and would take a core from the next implementation
# timed; twice that spin, at the cost of a slower bench.
SETTLE_SECONDS = 0.2
