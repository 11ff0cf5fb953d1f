"""Epoch: one epoch of SGD on the 50,000 MNIST training images, every implementation.

fastnet trains on the whole epoch.  The per-example reference, and PyTorch and scikit-learn at
mini-batch 10, are timed on the first `SLICE` images instead, and their times scaled to 50,000
images (x10 for 5,000), so that the tables compare epochs; their names say so, e.g.
``reference-float64-slice5000-scaled``, and ``extra_info`` has the images timed and the
scale.  The implementations are those of `fastnet bench` (`fastnet.bench.implementations`:
same network, initial parameters where the library allows, eta and cost; see
docs/benchmarks.md).  Each benchmark warms up (numba compiled or loaded, one epoch of 1,000
images), checks that training raised validation accuracy, and records threads, dtype, sizes
and batch.  fastnet trains on as many threads as BLAS is given (`--blas-threads`).

JAX runs on one XLA thread with ``--blas-threads=1`` and on every core with ``all`` (its threads
are set when it starts, `fastnet.bench.jax_run`; other counts skip it), and compiles its epoch
for the images timed before the timing (``warm_up``).

`test_variant_epoch` times the variants of `fastnet.bench.variants` (tanh, ReLU and identity
hidden layers against sigmoid's on cross-entropy, L1 against L2, Adam against SGD) for fastnet,
PyTorch and JAX at [784, 30, 10], mini-batches 10 and 100; its groups are "variants 784-30-10
batch m", so that a variant's rows sit beside its baseline's.  The ratios issue 24 sets targets
for are computed by `fastnet bench` (one run, turns taken), not here.

``fastnet-f64data`` and ``fastnet-f32data`` are the README's path: the float64 (float32) pixels
of ``load_mnist()``, one ``SGD(training, 1, m, 3.0)`` call per timing, every check counted,
beside fastnet's rows on uint8 pixels.  `test_call_overhead` times ``SGD(training, 0, 10, 3.0)``
on the whole training set (the checks and setup of a call, no epoch), and `test_read` numpy
reading the set once (``X.max()``), the floor under an epoch on 8 or 4 bytes per pixel.
"""

import numpy as np

import time

import pytest

from fastnet import Network
from fastnet.bench import implementations
from fastnet.bench.implementations import N_EPOCH
from fastnet.bench.variants import VARIANTS
from fastnet.settings import SETTLE_SECONDS

SHAPES = {"784-30-10": [784, 30, 10], "784-100-10": [784, 100, 10]}
BATCHES = [10, 100, 1000]
SLICE = {"reference": {10: 5000, 100: 5000, 1000: 5000},
         "pytorch": {10: 10000}, "scikit-learn": {10: 10000}}
ROUNDS = 3
RUNS = {f"{cls.name}-{dtype}": (cls, dtype) for cls, dtype in implementations.IMPLEMENTATIONS}
VARIANT_RUNS = {name: run for name, run in RUNS.items() if run[0].variants is None}
VARIANT_BATCHES = [10, 100]


@pytest.mark.parametrize("impl", list(RUNS))
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_epoch(benchmark, record, data, blas_threads, shape, batch, impl):
    _time_epoch(benchmark, record, data, blas_threads, SHAPES[shape], batch, *RUNS[impl],
                "book", f"epoch {shape} batch {batch}")


@pytest.mark.parametrize("impl", list(VARIANT_RUNS))
@pytest.mark.parametrize("batch", VARIANT_BATCHES)
@pytest.mark.parametrize("variant", [name for name in VARIANTS if name != "book"])
def test_variant_epoch(benchmark, record, data, blas_threads, variant, batch, impl):
    _time_epoch(benchmark, record, data, blas_threads, SHAPES["784-30-10"], batch,
                *VARIANT_RUNS[impl], variant, f"variants 784-30-10 batch {batch}")


def _time_epoch(benchmark, record, data, blas_threads, sizes, batch, cls, dtype, variant, group):
    if not implementations.available(cls):
        pytest.skip(f"{cls.name} is not installed")
    reason = cls.runs_on(blas_threads) if hasattr(cls, "runs_on") else None
    if reason is not None:
        pytest.skip(f"{cls.name} not timed at {blas_threads} threads: {reason}")
    images = SLICE.get(cls.name, {}).get(batch, N_EPOCH)
    benchmark.group = group
    scale = N_EPOCH / images
    if scale != 1:
        benchmark.name = f"{benchmark.name[:-1]}-slice{images}-scaled]"
        # pytest-benchmark times with this clock (a private attribute, read when the runner
        # is made): a clock running `scale` times as fast scales every timing to the epoch.
        clock = benchmark._timer
        benchmark._timer = lambda: clock() * scale
    run = cls(data, sizes, batch, dtype, blas_threads, VARIANTS[variant])
    before = run.accuracy()
    run.epoch(1000)  # warm-up
    if hasattr(run, "warm_up"):
        run.warm_up(images)  # what the first call on `images` does once (JAX: compiles)
    benchmark.pedantic(run.epoch, args=(images,), rounds=ROUNDS, iterations=1,
                       setup=lambda: time.sleep(SETTLE_SECONDS))  # see settings.py
    after = run.accuracy()
    assert after > (1 / sizes[-1] if before is None else before)
    record(impl=cls.name, dtype=dtype, sizes=sizes, batch=batch, variant=variant,
           variant_setup=VARIANTS[variant].as_dict(), images_timed=images,
           scale=scale, seconds_per_epoch=benchmark.stats.stats.median,
           accuracy_before=before, accuracy_after=after)


DATA_DTYPES = ["uint8", "float32", "float64"]


@pytest.mark.parametrize("data_dtype", DATA_DTYPES)
@pytest.mark.benchmark(group="per-call overhead: SGD(training, 0, 10, 3.0)")
def test_call_overhead(benchmark, record, data, data_dtype):
    training = data.train_as(data_dtype)
    net = Network([784, 30, 10], seed=1)
    before = net.weights + net.biases
    history = benchmark(net.SGD, training, 0, 10, 3.0)
    assert history.epochs == 0
    assert all(np.array_equal(p, q) for p, q in zip(before, net.weights + net.biases))
    record(data=data_dtype, images=training[0].shape[1])


@pytest.mark.parametrize("data_dtype", ["float32", "float64"])
@pytest.mark.benchmark(group="reading the training set once: X.max()")
def test_read(benchmark, record, data, data_dtype):
    X, _ = data.train_as(data_dtype)
    assert benchmark(X.max) == X.dtype.type(255 / 256)
    record(data=data_dtype, megabytes=X.nbytes / 1e6)
