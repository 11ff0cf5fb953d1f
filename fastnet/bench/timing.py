"""`fastnet bench`: one epoch of SGD on MNIST, side by side, in one process.

The implementations, all training the book's network.py setup (quadratic cost on sigmoid
outputs, weights and biases from N(0, 1), eta = 3.0, plain SGD over shuffled mini-batches):

- ``fastnet`` (this package), float64 and float32, on the raw uint8 pixels;
- ``reference``, the per-example oracle (`fastnet.reference.Network`), float64;
- ``pytorch`` (CPU, when installed), float32: the same network and initial parameters,
  `torch.optim.SGD`, the loss ``0.5 * sum ||a - y||^2 / m`` (its gradient times eta is the
  book's ``eta/m * sum of gradients``), a shuffled index gather per mini-batch;
- ``scikit-learn`` (when installed), float64 and float32: `MLPClassifier(solver="sgd",
  activation="logistic", max_iter=1, ...)`, one epoch per ``fit``.  Its output layer is a
  softmax with log-loss and its initialization is its own; the rest matches.

Slow implementations are timed on a slice of the training set (the first k images) and the
time is scaled to the 50,000 images of an epoch; the table says on how many images each figure
was measured.  Within a (network, mini-batch size) group the implementations take turns
(A B C, B C A, ...) for several repeats, so that noise from other processes hits them alike,
and the median is reported.  Every implementation must have learned (validation accuracy up
from its start), or the run fails.

FLOPs of an epoch: the multiply-adds of the matrix products, 2 flops each (the element-wise
work is not counted): per example, ``2 n_out n_in`` for each layer's forward product and for its
weight gradient, and again for backpropagating the error through every layer but the first.
For [784, 30, 10] that is 95,880 per example, 4.79 GFLOP per epoch.  Efficiency is the epoch's
FLOPs / (its time x a matrix-multiply rate measured in the same run with numpy's ``@``): the
rate of a 1000 x 1000 x 1000 product (the machine's BLAS at its best on this thread count;
the headline figure) and, for comparison, the rate of the network's own first-layer product
``[n1 x 784] @ [784 x m]`` at the mini-batch size m.
"""

import contextlib
import importlib.util
import json
import os
import platform
import statistics
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import threadpoolctl

from . import reference
from .network import Network
from .settings import SETTLE_SECONDS

ETA = 3.0
N_EPOCH = 50_000
N_EVAL = 2_000
SEED = 12345


@dataclass
class Plan:
    """What one `fastnet bench` run measures.

    ``images[name][batch]``: on how many training images an implementation is timed (None:
    the whole epoch); ``n_train`` is the epoch the times are scaled to.  An implementation
    is timed `repeats` times, or fewer once its timings of a group add up to `budget`
    seconds (on a loaded machine a multi-threaded peer can be 10-100x slower than usual).
    """

    shapes: list
    batches: list
    repeats: int
    budget: float
    images: dict = field(default_factory=dict)
    n_train: int = N_EPOCH
    square: int = 1000

    def images_for(self, name, batch):
        n = self.images.get(name, {}).get(batch)
        return self.n_train if n is None else min(n, self.n_train)


QUICK = Plan(shapes=[[784, 30, 10]], batches=[10, 100], repeats=3, budget=2.0,
             images={"reference": {10: 1000, 100: 1000},
                     "pytorch": {10: 5000}, "scikit-learn": {10: 5000}})
FULL = Plan(shapes=[[784, 30, 10], [784, 100, 10]], batches=[10, 100, 1000], repeats=5,
            budget=8.0,
            images={"reference": {10: 5000, 100: 5000, 1000: 5000},
                    "pytorch": {10: 10000}, "scikit-learn": {10: 10000}})

PEERS = {"pytorch": "torch", "scikit-learn": "sklearn"}


def installed(name):
    """Whether the peer implementation ``name`` ("pytorch", "scikit-learn") can be imported."""
    return importlib.util.find_spec(PEERS[name]) is not None


def epoch_flops(sizes, n=N_EPOCH):
    """Floating-point operations of the matrix products of one epoch of n examples."""
    layers = [n_out * n_in for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return 2 * n * (2 * sum(layers) + sum(layers[1:]))


# -- the implementations ---------------------------------------------------------------------
#
# Each is a class whose instance holds one network and trains it: ``epoch(k)`` runs one epoch
# over the first k training images; ``accuracy()`` is the fraction right of the N_EVAL
# validation images (None when there is no network yet).  `threads` is the setting's thread
# count: fastnet trains on that many threads; the others follow the BLAS and PyTorch limits
# that `blas_threads` sets.


class FastnetRun:
    name = "fastnet"

    def __init__(self, data, sizes, batch, dtype, threads=1):
        self.data, self.batch, self.threads = data, batch, threads
        self.net = Network(sizes, cost="quadratic", init="large", dtype=dtype, seed=SEED)

    def epoch(self, k):
        X, y = self.data.train
        self.net.SGD((X[:, :k], y[:k]), 1, self.batch, ETA, threads=self.threads)

    def accuracy(self):
        return self.net.accuracy(*self.data.evaluation) / N_EVAL


class ReferenceRun:
    name = "reference"

    def __init__(self, data, sizes, batch, dtype, threads=1):
        assert dtype == "float64"
        self.data, self.batch = data, batch
        self.net = reference.Network(sizes, np.random.default_rng(SEED))

    def epoch(self, k):
        X, y = self.data.train_float64(k)
        self.net.SGD((X, y), 1, self.batch, ETA)

    def accuracy(self):
        X, y = self.data.evaluation
        return self.net.accuracy((X / 256.0, y)) / N_EVAL


class TorchRun:
    name = "pytorch"

    def __init__(self, data, sizes, batch, dtype, threads=1):
        import torch

        self.torch, self.data, self.batch = torch, data, batch
        self.dtype = getattr(torch, dtype)
        start = Network(sizes, cost="quadratic", init="large", seed=SEED)  # the same start
        layers = []
        for w, b in zip(start.weights, start.biases):
            linear = torch.nn.Linear(w.shape[1], w.shape[0], dtype=self.dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(w))
                linear.bias.copy_(torch.from_numpy(b[:, 0]))
            layers += [linear, torch.nn.Sigmoid()]
        self.model = torch.nn.Sequential(*layers)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=ETA)
        self.generator = torch.Generator().manual_seed(SEED)
        X, y = data.train
        self.X = torch.from_numpy(np.ascontiguousarray(X.T))  # (n, 784) uint8, one row each
        self.y = torch.from_numpy(y.astype(np.int64))
        self.k = sizes[-1]

    def epoch(self, k):
        torch, m = self.torch, self.batch
        perm = torch.randperm(k, generator=self.generator)
        for start in range(0, k, m):
            index = perm[start:start + m]
            x = self.X[index].to(self.dtype) / 256
            y = torch.nn.functional.one_hot(self.y[index], self.k).to(self.dtype)
            loss = 0.5 * ((self.model(x) - y) ** 2).sum() / len(index)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def accuracy(self):
        X, y = self.data.evaluation
        with self.torch.no_grad():
            out = self.model(self.torch.from_numpy(X.T.astype(np.float32)).to(self.dtype) / 256)
        return float((out.argmax(dim=1).numpy() == y).mean())


class SklearnRun:
    name = "scikit-learn"

    def __init__(self, data, sizes, batch, dtype, threads=1):
        from sklearn.neural_network import MLPClassifier

        self.data, self.dtype = data, dtype
        self.model = MLPClassifier(
            hidden_layer_sizes=tuple(sizes[1:-1]), activation="logistic", solver="sgd",
            batch_size=batch, learning_rate="constant", learning_rate_init=ETA, max_iter=1,
            momentum=0.0, nesterovs_momentum=False, alpha=0.0, shuffle=True,
            random_state=SEED, warm_start=True)

    def epoch(self, k):
        from sklearn.exceptions import ConvergenceWarning

        X, y = self.data.train_rows(k, self.dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=1 is the point
            self.model.fit(X, y)

    def accuracy(self):
        X, y = self.data.evaluation
        if not hasattr(self.model, "coefs_"):
            return None  # an MLPClassifier has no parameters before its first fit
        return float(self.model.score((X.T / 256.0).astype(self.dtype), y))


IMPLEMENTATIONS = [(FastnetRun, "float64"), (FastnetRun, "float32"), (ReferenceRun, "float64"),
                   (TorchRun, "float32"), (SklearnRun, "float64"), (SklearnRun, "float32")]


class Data:
    """The training images as uint8 (what fastnet trains on) and the conversions the other
    implementations need, made once, outside the timings."""

    def __init__(self, train, evaluation):
        self.train = train
        self.evaluation = (evaluation[0][:, :N_EVAL], evaluation[1][:N_EVAL])
        self._float64 = {}
        self._rows = {}

    def train_float64(self, k):
        if k not in self._float64:
            self._float64[k] = (self.train[0][:, :k] / 256.0, self.train[1][:k])
        return self._float64[k]

    def train_rows(self, k, dtype):
        """(k, 784) scaled rows, the layout scikit-learn takes."""
        if (k, dtype) not in self._rows:
            X = (self.train[0][:, :k].T / 256.0).astype(dtype)
            self._rows[(k, dtype)] = (np.ascontiguousarray(X), self.train[1][:k])
        return self._rows[(k, dtype)]


# -- matrix-multiply rates -----------------------------------------------------------------------


def matmul_rate(a, b, min_seconds=0.05, repeats=5):
    """GFLOP/s of ``a @ b`` with numpy (into a preallocated result): the best of `repeats`
    timings, each of enough calls to last `min_seconds`."""
    out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    np.matmul(a, b, out=out)
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < min_seconds / 5:
        np.matmul(a, b, out=out)
        calls += 1
    calls = max(1, int(calls * 5))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            np.matmul(a, b, out=out)
        best = min(best, (time.perf_counter() - start) / calls)
    return 2 * a.shape[0] * a.shape[1] * b.shape[1] / best / 1e9


def measure_rates(plan, rng):
    """{"square": {dtype: GFLOP/s}, "shape": {"784-30-10/100/float32": GFLOP/s, ...}}."""
    rates = {"square": {}, "shape": {}}
    for dtype in ("float64", "float32"):
        a = rng.standard_normal((plan.square, plan.square)).astype(dtype)
        rates["square"][dtype] = matmul_rate(a, a.copy())
        for sizes in plan.shapes:
            w = rng.standard_normal((sizes[1], sizes[0])).astype(dtype)
            for batch in plan.batches:
                x = np.asfortranarray(rng.standard_normal((sizes[0], batch)).astype(dtype))
                rates["shape"][_shape_key(sizes, batch, dtype)] = matmul_rate(w, x)
    return rates


def _shape_key(sizes, batch, dtype):
    return f"{'-'.join(map(str, sizes))}/{batch}/{dtype}"


# -- one run -----------------------------------------------------------------------------------


@contextlib.contextmanager
def blas_threads(n):
    """BLAS (every library threadpoolctl finds) and PyTorch, if installed, at n threads."""
    torch = _torch_if_installed()
    before = torch.get_num_threads() if torch else None
    with threadpoolctl.threadpool_limits(limits=n, user_api="blas"):
        if torch:
            torch.set_num_threads(n)
        try:
            yield
        finally:
            if torch:
                torch.set_num_threads(before)


def _torch_if_installed():
    if not installed("pytorch"):
        return None
    import torch

    return torch


def thread_settings(spec):
    """"1", "all", "both" or a number -> the list of BLAS thread counts to run under."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if spec == "both":
        return sorted({1, cores})
    if spec == "all":
        return [cores]
    try:
        n = int(spec)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"--threads must be 1, all, both or a positive number, not {spec!r}")
    return [n]


def run(data, plan, threads, progress=None):
    """Measure everything in `plan` under each BLAS thread count in `threads`; returns the
    result as a JSON-ready dict (see `format_table` for its reading)."""
    available = [(cls, dtype) for cls, dtype in IMPLEMENTATIONS
                 if cls.name not in PEERS or installed(cls.name)]
    result = {"machine": machine(), "plan": _plan_dict(plan),
              "peers": {name: installed(name) for name in PEERS},
              "load_before": os.getloadavg(), "settings": []}
    rng = np.random.default_rng(0)
    for n_threads in threads:
        with blas_threads(n_threads):
            setting = {"threads": n_threads, "blas": _blas_info(),
                       "rates": measure_rates(plan, rng), "rows": []}
            for sizes in plan.shapes:
                for batch in plan.batches:
                    if progress:
                        progress(f"threads={n_threads} sizes={sizes} batch={batch}")
                    setting["rows"] += _time_group(data, plan, sizes, batch, available,
                                                   n_threads)
            _add_ratios(setting, plan)
        result["settings"].append(setting)
    result["load_after"] = os.getloadavg()
    return result


def _time_group(data, plan, sizes, batch, available, threads):
    """Time every implementation on one (network, batch size), taking turns."""
    runs = [cls(data, sizes, batch, dtype, threads) for cls, dtype in available]
    dtypes = [dtype for _, dtype in available]
    before = [run.accuracy() for run in runs]
    times = [[] for _ in runs]
    for repeat in range(plan.repeats):
        order = list(range(len(runs)))
        order = order[repeat % len(order):] + order[:repeat % len(order)]
        for i in order:
            k = plan.images_for(runs[i].name, batch)
            if sum(times[i]) * k / plan.n_train >= plan.budget:
                continue
            time.sleep(SETTLE_SECONDS)
            start = time.perf_counter()
            runs[i].epoch(k)
            times[i].append((time.perf_counter() - start) * plan.n_train / k)
    rows = []
    for run_, dtype, start_accuracy, seconds in zip(runs, dtypes, before, times):
        accuracy = run_.accuracy()
        # without a starting accuracy, chance (1 in n_out) is the bar
        bar = 1 / sizes[-1] if start_accuracy is None else start_accuracy
        if not accuracy > bar:
            raise RuntimeError(f"{run_.name} {dtype} did not learn at batch {batch}: validation "
                               f"accuracy {accuracy:.3f}, not above {bar:.3f}")
        rows.append({"sizes": sizes, "batch": batch, "implementation": run_.name,
                     "dtype": dtype, "images_timed": plan.images_for(run_.name, batch),
                     "seconds_per_epoch": statistics.median(seconds),
                     "seconds_min": min(seconds), "seconds_all": seconds,
                     "accuracy_before": start_accuracy, "accuracy_after": accuracy})
    return rows


def _add_ratios(setting, plan):
    """Speedup over the reference, ratio to each peer, FLOPs and efficiencies, per row."""
    rows = setting["rows"]

    def find(row, name, dtype=None):
        found = [r for r in rows if r["implementation"] == name and r["sizes"] == row["sizes"]
                 and r["batch"] == row["batch"]]
        same = [r for r in found if r["dtype"] == (dtype or row["dtype"])]
        return (same or found or [None])[0]

    for row in rows:
        t = row["seconds_per_epoch"]
        ref = find(row, "reference", "float64")
        row["speedup_vs_reference"] = ref["seconds_per_epoch"] / t
        row["vs"] = {}
        for peer in PEERS:
            other = find(row, peer)
            row["vs"][peer] = ({"ratio": other["seconds_per_epoch"] / t,
                                "peer_dtype": other["dtype"]}
                               if other is not None else "not installed")
        flops = epoch_flops(row["sizes"], plan.n_train)
        row["flops_per_epoch"] = flops
        achieved = flops / t / 1e9
        row["gflops"] = achieved
        row["efficiency"] = achieved / setting["rates"]["square"][row["dtype"]]
        row["efficiency_vs_shape_rate"] = achieved / setting["rates"]["shape"][
            _shape_key(row["sizes"], row["batch"], row["dtype"])]


def _plan_dict(plan):
    return {"shapes": plan.shapes, "batches": plan.batches, "repeats": plan.repeats,
            "budget_seconds": plan.budget,
            "n_train": plan.n_train, "eta": ETA, "images": plan.images, "square": plan.square}


def _blas_info():
    return [{k: info.get(k) for k in ("internal_api", "version", "num_threads", "architecture",
                                       "filepath")}
            for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]


def machine():
    """What the figures were measured on."""
    info = {"platform": platform.platform(), "python": platform.python_version(),
            "cpu_count": os.cpu_count(), "processor": _cpu_model(), "numpy": np.__version__}
    import numba
    import scipy

    info["numba"], info["scipy"] = numba.__version__, scipy.__version__
    for name, module in PEERS.items():
        if installed(name):
            info[name] = __import__(module).__version__
    return info


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# -- output ------------------------------------------------------------------------------------


def format_table(result):
    """The result as text: per thread setting, the rates and one line per implementation."""
    lines = []
    peers = list(PEERS)
    for setting in result["settings"]:
        rates = setting["rates"]
        square = ", ".join(f"{d} {r:.1f}" for d, r in rates["square"].items())
        lines.append(f"BLAS threads = {setting['threads']}   "
                     f"matmul {result['plan']['square']}^3: {square} GFLOP/s")
        shape = ", ".join(f"{k} {r:.1f}" for k, r in rates["shape"].items())
        lines.append(f"  first-layer product [n1 x 784] @ [784 x m] (sizes/m/dtype): {shape}")
        header = (f"{'network':<12}{'batch':>6}  {'implementation':<15}{'dtype':<9}"
                  f"{'s/epoch':>9}{'timed on':>10}{'x ref':>8}"
                  + "".join(f"{'x ' + p:>15}" for p in peers)
                  + f"{'eff.':>7}{'eff.shape':>10}{'accuracy':>14}")
        lines += ["", header, "-" * len(header)]
        for row in setting["rows"]:
            vs = []
            for peer in peers:
                v = row["vs"][peer]
                if v == "not installed":
                    vs.append(f"{'not installed':>15}")
                elif row["implementation"] == peer and v["peer_dtype"] == row["dtype"]:
                    vs.append(f"{'-':>15}")
                else:
                    vs.append(f"{v['ratio']:>10.2f} {v['peer_dtype'][-2:]:>2}  ")
            lines.append(
                f"{'-'.join(map(str, row['sizes'])):<12}{row['batch']:>6}  "
                f"{row['implementation']:<15}{row['dtype']:<9}"
                f"{row['seconds_per_epoch']:>9.3f}{row['images_timed']:>10}"
                f"{row['speedup_vs_reference']:>8.1f}" + "".join(vs)
                + f"{row['efficiency']:>7.0%}{row['efficiency_vs_shape_rate']:>10.0%}"
                + f"{_accuracy(row['accuracy_before']):>7}->{row['accuracy_after']:.2f}")
        lines.append("")
    load = ", ".join(f"{x:.2f}" for x in result["load_before"])
    lines.append(f"load average before: {load}; after: "
                 + ", ".join(f"{x:.2f}" for x in result["load_after"]))
    lines.append("s/epoch: median over repeats (n in the JSON), scaled to the epoch when timed on fewer images; "
                 "x ref / x peer: that time / this time (peer dtype in the last column); "
                 "eff.: epoch matmul FLOPs / time / the 1000^3 matmul rate")
    return "\n".join(lines)


def _accuracy(value):
    return "-" if value is None else f"{value:.2f}"


def write_json(result, path):
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


def command(args, train, evaluation):
    """`fastnet bench`: run, print the table, write the JSON if asked."""
    from .cli import CommandError

    try:
        threads = thread_settings(args.threads or ("1" if args.quick else "both"))
    except ValueError as e:
        raise CommandError(e) from e
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        raise CommandError(f"--json {args.json}: no such directory")
    plan = QUICK if args.quick else FULL
    for name in PEERS:
        if not installed(name):
            print(f"{name}: not installed (pip install -e \".[compare]\" adds it)")
    try:
        result = run(Data(train, evaluation), plan, threads,
                     progress=lambda msg: print(f"timing {msg} ...", flush=True))
    except RuntimeError as e:
        raise CommandError(e) from e
    print()
    print(format_table(result))
    if args.json:
        try:
            write_json(result, args.json)
        except OSError as e:
            raise CommandError(f"--json {args.json}: {e.strerror}") from e
        print(f"wrote {args.json}")
    return 0
