#!/usr/bin/env python3
"""The training results of fastnet, as one hash, to compare two versions bit for bit.

    python tools/fingerprint.py            # the fastnet on sys.path (run from a checkout)
    python tools/fingerprint.py --each     # one hash per configuration too

Trains small runs over every configuration the engine has fast paths for (float64 and
float32 networks; mini-batches 10, 100 and 1000; uint8 and float64 pixels; 1 and 2 threads;
plain SGD, L2 with momentum) and prints the sha256 of all their final weights and biases.
An engine change that must not change results (a refactor, a faster kernel) must print the
same hash before and after, on the same machine: BLAS's kernels differ between CPUs, so the
hash is only comparable on one machine (`tools/ab_fingerprint.sh BASE_REV` runs both).
"""

import argparse
import hashlib
import itertools
import sys

import numpy as np


def configurations():
    for dtype, batch, pixels, threads, variant in itertools.product(
            ("float64", "float32"), (10, 100, 1000), ("uint8", "float64"), (1, 2),
            ("sgd", "l2-momentum")):
        yield dtype, batch, pixels, threads, variant


def run(config, data):
    import fastnet

    dtype, batch, pixels, threads, variant = config
    X, y = data[pixels]
    if variant == "sgd":
        net = fastnet.Network([784, 30, 10], dtype=dtype, seed=1)
        net.SGD((X, y), 2, batch, 3.0, threads=threads)
    else:
        net = fastnet.Network([784, 30, 20, 10], cost="cross-entropy", init="default",
                              dtype=dtype, seed=2)
        net.SGD((X, y), 2, batch, 0.1, lmbda=5.0, mu=0.5, threads=threads)
    digest = hashlib.sha256()
    for p in net.weights + net.biases:
        digest.update(np.ascontiguousarray(p).tobytes())
    return digest.hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--each", action="store_true", help="print each configuration's hash")
    parser.add_argument("--images", type=int, default=3000)
    args = parser.parse_args()
    import fastnet

    (X, y), _, _ = fastnet.load_mnist(dtype=np.uint8)
    X, y = X[:, :args.images], y[:args.images]
    data = {"uint8": (X, y), "float64": (np.asfortranarray(X / 256.0), y)}
    total = hashlib.sha256()
    for config in configurations():
        h = run(config, data)
        total.update(h.encode())
        if args.each:
            print(" ".join(map(str, config)), h[:16])
    print(total.hexdigest()[:16], "over", len(list(configurations())), "runs,", fastnet.__file__,
          file=sys.stdout)


if __name__ == "__main__":
    main()
