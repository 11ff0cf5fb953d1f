"""JAX as a peer of `fastnet bench`: starting JAX on the right number of threads, in 64-bit
mode, and the implementation class `JaxRun` (the network itself: `jax_mlp`).

XLA reads its CPU threading from the ``XLA_FLAGS`` environment variable once, when JAX starts
its backend; nothing changes it afterwards.  `start` sets one thread
(`ONE_THREAD_FLAGS`) when the first setting that needs JAX is the 1-thread one, or leaves XLA
its default, every core, when it is the all-cores one; JAX is then timed only in the settings
whose thread count matches (`runs_on`), and the table says so.  float64 needs
``jax_enable_x64``, which must be set before JAX makes an array: `start` sets it at once, and
every array is made with an explicit dtype, so that the float32 runs stay float32.
"""

import os
import sys

import numpy as np

from ..network import Network
from .variants import BOOK, SEED

ONE_THREAD_FLAGS = ("--xla_cpu_multi_thread_eigen=false", "intra_op_parallelism_threads=1")
_started = {}  # "threads" and "flags" once `start` has run


def cores():
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def start(threads):
    """Import JAX with XLA on one thread if ``threads`` is 1 (else on every core), 64-bit
    types enabled; the first call decides.  Returns ``{"threads": n, "flags": XLA_FLAGS}``,
    what JAX runs on in this process.  If JAX was imported before the first call, its flags
    are read, not set (XLA may already have read them)."""
    if not _started:
        if "jax" not in sys.modules and threads == 1:
            flags = os.environ.get("XLA_FLAGS", "").split()
            os.environ["XLA_FLAGS"] = " ".join(flags + [f for f in ONE_THREAD_FLAGS
                                                        if f not in flags])
        flags = os.environ.get("XLA_FLAGS", "")
        import jax

        jax.config.update("jax_enable_x64", True)
        one = all(f in flags.split() for f in ONE_THREAD_FLAGS)
        _started.update(threads=1 if one else cores(), flags=flags)
    return dict(_started)


def runs_on(threads):
    """None if JAX runs on ``threads`` threads in this process (starting it if need be), else
    why it is not timed in that setting."""
    started = start(threads)
    if started["threads"] == threads:
        return None
    return (f"XLA runs on {started['threads']} thread{'s' if started['threads'] > 1 else ''} "
            f"in this process (set when JAX starts)")


class JaxRun:
    """JAX (with optax), float32 or float64: the variant's network from the same initial
    parameters as fastnet's, an epoch one jitted `lax.scan` over mini-batches gathered from
    the uint8 pixels on the device.  `warm_up(k)` compiles the epoch of k images ahead of
    time (`jax.jit(...).lower(...).compile()`), so that no timing includes XLA's compilation;
    `epoch(k)` waits for its result (`block_until_ready`)."""

    name = "jax"
    data_dtype = "uint8"
    variants = None

    @staticmethod
    def runs_on(threads):
        return runs_on(threads)

    def __init__(self, data, sizes, batch, dtype, threads=1, variant=BOOK):
        start(threads)
        import jax
        import jax.numpy as jnp

        from . import jax_mlp

        self.jax, self.mlp, self.batch, self.variant = jax, jax_mlp, batch, variant
        self.dtype = jnp.dtype(dtype)
        self.pixels, self.labels = data.cached("jax-train", lambda: (
            jnp.asarray(np.ascontiguousarray(data.train[0].T)),
            jnp.asarray(data.train[1].astype(np.int32))))
        self.eval_pixels, self.eval_labels = data.cached("jax-evaluation", lambda: (
            jnp.asarray(np.ascontiguousarray(data.evaluation[0].T)), data.evaluation[1]))
        start_net = Network(sizes, cost=variant.cost, init=variant.init, seed=SEED,
                            activation=variant.activation)  # the same start as fastnet's
        self.params = [(jnp.asarray(w.T, self.dtype), jnp.asarray(b[:, 0], self.dtype))
                       for w, b in zip(start_net.weights, start_net.biases)]
        self.opt_state = jax_mlp.optimizer(variant).init(self.params)
        self.key = jax.random.key(SEED)
        self.predict = jax_mlp.make_predict(variant.activation, self.dtype)
        self._epochs = {}  # k -> the compiled epoch over k images

    def warm_up(self, k):
        if k not in self._epochs:
            epoch = self.mlp.make_epoch(self.variant, self.dtype, k, self.batch)
            self._epochs[k] = epoch.lower(self.params, self.opt_state, self.key, self.pixels,
                                          self.labels).compile()

    def epoch(self, k):
        self.warm_up(k)
        self.params, self.opt_state, self.key = self._epochs[k](
            self.params, self.opt_state, self.key, self.pixels, self.labels)
        self.jax.block_until_ready(self.params)

    def accuracy(self):
        predicted = np.asarray(self.predict(self.params, self.eval_pixels))
        return float((predicted == self.eval_labels).mean())

