"""MNIST loading: the book's training/validation/test split, in the layout the engine wants.

The engine multiplies weight matrices by mini-batches whose columns are images, so every `X` here
is `(784, n)` in Fortran order: each image is one contiguous column, and gathering a mini-batch
reads contiguous memory. IDX stores images as `(n, 28, 28)` row-major bytes, whose transpose is
exactly that layout, so the bytes are read once into one buffer and converted in a single pass;
no per-example Python objects are made and the peak stays close to the size of the result.

Everything read is treated as untrusted: a damaged or foreign file gives a one-line
`ValueError` naming it, and `mnist.pkl.gz` goes through an unpickler that can build numpy arrays
and tuples and nothing else, so a pickle can never run code.
"""

import codecs
import gzip
import hashlib
import math
import os
import pickle
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

IMAGE_SHAPE = (28, 28)
N_PIXELS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
N_CLASSES = 10

# The splits load_mnist returns, in its order.
SPLITS = ("training", "validation", "test")

# The four IDX files, by their original names; each may also be stored gzipped as NAME.gz.
TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"

# The bundled files, as committed in data/mnist/ (also listed in data/README.md).
BUNDLED_SHA256 = {
    "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    "train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
    "t10k-images-idx3-ubyte.gz": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    "t10k-labels-idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
}

DTYPES = (np.uint8, np.float32, np.float64)

_GZIP_MAGIC = b"\x1f\x8b"
# A deflate stream expands at most 1032-fold, so a header that claims more data than that is
# lying; refusing it up front keeps a corrupt header from allocating gigabytes.
_MAX_DEFLATE_RATIO = 1032
_READ_CHUNK = 1 << 20


def bundled_dirs():
    """The places the bundled MNIST may be, in the order they are tried: the source checkout
    (also what an editable install sees), then the copy `pip install .` puts under sys.prefix."""
    return (
        Path(__file__).resolve().parent.parent / "data" / "mnist",
        Path(sys.prefix) / "share" / "fastnet" / "mnist",
    )


def locate_data(path=None):
    """Resolve where the data comes from: `path`, else $FASTNET_DATA, else the bundled copy.

    Returns `(Path, origin)`, origin being "argument", "FASTNET_DATA" or "bundled".
    """
    if path is not None:
        return _existing(Path(path), "the path given"), "argument"
    if os.environ.get("FASTNET_DATA"):
        return _existing(Path(os.environ["FASTNET_DATA"]), "$FASTNET_DATA"), "FASTNET_DATA"
    for candidate in bundled_dirs():
        if candidate.is_dir():
            return candidate, "bundled"
    looked = " and ".join(str(d) for d in bundled_dirs())
    raise FileNotFoundError(
        f"bundled MNIST not found (looked in {looked}); set FASTNET_DATA or pass --data "
        "to point at a directory of MNIST IDX files or at mnist.pkl.gz"
    )


def load_mnist(path=None, dtype=np.float64, split=None):
    """Load MNIST split as in the book's mnist.pkl.gz.

    path : None (the bundled copy, or $FASTNET_DATA when set), a directory holding the four IDX
        files under their original names (each raw or gzipped; any data set of 28x28 byte
        images with labels 0..9 in that format works), or the path of the book's mnist.pkl.gz.
    dtype : float64 or float32 give pixels as value/256 (max 255/256), as in mnist.pkl.gz;
        uint8 gives the raw pixel bytes 0..255 unscaled, for callers that hold the set at one
        byte per pixel and scale later (value/256 is exact in floating point).

    Returns `(training, validation, test)`, each a pair `(X, y)`:
        X : (784, n), Fortran-ordered (each image a contiguous column), of `dtype`
        y : (n,) int64 labels
    training is the first 50,000 images of the official training file, validation the last
    10,000 (for other IDX data sets: the last sixth), test the official test file.

    split : None (all three), or one of SPLITS, to load and return only that `(X, y)` pair:
        "test" reads only the test files of an IDX directory (the training files need not be
        there); "training" and "validation" read the training files.

    Raises FileNotFoundError when the data is missing, and ValueError, naming the file, when a
    file is damaged or not what it should be. The bundled files are checked against their sha256.
    """
    dtype = _check_dtype(dtype)
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be None or one of {', '.join(SPLITS)}, not {split!r}")
    where, _ = locate_data(path)
    if where.is_dir():
        return _load_idx_dir(where, dtype, split)
    splits = _load_pickle(where, dtype)
    return splits if split is None else splits[SPLITS.index(split)]


def one_hot(y, k=N_CLASSES, dtype=np.float64):
    """The targets for labels `y` : (n,) as columns: a (k, n) array, Fortran-ordered like X,
    with a 1 in row y[i] of column i."""
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise ValueError(f"labels must be a 1-d integer array, got shape {y.shape} of {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"labels must lie in 0..{k - 1}, found {y.min()}..{y.max()}")
    out = np.zeros((k, y.size), dtype, order="F")
    out[y, np.arange(y.size)] = 1
    return out


def as_dtype(X, dtype):
    """Pixel bytes ``X : (784, n)`` (as ``load_mnist(dtype=numpy.uint8)`` gives them) as
    ``load_mnist(dtype=dtype)`` would give them: value/256, F-ordered, in one pass."""
    return _pixels(np.asarray(X).T, _check_dtype(dtype))


def _check_dtype(dtype):
    try:
        checked = np.dtype(dtype)
    except TypeError:
        checked = None
    if checked not in DTYPES:
        raise ValueError(f"dtype must be uint8, float32 or float64, got {dtype!r}")
    return checked


def _existing(path, what):
    if not path.exists():
        raise FileNotFoundError(
            f"{path} ({what}) does not exist: expected a directory of MNIST IDX files "
            f"({TRAIN_IMAGES}[.gz] and the three others) or the book's mnist.pkl.gz"
        )
    return path


def _pixels(raw, dtype):
    """X : (784, n) F-ordered from raw : (n, 784) C-ordered bytes: the transpose is already that
    layout, so uint8 needs no copy and a float dtype one pass."""
    if dtype == np.uint8:
        return raw.T
    out = np.empty(raw.shape[::-1], dtype, order="F")
    return np.multiply(raw.T, dtype.type(1 / 256), out=out)


def _split_sizes(n):
    """(training, validation) sizes of a training file of n images: the book's 50,000/10,000."""
    n_validation = n // 6
    return n - n_validation, n_validation


# ----------------------------------------------------------------------------------------------
# IDX


def _load_idx_dir(directory, dtype, split=None):
    verify = any(directory.resolve() == d.resolve() for d in bundled_dirs() if d.is_dir())
    stems = (() if split == "test" else (TRAIN_IMAGES, TRAIN_LABELS)) + (
        (TEST_IMAGES, TEST_LABELS) if split in (None, "test") else ())
    files = {stem: _find_idx(directory, stem) for stem in stems}
    if verify:
        for file in files.values():
            _check_sha256(file)
    loaded = {}
    if TRAIN_IMAGES in files:
        # Two arrays, not two views of one: a caller that keeps only the training split
        # frees the validation images (7.8 MB of bytes, 63 MB as float64).
        (train_X, valid_X), (train_y, valid_y) = _read_pair(files[TRAIN_IMAGES],
                                                            files[TRAIN_LABELS], _split_sizes)
        loaded["training"] = (_pixels(train_X, dtype), train_y)
        loaded["validation"] = (_pixels(valid_X, dtype), valid_y)
    if TEST_IMAGES in files:
        (test_X,), (test_y,) = _read_pair(files[TEST_IMAGES], files[TEST_LABELS])
        loaded["test"] = (_pixels(test_X, dtype), test_y)
    return loaded[split] if split is not None else tuple(loaded[name] for name in SPLITS)


def _find_idx(directory, stem):
    for name in (stem + ".gz", stem):
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(
        f"{directory / stem}[.gz] not found: a data directory must hold {TRAIN_IMAGES}, "
        f"{TRAIN_LABELS}, {TEST_IMAGES} and {TEST_LABELS} (each raw or .gz); "
        "for the book's pickle, give the path of mnist.pkl.gz itself"
    )


def _check_sha256(file):
    expected = BUNDLED_SHA256.get(file.name)
    if expected is None:
        raise ValueError(f"{file}: not one of the bundled files {sorted(BUNDLED_SHA256)}")
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise ValueError(
            f"{file}: bundled file is damaged: sha256 {digest.hexdigest()}, expected {expected} "
            "(restore it with `git checkout -- data/mnist`)"
        )


def _read_pair(images_file, labels_file, parts=None):
    """images : (n, 784) uint8 and labels : (n,) int64 from one IDX images/labels pair, as
    lists of arrays, cut into consecutive parts of ``parts(n)`` examples each (default: one)."""
    images = _read_idx(images_file, 3, parts)
    labels = _read_idx(labels_file, 1, parts)
    if [len(part) for part in labels] != [len(part) for part in images]:
        raise ValueError(
            f"{labels_file}: holds {sum(map(len, labels))} labels "
            f"but {images_file} holds {sum(map(len, images))} images"
        )
    checked = [_checked_pair(x, y, labels_file) for x, y in zip(images, labels)]
    return [x for x, _ in checked], [y for _, y in checked]


def _checked_pair(images, labels, labels_file):
    if labels.size and labels.max() >= N_CLASSES:
        raise ValueError(f"{labels_file}: label {labels.max()} out of range 0..{N_CLASSES - 1}")
    return images.reshape(len(images), N_PIXELS), labels.astype(np.int64)


def _read_idx(file, ndim, parts=None):
    """The uint8 array, of shape (d1, ..., d_ndim) as its header declares, of one IDX file,
    raw or gzipped, as a list of arrays: consecutive parts of ``parts(d1)`` rows each
    (default: one part, the whole).  Reads straight into the results: no intermediate copy."""
    magic = 0x0800 | ndim  # 0x08: unsigned bytes
    header_size = 4 * (1 + ndim)
    with open(file, "rb") as f:
        stream, gzipped = _decompressed(f)
        stored = os.fstat(f.fileno()).st_size
        try:
            header = stream.read(header_size)
            if len(header) < header_size:
                raise ValueError(
                    f"{file}: truncated: {len(header)}-byte header, expected {header_size}")
            found, *dims = struct.unpack(f">{1 + ndim}I", header)
            if found != magic:
                raise ValueError(
                    f"{file}: wrong magic number 0x{found:08x}, expected 0x{magic:08x} "
                    f"(IDX, unsigned bytes, {ndim} dimension{'s' * (ndim > 1)})"
                )
            if ndim == 3 and tuple(dims[1:]) != IMAGE_SHAPE:
                raise ValueError(f"{file}: images are {dims[1]}x{dims[2]}, expected 28x28")
            size = math.prod(dims)
            declared = f"header declares {'x'.join(map(str, dims))} = {size} bytes of data"
            bound = stored * _MAX_DEFLATE_RATIO if gzipped else stored - header_size
            if size > bound:
                raise ValueError(
                    f"{file}: truncated: {declared}, the file cannot hold more than {bound}")
            data = [np.empty((rows, *dims[1:]), np.uint8)
                    for rows in (parts(dims[0]) if parts else (dims[0],))]
            got = 0
            for part in data:
                got += _read_into(stream, part.reshape(-1))
            if got < size:
                raise ValueError(f"{file}: truncated: {declared}, found {got}")
            if stream.read(1):
                raise ValueError(f"{file}: more data than the {declared}")
        except (EOFError, zlib.error, gzip.BadGzipFile) as e:
            raise ValueError(f"{file}: damaged gzip data ({e})") from e
    return data


def _decompressed(f):
    """(stream, gzipped): `f` itself, or a stream decompressing it when it is gzipped, told by
    its magic bytes so that the name does not matter."""
    gzipped = f.read(2) == _GZIP_MAGIC
    f.seek(0)
    return (gzip.GzipFile(fileobj=f) if gzipped else f), gzipped


def _read_into(stream, buffer):
    """Fill the 1-d uint8 `buffer` from `stream`; returns how many bytes there were."""
    view = memoryview(buffer)
    got = 0
    while got < len(view):
        # Bounded reads: GzipFile.readinto() decompresses a whole request into a temporary bytes
        # object first, which for one big request would double the memory held.
        n = stream.readinto(view[got:got + _READ_CHUNK])
        if not n:
            break
        got += n
    return got


# ----------------------------------------------------------------------------------------------
# The book's mnist.pkl.gz

# Ask numpy for the functions it rebuilds arrays with instead of importing them: their module was
# numpy.core.multiarray / numpy.core.numeric under numpy 1 and is numpy._core.* under numpy 2, and
# a pickle names whichever numpy wrote it.
_RECONSTRUCT = np.empty(0).__reduce__()[0]
_FROMBUFFER = np.empty(0).__reduce_ex__(5)[0]  # what protocol 5 uses instead
_PICKLE_GLOBALS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    **{(f"numpy.{core}.multiarray", "_reconstruct"): _RECONSTRUCT for core in ("core", "_core")},
    **{(f"numpy.{core}.numeric", "_frombuffer"): _FROMBUFFER for core in ("core", "_core")},
    # Python 3 writes bytes at protocols 0-2 as _codecs.encode(text, "latin1"): a pure function.
    ("_codecs", "encode"): codecs.encode,
}


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that can build numpy arrays and tuples and refuses any other callable, so
    unpickling cannot run code from the file."""

    def find_class(self, module, name):
        try:
            return _PICKLE_GLOBALS[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused to load {module}.{name}: only numpy arrays and tuples are allowed"
            ) from None


def _load_pickle(file, dtype):
    with open(file, "rb") as f:
        stream, _ = _decompressed(f)
        try:
            # latin1: the book's pickle was written by Python 2, whose str holds the array bytes.
            splits = _ArraysOnly(stream, encoding="latin1").load()
        # Untrusted bytes: whatever the unpickler raises, the file is at fault.
        except Exception as e:
            raise ValueError(
                f"{file}: not a pickle of MNIST arrays ({type(e).__name__}: {e})") from e
    if not (isinstance(splits, tuple) and len(splits) == 3
            and all(isinstance(s, tuple) and len(s) == 2 for s in splits)):
        raise ValueError(
            f"{file}: expected ((X, y), (X, y), (X, y)), found {type(splits).__name__}")
    return tuple(_pickled_split(file, name, X, y, dtype)
                 for name, (X, y) in zip(("training", "validation", "test"), splits, strict=True))


def _pickled_split(file, name, X, y, dtype):
    """(X : (784, n) F-ordered of `dtype`, y : (n,) int64) from a pickled X : (n, 784) holding
    value/256."""
    where = f"{file}: {name} set"
    if not (isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind == "f"):
        raise ValueError(f"{where}: X must be a 2-d float array")
    if X.shape[1] != N_PIXELS:
        raise ValueError(f"{where}: images have {X.shape[1]} pixels, expected 784 (28x28)")
    if not (isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "iu"):
        raise ValueError(f"{where}: y must be a 1-d integer array")
    if len(y) != len(X):
        raise ValueError(f"{where}: {len(X)} images but {len(y)} labels")
    if y.size and (y.min() < 0 or y.max() >= N_CLASSES):
        raise ValueError(f"{where}: labels out of range 0..{N_CLASSES - 1}")
    if X.size and not (X.min() >= 0 and X.max() <= 255 / 256):  # also refuses NaN
        raise ValueError(f"{where}: pixel values must lie in [0, 255/256] (value/256)")
    if dtype == np.uint8:
        return np.rint(X.T * 256).astype(np.uint8, order="F"), y.astype(np.int64)
    return np.asarray(X.T, dtype, order="F"), y.astype(np.int64)
