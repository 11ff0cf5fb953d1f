"""Shared setup of the benchmark suite: the data, the BLAS thread count, what each records.

Run with `pytest benchmarks` (add `--blas-threads=all` for every core; default 1).  The
thread count applies to every BLAS threadpoolctl finds and to PyTorch, for the whole session,
and every benchmark records it in ``extra_info`` with its dtype, shapes and batch size.
"""

import numpy as np
import pytest
import threadpoolctl

from fastnet import load_mnist
from fastnet.bench import implementations, timing


def pytest_addoption(parser):
    parser.addoption("--blas-threads", default="1", metavar="N|all",
                     help="BLAS (and PyTorch) threads for every benchmark (default: 1)")


@pytest.fixture(scope="session", autouse=True)
def blas_threads(request):
    """The thread count, set once for the session."""
    (threads,) = timing.thread_settings(request.config.getoption("--blas-threads"))
    with timing.blas_threads(threads):
        yield threads


@pytest.fixture(scope="session")
def data():
    """MNIST as the implementations of fastnet.bench take it (`implementations.Data`): uint8
    training images, 2,000 validation images."""
    (X, y), validation, _ = load_mnist(dtype=np.uint8)
    return implementations.Data((X, y), validation)


@pytest.fixture
def record(benchmark, blas_threads):
    """record(**info): put info, the thread count and the BLAS libraries in extra_info."""
    def record(**info):
        benchmark.extra_info.update(info)
        benchmark.extra_info["blas_threads"] = blas_threads
        benchmark.extra_info["blas"] = [
            f"{i['internal_api']} {i['version']} ({i['num_threads']} threads)"
            for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    return record
