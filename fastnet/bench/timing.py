"""One `fastnet bench` run: what it measures (`Plan`: QUICK, FULL), under which BLAS thread
counts, the implementations and variants taking turns, the check that each learned, and the
ratios and efficiencies derived from the times.
"""

import contextlib
import importlib.metadata
import os
import platform
import statistics
import time
from dataclasses import dataclass, field

import numpy as np
import threadpoolctl

from ..settings import SETTLE_SECONDS
from . import book_format, jax_run
from . import implementations  # its IMPLEMENTATIONS and installed() looked up at run time
from .implementations import ETA, N_EPOCH, PEERS
from .rates import epoch_flops, measure_rates, shape_key
from .variants import RATIOS, VARIANTS

# The peers fastnet is to be ahead of, in every row of the same dtype and variant (issue 24).
RIVALS = ("jax", "pytorch")


@dataclass
class Plan:
    """What one `fastnet bench` run measures.

    ``images[name][batch]``: on how many training images an implementation is timed (None:
    the whole epoch); ``n_train`` is the epoch the times are scaled to.  An implementation
    is timed `repeats` times, or fewer once its timings of a group add up to `budget`
    seconds (on a loaded machine a multi-threaded peer can be 10-100x slower than usual).
    ``book_epochs`` > 0 adds the rows of `book_format` (one fastnet.book call of that many
    epochs per form, on 1 BLAS thread; the reference on ``book_reference_images``).

    Every group (network, mini-batch) times the ``book`` variant; the group of
    ``variant_sizes`` at each of ``variant_batches``, under each of ``variant_threads``, times
    ``variants`` too (`fastnet.bench.variants`), in the same turns, so that the ratios between
    variants are measured side by side.
    """

    shapes: list
    batches: list
    repeats: int
    budget: float
    images: dict = field(default_factory=dict)
    n_train: int = N_EPOCH
    square: int = 1000
    book_epochs: int = 0
    book_reference_images: int = 1000
    variants: list = field(default_factory=list)
    variant_sizes: list = field(default_factory=lambda: [784, 30, 10])
    variant_batches: list = field(default_factory=lambda: [10, 100])
    variant_threads: list = field(default_factory=lambda: [1])

    def variants_for(self, sizes, batch, threads):
        """The variants timed in the group (sizes, batch) under `threads`: book first."""
        extra = (self.variants if sizes == self.variant_sizes and batch in self.variant_batches
                 and threads in self.variant_threads else [])
        return ["book"] + [v for v in extra if v != "book"]

    def images_for(self, name, batch):
        n = self.images.get(name, {}).get(batch)
        return self.n_train if n is None else min(n, self.n_train)


# The quick plan times the book's rows only (JAX's compilations, ~2 s each, would take it past
# a minute with the variants); the full one adds the variants at [784, 30, 10], 1 thread.
QUICK = Plan(shapes=[[784, 30, 10]], batches=[10, 100], repeats=3, budget=2.0,
             book_epochs=10, book_reference_images=1000,
             images={"reference": {10: 1000, 100: 1000},
                     "pytorch": {10: 5000}, "scikit-learn": {10: 5000}})
FULL = Plan(shapes=[[784, 30, 10], [784, 100, 10]], batches=[10, 100, 1000], repeats=5,
            budget=8.0, book_epochs=10, book_reference_images=5000,
            images={"reference": {10: 5000, 100: 5000, 1000: 5000},
                    "pytorch": {10: 10000}, "scikit-learn": {10: 10000}},
            variants=[name for name in VARIANTS if name != "book"])


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
    if not implementations.installed("pytorch"):
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
    result as a JSON-ready dict (see `table.format_table` for its reading)."""
    available = [(cls, dtype) for cls, dtype in implementations.IMPLEMENTATIONS
                 if implementations.available(cls)]
    result = {"machine": machine(), "plan": _plan_dict(plan),
              "peers": {name: implementations.installed(name) for name in PEERS},
              "load_before": os.getloadavg(), "settings": []}
    rng = np.random.default_rng(0)
    if any(cls.data_dtype != "uint8" and cls.name.startswith("fastnet") for cls, _ in available):
        result["per_call"] = measure_per_call(data, plan)
    for n_threads in threads:
        with blas_threads(n_threads):
            here, skipped = _runs_on(available, n_threads)
            setting = {"threads": n_threads, "blas": _blas_info(),
                       "rates": measure_rates(plan, rng), "rows": [], "skipped": skipped}
            if any(cls.name == "jax" for cls, _ in here):
                setting["jax"] = jax_run.start(n_threads)  # what XLA runs on
            for sizes in plan.shapes:
                for batch in plan.batches:
                    variants = plan.variants_for(sizes, batch, n_threads)
                    if progress:
                        extra = f" variants={','.join(variants)}" if len(variants) > 1 else ""
                        progress(f"threads={n_threads} sizes={sizes} batch={batch}{extra}")
                    setting["rows"] += _time_group(data, plan, sizes, batch, here, n_threads,
                                                   variants)
            _add_ratios(setting, plan)
            _add_float_data_bounds(setting, result.get("per_call"))
            setting["variant_ratios"] = variant_ratios(setting["rows"])
            setting["fastnet_vs_rivals"] = fastnet_vs_rivals(setting["rows"])
        result["settings"].append(setting)
    if plan.book_epochs:
        if progress:
            progress("fastnet.book, the book's data format")
        with blas_threads(1):
            result["book_format"] = book_format.run(data, plan.book_epochs, plan.n_train,
                                                    plan.book_reference_images)
    result["load_after"] = os.getloadavg()
    return result


def _runs_on(available, threads):
    """The implementations that run under `threads`, and why the others' peers do not."""
    here, skipped = [], {}
    for cls, dtype in available:
        reason = cls.runs_on(threads) if hasattr(cls, "runs_on") else None
        if reason is None:
            here.append((cls, dtype))
        else:
            skipped[cls.name] = reason
    return here, skipped


def _time_group(data, plan, sizes, batch, available, threads, variants=("book",)):
    """Time every implementation in each of `variants` on one (network, batch size), all
    taking turns."""
    timed = [(cls, dtype, name) for name in variants for cls, dtype in available
             if getattr(cls, "variants", ("book",)) is None
             or name in getattr(cls, "variants", ("book",))]
    runs = [cls(data, sizes, batch, dtype, threads, VARIANTS[name]) for cls, dtype, name in timed]
    before = [run.accuracy() for run in runs]
    for run_ in runs:  # loading or compiling code is not timed (`warm_up`)
        if hasattr(run_, "warm_up"):
            run_.warm_up(plan.images_for(run_.name, batch))
    times = [[] for _ in runs]
    epochs = [[] for _ in runs]  # History.seconds of each timed call, where there is one
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
            if getattr(runs[i], "epoch_seconds", None) is not None:
                epochs[i].append(runs[i].epoch_seconds * plan.n_train / k)
    rows = []
    for run_, (_, dtype, variant), start_accuracy, seconds, loop in zip(runs, timed, before,
                                                                        times, epochs):
        accuracy = run_.accuracy()
        # without a starting accuracy, chance (1 in n_out) is the bar
        bar = 1 / sizes[-1] if start_accuracy is None else start_accuracy
        if not accuracy > bar:
            where = "" if variant == "book" else f", variant {variant}"
            raise RuntimeError(f"{run_.name} {dtype} did not learn at batch {batch}{where}: "
                               f"validation accuracy {accuracy:.3f}, not above {bar:.3f}")
        rows.append({"sizes": sizes, "batch": batch, "variant": variant,
                     "implementation": run_.name, "dtype": dtype, "data": run_.data_dtype,
                     "images_timed": plan.images_for(run_.name, batch),
                     "seconds_per_epoch": statistics.median(seconds),
                     "seconds_min": min(seconds), "seconds_all": seconds,
                     "epoch_loop_seconds": statistics.median(loop) if loop else None,
                     "epoch_loop_all": loop,
                     "accuracy_before": start_accuracy, "accuracy_after": accuracy})
    return rows


def _add_ratios(setting, plan):
    """Speedup over the reference, ratio to each peer, FLOPs and efficiencies, per row; the
    ratios within the same (network, mini-batch, variant), a peer of the same dtype if it
    was timed in it.  A peer without a row there: "not installed", "skipped" (not run under
    this thread count: ``setting["skipped"]`` says why) or "not timed" (not in this variant).
    A variant without the reference's row has ``speedup_vs_reference`` None."""
    rows = setting["rows"]

    def find(row, name, dtype=None):
        found = [r for r in rows if r["implementation"] == name and r["sizes"] == row["sizes"]
                 and r["batch"] == row["batch"] and r["variant"] == row["variant"]]
        same = [r for r in found if r["dtype"] == (dtype or row["dtype"])]
        return (same or found or [None])[0]

    for row in rows:
        t = row["seconds_per_epoch"]
        ref = find(row, "reference", "float64")
        row["speedup_vs_reference"] = None if ref is None else ref["seconds_per_epoch"] / t
        row["vs"] = {}
        for peer in PEERS:
            other = find(row, peer)
            if other is not None:
                row["vs"][peer] = {"ratio": other["seconds_per_epoch"] / t,
                                   "peer_dtype": other["dtype"]}
            elif not implementations.installed(peer):
                row["vs"][peer] = "not installed"
            elif peer in setting.get("skipped", {}):
                row["vs"][peer] = "skipped"
            else:
                row["vs"][peer] = "not timed"
        flops = epoch_flops(row["sizes"], plan.n_train)
        row["flops_per_epoch"] = flops
        achieved = flops / t / 1e9
        row["gflops"] = achieved
        row["efficiency"] = achieved / setting["rates"]["square"][row["dtype"]]
        row["efficiency_vs_shape_rate"] = achieved / setting["rates"]["shape"][
            shape_key(row["sizes"], row["batch"], row["dtype"])]


def variant_ratios(rows):
    """Each `variants.RATIOS` ratio, for every implementation, network, mini-batch and dtype
    timed in both variants: ``{"implementation", "sizes", "batch", "dtype", "variant",
    "baseline", "ratio", "target", "within"}``; a target (and within) for fastnet's rows only,
    the bound issue 24 sets at that mini-batch size (None where it sets none)."""
    out = []
    for ratio in RATIOS:
        for row in rows:
            if row["variant"] != ratio.variant:
                continue
            base = [r for r in rows if r["variant"] == ratio.baseline
                    and all(r[key] == row[key] for key in ("implementation", "dtype", "sizes",
                                                            "batch"))]
            if not base:
                continue
            value = row["seconds_per_epoch"] / base[0]["seconds_per_epoch"]
            target = (ratio.targets.get(row["batch"]) if row["implementation"] == "fastnet"
                      else None)
            out.append({"implementation": row["implementation"], "sizes": row["sizes"],
                        "batch": row["batch"], "dtype": row["dtype"], "variant": ratio.variant,
                        "baseline": ratio.baseline, "ratio": value, "target": target,
                        "within": None if target is None else value <= target})
    return out


def fastnet_vs_rivals(rows):
    """fastnet (uint8 pixels) against each of `RIVALS` in every row where the rival was
    timed in the same dtype and variant: ``{"compared", "ahead", "behind": [...]}``, a
    comparison the rival's seconds / fastnet's (ahead: > 1)."""
    compared, behind = 0, []
    for row in rows:
        if row["implementation"] != "fastnet":
            continue
        for rival in RIVALS:
            v = row["vs"].get(rival)
            if not isinstance(v, dict) or v["peer_dtype"] != row["dtype"]:
                continue
            compared += 1
            if v["ratio"] <= 1:
                behind.append({"sizes": row["sizes"], "batch": row["batch"],
                               "dtype": row["dtype"], "variant": row["variant"],
                               "rival": rival, "ratio": v["ratio"]})
    return {"compared": compared, "ahead": compared - len(behind), "behind": behind}


def measure_per_call(data, plan, repeats=7):
    """What a call costs beside its epochs, on the whole training set as `load_mnist` gives
    it in each dtype: ``SGD(training, 0, 10, ETA)`` (every check, no epoch), and the time numpy
    takes to read the set once (``X.max()``; the best of `repeats`), the floor that reading
    8 or 4 bytes per pixel instead of 1 puts under an epoch (`FLOAT_DATA_SLACK`)."""
    from ..network import Network

    out = {"sgd_epochs0_seconds": {}, "read_seconds": {}}
    for data_dtype in ("uint8", "float32", "float64"):
        X, y = data.train_as(data_dtype)
        training = (X[:, :plan.n_train], y[:plan.n_train])
        net = Network([X.shape[0], 30, 10], seed=0)
        calls, reads = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            net.SGD(training, 0, 10, ETA)
            calls.append(time.perf_counter() - start)
            start = time.perf_counter()
            training[0].max()
            reads.append(time.perf_counter() - start)
        out["sgd_epochs0_seconds"][data_dtype] = statistics.median(calls)
        out["read_seconds"][data_dtype] = min(reads)
    return out


# The float64 and float32 data paths' bound (issue 11): an epoch on float pixels within this
# factor of the same epoch on uint8 pixels, plus the time of reading the float set once.
FLOAT_DATA_SLACK = 1.15


def _add_float_data_bounds(setting, per_call):
    """For each fastnet row on float pixels: its epoch loop against FLOAT_DATA_SLACK x the
    uint8 row's epoch loop + the read time of its data (``row["vs_uint8"]``)."""
    if per_call is None:
        return
    rows = setting["rows"]
    for row in rows:
        if not row["implementation"].startswith("fastnet") or row["data"] == "uint8":
            continue
        base = [r for r in rows if r["implementation"] == "fastnet" and r["dtype"] == row["dtype"]
                and r["sizes"] == row["sizes"] and r["batch"] == row["batch"]
                and r["variant"] == row["variant"]]
        if not base or row["epoch_loop_seconds"] is None:
            continue
        uint8 = base[0]["epoch_loop_seconds"]
        read = per_call["read_seconds"][row["data"]]
        bound = FLOAT_DATA_SLACK * uint8 + read
        row["vs_uint8"] = {"uint8_epoch_loop": uint8, "read_seconds": read, "bound": bound,
                           "call_within": row["seconds_per_epoch"] <= bound,
                           "epoch_loop_within": row["epoch_loop_seconds"] <= bound}


def _plan_dict(plan):
    return {"shapes": plan.shapes, "batches": plan.batches, "repeats": plan.repeats,
            "budget_seconds": plan.budget,
            "n_train": plan.n_train, "eta": ETA, "images": plan.images, "square": plan.square,
            "book_epochs": plan.book_epochs,
            "book_reference_images": plan.book_reference_images,
            "variants": {name: VARIANTS[name].as_dict() for name in ["book"] + plan.variants},
            "variant_sizes": plan.variant_sizes, "variant_batches": plan.variant_batches,
            "variant_threads": plan.variant_threads}


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
    for name, modules in PEERS.items():
        if implementations.installed(name):
            info[name] = _version(modules[0])
            for module in modules[1:]:
                info[module] = _version(module)
    return info


def _version(module):
    """The installed version of ``module``, from its distribution's metadata where the two
    share a name: importing JAX here would start it before `jax_run.start` sets its threads."""
    try:
        return importlib.metadata.version(module)
    except importlib.metadata.PackageNotFoundError:
        return __import__(module).__version__


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
