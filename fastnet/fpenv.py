"""The floating-point environment of training: subnormal numbers flushed to zero.

A weight whose gradient is always 0 (one fed by a pixel that is blank in every image, as
MNIST's borders are) has optimizer state that only decays: Adam's first moment and a
velocity shrink by beta1 or mu at every step, and reach the subnormal range (below 1.2e-38
in float32, 2.2e-308 in float64) after a few hundred or thousand steps.  On x86, arithmetic
on subnormal numbers takes a microcode assist, about a hundred times as long: an epoch of
Adam in float32 ran 5-8 times as long as it should (docs/benchmarks.md).  XLA (JAX) runs with
subnormals flushed; so does training here, and only here: the compiled epoch (and a single
step called from Python) sets the CPU's flush-to-zero and denormals-are-zero modes (MXCSR bits
FTZ and DAZ) for its own thread and puts the caller's modes back before it returns.  A value that would have been subnormal is
0 instead: a change below 2.2e-308 (float64) or 1.2e-38 (float32), far below anything the
tests or a training run can see; infinities and nans are untouched.

On other processors the functions do nothing (subnormals keep their IEEE behaviour).
"""

import platform

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

# MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6).
FLUSH_SUBNORMALS = (1 << 15) | (1 << 6)
_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")


def _mxcsr(builder, name, slot):
    byte_ptr = ir.IntType(8).as_pointer()
    function = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(ir.VoidType(), [byte_ptr]), name)
    builder.call(function, [builder.bitcast(slot, byte_ptr)])


@intrinsic
def _flush_subnormals(typingctx):
    """Set FTZ and DAZ for this thread; returns the modes before (for `_restore_fpenv`)."""
    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        slot = cgutils.alloca_once(builder, i32)
        if not _X86:
            return ir.Constant(i32, 0)
        _mxcsr(builder, "llvm.x86.sse.stmxcsr", slot)
        old = builder.load(slot)
        builder.store(builder.or_(old, ir.Constant(i32, FLUSH_SUBNORMALS)), slot)
        _mxcsr(builder, "llvm.x86.sse.ldmxcsr", slot)
        return old

    return types.uint32(), codegen


@intrinsic
def _restore_fpenv(typingctx, saved):
    """Put back the modes `_flush_subnormals` returned."""
    if saved != types.uint32:
        return None

    def codegen(context, builder, signature, args):
        if _X86:
            slot = cgutils.alloca_once(builder, ir.IntType(32))
            builder.store(args[0], slot)
            _mxcsr(builder, "llvm.x86.sse.ldmxcsr", slot)
        return context.get_dummy_value()

    return types.none(saved), codegen
