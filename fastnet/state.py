"""Everything a network's training changes and works in, in one object: the parameters, the
optimizer's state, the work arrays, snapshots, and the rule of one trainer at a time.

A `fastnet.Network` holds one `TrainState`; the engine (`fastnet.step`, `fastnet.parallel`,
`fastnet.train`) reads and changes the network only through it.

- Parameters: ``weights[l] : (sizes[l+1], sizes[l])`` and ``biases[l] : (sizes[l+1], 1)``,
  C-ordered, in the network's dtype, each starting on a cache line (`fastnet.aligned`).
- Optimizer state: the arrays of its `slots` (momentum's velocity, Adam's two moments), shaped
  like the parameters, and t, the number of steps it has taken; kept from one call to the next
  (as a PyTorch optimizer keeps its state), started afresh when another optimizer takes over
  or the parameters are replaced.
- Work arrays: for each mini-batch size, the arrays a mini-batch flows through (`Workspace`),
  and for optimizers that need it, the gradient; made on first use and reused, never pickled
  or copied (a copy of a network gets its own when it trains).

Shapes as above; a mini-batch of m: ``x : (n_in, m)`` F-ordered, ``y : (n_out, m)``.
"""

import threading

import numpy as np

from . import aligned
from .config import GRADIENT
from .finite import _all_finite
from .optimizers import COEFFICIENTS
from .parallel import buffers


class Workspace:
    """The arrays one mini-batch of size m flows through, allocated once and reused.

    ``x : (n_in, m)`` F-ordered, so that gathering examples writes whole columns;
    ``y : (n_out, m)``; ``sw : (m,)``, the examples' weights (`weighted`; else empty);
    ``a[l]``, ``delta[l] : (sizes[l+1], m)``, as tuples, the form the compiled step takes them
    in; ``coef``: the optimizer's constants of a step, plus the penalty's rate, in the dtype;
    ``tally``: the summed loss and weight of the mini-batches, when asked (float64).
    """

    def __init__(self, sizes, m, dtype):
        self.x = aligned.empty((sizes[0], m), dtype, order="F")
        self.y = aligned.empty((sizes[-1], m), dtype)
        self.weights = aligned.empty(m, dtype)
        self.no_weights = self.weights[:0]
        self.a = tuple(aligned.empty((n, m), dtype) for n in sizes[1:])
        self.delta = tuple(aligned.empty((n, m), dtype) for n in sizes[1:])
        self.coef = aligned.zeros(COEFFICIENTS + 1, dtype)
        self.tally = np.zeros(2)
        self._parallel = {}

    def args(self, weighted):
        """``(x, y, sw, (a, delta, coef, tally))``, as the compiled step takes them."""
        return (self.x, self.y, self.weights if weighted else self.no_weights,
                (self.a, self.delta, self.coef, self.tally))

    def parallel(self, sizes, threads):
        """The arrays of `parallel.train_batches` for `threads` threads, made once."""
        if threads not in self._parallel:
            self._parallel[threads] = buffers(sizes, self.x.shape[1], self.x.dtype, threads)
        return self._parallel[threads]


class TrainState:
    """The parameters, optimizer state and work arrays of one network (see the module)."""

    def __init__(self, sizes, dtype, weights, biases):
        self.sizes = list(sizes)
        self.dtype = np.dtype(dtype)
        self.weights = [aligned.copy(w, self.dtype) for w in weights]
        self.biases = [aligned.copy(b, self.dtype) for b in biases]
        self.optimizer = None  # whose state `slots` hold
        self.slots = []  # [(weights' arrays, biases' arrays)] per slot
        self.t = 0
        self._scratch()

    def _scratch(self):
        self._workspaces = {}
        self._gradients = None
        self._lock = threading.Lock()

    # -- one trainer at a time ----------------------------------------------------------------

    def training(self):
        """A context that holds the network for one training call; a second, concurrent one
        (another thread) is refused with a RuntimeError: two at once would interleave their
        steps on the same arrays and give garbage."""
        return _Holding(self._lock)

    # -- parameters ---------------------------------------------------------------------------

    def set_parameters(self, weights=None, biases=None):
        """Replace the weights and/or biases (arrays of the right shapes, checked by the
        caller): the optimizer's state no longer belongs to them and is dropped."""
        if weights is not None:
            self.weights = [aligned.copy(w, self.dtype) for w in weights]
        if biases is not None:
            self.biases = [aligned.copy(b, self.dtype) for b in biases]
        self.reset_optimizer()

    def parameters_finite(self):
        return all(_all_finite(p) for p in self.weights + self.biases)

    def params(self):
        """``(weights, biases)`` as tuples, the form the compiled step takes."""
        return tuple(self.weights), tuple(self.biases)

    # -- optimizer state ----------------------------------------------------------------------

    def reset_optimizer(self):
        self.optimizer, self.slots, self.t = None, [], 0

    def prepare(self, config):
        """Make the optimizer state and gradient arrays that ``config`` (a
        `fastnet.config.TrainConfig`) trains with; the state of another optimizer is dropped,
        that of the same one kept (its velocity, its moments and t carry on)."""
        if self.optimizer != config.optimizer:
            self.reset_optimizer()
            self.optimizer = config.optimizer
        while len(self.slots) < config.slots:
            self.slots.append(([aligned.zeros(w.shape, self.dtype) for w in self.weights],
                               [aligned.zeros(b.shape, self.dtype) for b in self.biases]))
        if config.route == GRADIENT and self._gradients is None:
            # The gradient, and a spare slot for an optimizer with only one (`state_args`).
            self._gradients = ([aligned.empty(w.shape, self.dtype) for w in self.weights],
                               [aligned.zeros(w.shape, self.dtype) for w in self.weights],
                               [aligned.zeros(b.shape, self.dtype) for b in self.biases])

    def state_args(self, config):
        """``(s1w, s2w, s1b, s2b, g)``, tuples of arrays, the form the compiled step takes:
        the optimizer's slots for ``config``'s route (`prepare` first) and the gradient
        arrays.  Where the route reads no such array, another of the same type stands in,
        which nothing then writes: the parameters on the SGD routes; spare arrays of their own
        for an optimizer with fewer than two slots, whose rule writes that slot back
        unchanged (not the gradient: two views of one array keep the loop from
        vectorizing)."""
        weights, biases = tuple(self.weights), tuple(self.biases)
        if self._gradients is not None and config.route == GRADIENT:
            g, spare = tuple(self._gradients[0]), (tuple(self._gradients[1]),
                                                   tuple(self._gradients[2]))
        else:
            g, spare = weights, (weights, biases)
        slots = [(tuple(w), tuple(b)) for w, b in self.slots[:config.slots]]
        s1 = slots[0] if slots else (weights, biases)
        s2 = slots[1] if len(slots) > 1 else spare
        return s1[0], s2[0], s1[1], s2[1], g

    # -- work arrays --------------------------------------------------------------------------

    def workspace(self, m):
        ws = self._workspaces.get(m)
        if ws is None:
            ws = self._workspaces[m] = Workspace(self.sizes, m, self.dtype)
        return ws

    # -- snapshots ----------------------------------------------------------------------------

    def snapshot(self):
        """A copy of everything training changes: parameters and optimizer state."""
        return ([aligned.copy(p) for p in self.weights + self.biases],
                self.optimizer, [([aligned.copy(a) for a in w], [aligned.copy(a) for a in b])
                                 for w, b in self.slots], self.t)

    def restore(self, saved):
        """Put back a `snapshot` in place (arrays a caller holds stay the network's)."""
        params, optimizer, slots, t = saved
        for p, value in zip(self.weights + self.biases, params):
            p[...] = value
        if optimizer != self.optimizer or len(slots) != len(self.slots):
            self.optimizer = optimizer
            self.slots = [([aligned.copy(a) for a in w], [aligned.copy(a) for a in b])
                          for w, b in slots]
        else:
            for (w, b), (saved_w, saved_b) in zip(self.slots, slots):
                for a, value in zip(w + b, saved_w + saved_b):
                    a[...] = value
        self.t = t

    # -- pickling -----------------------------------------------------------------------------

    def __getstate__(self):
        """The parameters and optimizer state, not the work arrays, nor the lock."""
        return {"sizes": self.sizes, "dtype": self.dtype.name, "weights": self.weights,
                "biases": self.biases, "optimizer": self.optimizer, "slots": self.slots,
                "t": self.t}

    def __setstate__(self, state):
        """Arrays made afresh on cache lines: pickling keeps an array's values, not where it
        starts, and training ran 15-30% slower on operands that start mid-line."""
        self.sizes, self.dtype = state["sizes"], np.dtype(state["dtype"])
        self.weights = [aligned.copy(w, self.dtype) for w in state["weights"]]
        self.biases = [aligned.copy(b, self.dtype) for b in state["biases"]]
        self.optimizer = state["optimizer"]
        self.slots = [([aligned.copy(a, self.dtype) for a in w],
                       [aligned.copy(a, self.dtype) for a in b]) for w, b in state["slots"]]
        self.t = state["t"]
        self._scratch()


class _Holding:
    def __init__(self, lock):
        self.lock = lock

    def __enter__(self):
        if not self.lock.acquire(blocking=False):
            raise RuntimeError("this Network is already being trained (SGD or "
                               "update_mini_batch in another thread); a network takes one "
                               "trainer at a time: train a copy (copy.deepcopy) instead")
        return self

    def __exit__(self, *exc):
        self.lock.release()
        return False
