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
    """``path``, or the OSError that says why it cannot be used: it does not exist, or
    stat() fails for another reason (a symlink loop, a directory that may not be searched),
    which is said as such, not as "does not exist"."""
    try:
        os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} ({what}) does not exist: expected a directory of MNIST IDX files "
            f"({TRAIN_IMAGES}[.gz] and the three others) or the book's mnist.pkl.gz"
        ) from None
    except OSError as e:
        raise type(e)(f"{path} ({what}) cannot be used: {e.strerror or e}") from None
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

# The book's pickle (and numpy's, at any protocol) builds each array by a call of
# numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b"b") and a __setstate__ with its
# shape, dtype and bytes, or (protocol 5) by numpy.core.numeric._frombuffer(bytes, dtype,
# shape, order); each dtype by numpy.dtype("f4", False, True) and a __setstate__.  Here those
# calls build `_Pending` records instead, and no array exists until its declared size has been
# checked against the bytes that came with it (`_rebuilt`): a pickle cannot make numpy
# allocate what the file does not hold, nor hand numpy's __setstate__ a state it would
# mishandle (an object array with too few items crashes it).  The module is numpy.core under
# numpy 1 and numpy._core under numpy 2; a pickle names whichever numpy wrote it.


class _Pending:
    """A numpy call the pickle asked for (``kind``: "reconstruct", "frombuffer", "dtype"),
    with its arguments and the state the pickle then gave it."""

    def __init__(self, kind, args):
        self.kind, self.args, self.state = kind, args, None

    def __setstate__(self, state):
        self.state = state


def _pending(kind):
    def record(*args):
        return _Pending(kind, args)
    return record


class _NdarrayType:
    """What ``numpy.ndarray`` unpickles as: a name for `_reconstruct`'s first argument, never
    called (numpy.ndarray(shape) would allocate the shape the pickle asks for)."""

    def __repr__(self):
        return "numpy.ndarray"

    def __call__(self, *args):
        raise pickle.UnpicklingError("refused to call numpy.ndarray(...), which allocates the "
                                     "shape it is given; numpy never pickles an array so")


_NDARRAY = _NdarrayType()
_PICKLE_GLOBALS = {
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _pending("dtype"),
    **{(f"numpy.{core}.multiarray", "_reconstruct"): _pending("reconstruct")
       for core in ("core", "_core")},
    **{(f"numpy.{core}.numeric", "_frombuffer"): _pending("frombuffer")
       for core in ("core", "_core")},
    # Python 3 writes bytes at protocols 0-2 as _codecs.encode(text, "latin1"): a pure function.
    ("_codecs", "encode"): codecs.encode,
}
# The dtypes a pickled MNIST array may have: numbers, one per element.
_PICKLE_DTYPE_KINDS = "fiub"


class _ArraysOnly(pickle._Unpickler):
    """An unpickler that can build numpy arrays and tuples and refuses any other callable, so
    unpickling cannot run code from the file.

    Python's own unpickler, not its C twin (as fast on MNIST's few large strings): the C one
    allocates the bytes a BINBYTES8 opcode declares before reading them; this one reads them
    from the stream first, which `_Bounded` refuses when the file cannot hold them.  Its
    BYTEARRAY8 alone allocates first, and is replaced."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def find_class(self, module, name):
        try:
            return _PICKLE_GLOBALS[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused to load {module}.{name}: only numpy arrays and tuples are allowed"
            ) from None

    def load_bytearray8(self):
        size, = struct.unpack("<Q", self.read(8))
        self.append(bytearray(self.read(size)))

    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8


class _Oversized(ValueError):
    """The pickle asked for more bytes than its file can hold."""


class _Bounded:
    """The reads of a stream that holds at most ``limit`` bytes: a request for more than can
    be left is a lie of the pickle's, refused before anything is read."""

    def __init__(self, stream, limit):
        self.stream, self.left = stream, limit

    def _take(self, n):
        if n is not None and n > self.left:
            raise _Oversized(f"declares {n:,} bytes of data, more than the file can hold "
                             f"({max(self.left, 0):,} left)")

    def read(self, n=-1):
        self._take(n if n is not None and n >= 0 else None)
        data = self.stream.read(n)
        self.left -= len(data)
        return data

    def readinto(self, buffer):
        view = memoryview(buffer)
        self._take(view.nbytes)
        got = self.stream.readinto(view)
        self.left -= got
        return got

    def readline(self, n=-1):
        data = self.stream.readline(n)
        self.left -= len(data)
        return data


def _load_pickle(file, dtype):
    with open(file, "rb") as f:
        stream, gzipped = _decompressed(f)
        stored = os.fstat(f.fileno()).st_size
        bounded = _Bounded(stream, stored * _MAX_DEFLATE_RATIO if gzipped else stored)
        try:
            # latin1: the book's pickle was written by Python 2, whose str holds the array bytes.
            splits = _ArraysOnly(bounded, encoding="latin1").load()
        except _Oversized as e:
            raise ValueError(f"{file}: truncated: {e}") from None
        # Untrusted bytes: whatever the unpickler raises, the file is at fault.
        except Exception as e:
            raise ValueError(
                f"{file}: not a pickle of MNIST arrays ({type(e).__name__}: {e})") from e
    if not (isinstance(splits, tuple) and len(splits) == 3
            and all(isinstance(s, tuple) and len(s) == 2 for s in splits)):
        raise ValueError(
            f"{file}: expected ((X, y), (X, y), (X, y)), found {type(splits).__name__}")
    return tuple(_pickled_split(file, name, _rebuilt(X, f"{file}: {name} set: X"),
                                _rebuilt(y, f"{file}: {name} set: y"), dtype)
                 for name, (X, y) in zip(("training", "validation", "test"), splits, strict=True))


def _rebuilt(value, where):
    """The array a `_Pending` record stands for, once its declared shape and dtype are found to
    match the bytes that came with it (a read-only view of them); anything else as it is, for
    `_pickled_split` to refuse.  ValueError, naming ``where``, for a record that is not a
    plain numeric array."""
    if not isinstance(value, _Pending) or value.kind == "dtype":
        return value
    try:
        if value.kind == "reconstruct":
            subtype, _, _ = value.args
            if subtype is not _NDARRAY:
                raise ValueError(f"an array of {subtype!r}")
            state = value.state
            if isinstance(state, tuple) and len(state) == 5:
                state = state[1:]  # the version, 1
            shape, descr, fortran, raw = state
        else:
            raw, descr, shape, order = value.args
            fortran = order == "F"
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: not a numpy array as numpy pickles one ({e})") from None
    dtype = _rebuilt_dtype(descr, where)
    if not (isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape)):
        raise ValueError(f"{where}: the shape {shape!r} is not a tuple of sizes")
    if isinstance(raw, str):
        raw = raw.encode("latin1")  # a Python 2 str, read with encoding="latin1"
    try:
        raw = memoryview(raw).cast("B")
    except TypeError:
        raise ValueError(f"{where}: the array's data are not bytes") from None
    declared = math.prod(shape) * dtype.itemsize
    if declared != raw.nbytes:
        raise ValueError(f"{where}: declares {'x'.join(map(str, shape))} {dtype} = "
                         f"{declared:,} bytes but holds {raw.nbytes:,}")
    return np.frombuffer(raw, dtype).reshape(shape, order="F" if fortran else "C")


def _rebuilt_dtype(descr, where):
    """The numpy dtype a `_Pending` dtype record stands for: one number per element, in the
    byte order its state says."""
    if not (isinstance(descr, _Pending) and descr.kind == "dtype" and descr.args
            and isinstance(descr.args[0], str)):
        raise ValueError(f"{where}: the array's dtype is not one numpy pickles")
    try:
        dtype = np.dtype(descr.args[0])
    except TypeError:
        raise ValueError(f"{where}: unknown dtype {descr.args[0]!r}") from None
    if dtype.kind not in _PICKLE_DTYPE_KINDS or dtype.fields or dtype.subdtype:
        raise ValueError(f"{where}: dtype {dtype} is not a number per element")
    state = descr.state
    if isinstance(state, tuple) and len(state) > 1 and state[1] in ("<", ">"):
        dtype = dtype.newbyteorder(state[1])
    return dtype


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
    # A copy: X is a read-only view of the pickle's bytes.
    return np.array(X.T, dtype, order="F"), y.astype(np.int64)
