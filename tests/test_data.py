"""fastnet.data: the real MNIST split, IDX and pickle round trips, and every kind of bad input.

The real-data tests use the session fixtures `mnist` and `mnist_uint8` of conftest.py (the
bundled set loaded once); everything else writes its own small files.
"""

import builtins
import gzip
import hashlib
import os
import pickle
import re
import shutil
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import fastnet.data
from fastnet.data import (
    BUNDLED_SHA256, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, load_mnist, one_hot,
)

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "data" / "mnist"
STEMS = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


# ----------------------------------------------------------------------------------------------
# The real data


def official_train_images():
    """train-images-idx3-ubyte read without fastnet: (60000, 784) uint8."""
    data = gzip.decompress((BUNDLED / "train-images-idx3-ubyte.gz").read_bytes())
    return np.frombuffer(data, np.uint8, offset=16).reshape(60000, 784)


def test_shapes_dtypes_and_layout(mnist, mnist_uint8):
    for splits, dtype in ((mnist, np.float64), (mnist_uint8, np.uint8)):
        for (X, y), n in zip(splits, (50_000, 10_000, 10_000), strict=True):
            assert X.shape == (784, n) and X.dtype == dtype
            assert X.flags.f_contiguous  # one image per contiguous column
            assert y.shape == (n,) and y.dtype == np.int64


def test_first_training_labels(mnist):
    (_, y), _, _ = mnist
    assert y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


def test_label_counts_of_each_split(mnist):
    counts = [np.bincount(y, minlength=10).tolist() for _, y in mnist]
    assert counts == [
        [4932, 5678, 4968, 5101, 4859, 4506, 4951, 5175, 4842, 4988],
        [991, 1064, 990, 1030, 983, 915, 967, 1090, 1009, 961],
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    ]


def test_the_splits_are_separate_arrays_so_an_unused_one_can_be_freed(mnist_uint8):
    # training and validation come from one file; as views of one array, the validation
    # images would stay in memory as long as the training ones (`fastnet train` drops them)
    (X, y), (Xv, yv), (Xt, yt) = mnist_uint8
    assert not np.shares_memory(X, Xv) and not np.shares_memory(y, yv)
    assert X.base is None or X.base.size == X.size  # no larger buffer behind the training set
    assert X.shape == (784, 50_000) and Xv.shape == (784, 10_000) and Xt.shape == (784, 10_000)


def test_pixels_are_value_over_256(mnist, mnist_uint8):
    for (X, _), (Xb, _) in zip(mnist, mnist_uint8, strict=True):
        assert X.min() == 0 and X.max() == 255 / 256 and Xb.max() == 255
        assert np.array_equal(X, Xb / 256)


def test_validation_is_the_end_of_the_official_training_file(mnist, mnist_uint8):
    official = official_train_images()
    (Xb, _), (Xb_val, _), _ = mnist_uint8
    assert np.array_equal(Xb, official[:50_000].T)
    assert np.array_equal(Xb_val, official[50_000:].T)
    assert np.array_equal(mnist[1][0], official[50_000:].T / 256)


def test_float32_matches_float64_exactly(mnist):
    for (X, y), (X32, y32) in zip(mnist, load_mnist(dtype=np.float32), strict=True):
        assert X32.dtype == np.float32 and X32.flags.f_contiguous
        assert np.array_equal(X32, X) and np.array_equal(y32, y)


def test_peak_memory_stays_under_twice_the_result():
    tracemalloc.start()
    try:
        splits = load_mnist()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    result = sum(X.nbytes + y.nbytes for X, y in splits)
    assert peak < 2 * result


def test_bundled_files_match_the_sums_in_code_and_readme():
    assert sorted(p.name for p in BUNDLED.iterdir()) == sorted(BUNDLED_SHA256)
    for name, digest in BUNDLED_SHA256.items():
        assert hashlib.sha256((BUNDLED / name).read_bytes()).hexdigest() == digest
    readme = (REPO / "data" / "README.md").read_text()
    listed = {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M)}
    assert listed == BUNDLED_SHA256


@pytest.fixture
def bundled_copy(tmp_path, monkeypatch):
    """A copy of the bundled files that load_mnist() takes for the bundled set."""
    copy = tmp_path / "mnist"
    shutil.copytree(BUNDLED, copy)
    monkeypatch.setattr(fastnet.data, "bundled_dirs", lambda: (copy,))
    monkeypatch.delenv("FASTNET_DATA", raising=False)
    return copy


def test_a_damaged_bundled_file_is_named(bundled_copy):
    # Recompressed: still valid gzip holding valid IDX, so only the checksum can tell.
    damaged = bundled_copy / "t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(gzip.compress(gzip.decompress(damaged.read_bytes()), compresslevel=1))
    with pytest.raises(ValueError, match="damaged") as e:
        load_mnist(dtype=np.uint8)
    assert str(damaged) in str(e.value)
    elsewhere = shutil.copytree(bundled_copy, bundled_copy.parent / "elsewhere")
    load_mnist(elsewhere, dtype=np.uint8)  # the same files load where no checksum applies


def test_missing_bundled_data_says_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setattr(fastnet.data, "bundled_dirs", lambda: (tmp_path / "absent",))
    monkeypatch.delenv("FASTNET_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="FASTNET_DATA") as e:
        load_mnist()
    assert str(tmp_path / "absent") in str(e.value)


def test_invalid_dtype():
    for dtype in (np.int64, np.float16, "no such type"):
        with pytest.raises(ValueError, match="dtype"):
            load_mnist(dtype=dtype)


# ----------------------------------------------------------------------------------------------
# A tiny IDX set written here


def idx_bytes(array, magic=None):
    """An IDX file holding the uint8 `array`: magic number, big-endian dimensions, data."""
    magic = 0x0800 | array.ndim if magic is None else magic
    return struct.pack(f">{1 + array.ndim}I", magic, *array.shape) + array.tobytes()


def tiny_arrays(seed=0):
    """12 training images (so 10 training and 2 validation) and 3 test images, of random pixels."""
    rng = np.random.default_rng(seed)
    return {
        TRAIN_IMAGES: rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
        TRAIN_LABELS: rng.integers(0, 10, 12, dtype=np.uint8),
        TEST_IMAGES: rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        TEST_LABELS: rng.integers(0, 10, 3, dtype=np.uint8),
    }


def write_idx_set(directory, arrays, gzipped=()):
    """The four IDX files of `arrays` in `directory`; those in `gzipped` as NAME.gz."""
    directory.mkdir(exist_ok=True)
    for stem, array in arrays.items():
        if stem in gzipped:
            (directory / (stem + ".gz")).write_bytes(gzip.compress(idx_bytes(array)))
        else:
            (directory / stem).write_bytes(idx_bytes(array))
    return directory


def expected_splits(arrays):
    images, labels = arrays[TRAIN_IMAGES].reshape(-1, 784), arrays[TRAIN_LABELS]
    return (
        (images[:10].T, labels[:10]),
        (images[10:].T, labels[10:]),
        (arrays[TEST_IMAGES].reshape(-1, 784).T, arrays[TEST_LABELS]),
    )


@pytest.mark.parametrize("gzipped", [(), STEMS, (TRAIN_IMAGES, TEST_LABELS)],
                         ids=["raw", "gz", "mixed"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
def test_idx_round_trip(tmp_path, gzipped, dtype):
    arrays = tiny_arrays()
    directory = write_idx_set(tmp_path / "tiny", arrays, gzipped)
    scale = 1 if dtype == np.uint8 else 1 / 256
    splits = load_mnist(directory, dtype=dtype)
    for (X, y), (images, labels) in zip(splits, expected_splits(arrays), strict=True):
        assert X.dtype == dtype and X.flags.f_contiguous and y.dtype == np.int64
        assert np.array_equal(X, images * scale) and np.array_equal(y, labels)


def test_fastnet_data_overrides_the_default_and_an_argument_overrides_both(tmp_path, monkeypatch):
    first = write_idx_set(tmp_path / "first", tiny_arrays(seed=1))
    second = write_idx_set(tmp_path / "second", tiny_arrays(seed=2))
    monkeypatch.setenv("FASTNET_DATA", str(first))

    def test_labels(*path):
        return load_mnist(*path, dtype=np.uint8)[2][1]

    assert np.array_equal(test_labels(), tiny_arrays(seed=1)[TEST_LABELS])
    assert np.array_equal(test_labels(second), tiny_arrays(seed=2)[TEST_LABELS])


def test_missing_directory_is_named(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="IDX files") as e:
        load_mnist(tmp_path / "absent")
    assert str(tmp_path / "absent") in str(e.value)
    monkeypatch.setenv("FASTNET_DATA", str(tmp_path / "gone"))
    with pytest.raises(FileNotFoundError, match=re.escape("$FASTNET_DATA")):
        load_mnist()


@pytest.mark.parametrize("stem", STEMS)
def test_missing_file_is_named(tmp_path, stem):
    directory = write_idx_set(tmp_path / "tiny", tiny_arrays())
    (directory / stem).unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(f"{directory / stem}[.gz] not found")):
        load_mnist(directory)


def crc_flipped(data):
    gz = bytearray(gzip.compress(data))
    gz[-8] ^= 0xFF  # the CRC-32 of the trailer
    return bytes(gz)


def images(a):
    return idx_bytes(a[TRAIN_IMAGES])


# name: (file to replace, its new content from the tiny arrays, what the message must say)
BAD_IDX = {
    "wrong magic": (TRAIN_IMAGES, lambda a: idx_bytes(a[TRAIN_IMAGES], magic=0x0801),
                    "wrong magic"),
    "labels magic on images": (TEST_LABELS, lambda a: idx_bytes(a[TEST_IMAGES]), "wrong magic"),
    "not bytes": (TEST_IMAGES, lambda a: idx_bytes(a[TEST_IMAGES], magic=0x0D03), "wrong magic"),
    "truncated data": (TRAIN_IMAGES, lambda a: images(a)[:-1], "truncated"),
    "truncated header": (TEST_LABELS, lambda a: idx_bytes(a[TEST_LABELS])[:6], "truncated"),
    "huge count": (TRAIN_IMAGES, lambda a: images(a)[:4] + b"\xff" * 4 + images(a)[8:],
                   "truncated"),
    "extra data": (TRAIN_IMAGES, lambda a: images(a) + b"\0", "more data"),
    "count mismatch": (TRAIN_LABELS, lambda a: idx_bytes(a[TRAIN_LABELS][:-1]), "11 labels but"),
    "label out of range": (TEST_LABELS, lambda a: idx_bytes(np.array([0, 10, 1], np.uint8)),
                           "out of range"),
    "not 28x28": (TRAIN_IMAGES, lambda a: idx_bytes(np.zeros((12, 20, 20), np.uint8)),
                  "20x20, expected 28x28"),
    "truncated gzip": (TRAIN_IMAGES, lambda a: gzip.compress(images(a))[:-20], "gzip"),
    "bad gzip crc": (TRAIN_LABELS, lambda a: crc_flipped(idx_bytes(a[TRAIN_LABELS])), "gzip"),
    "gzip magic only": (TEST_LABELS, lambda a: b"\x1f\x8b" + b"not really gzip", "gzip"),
    "truncated gzip data": (TRAIN_IMAGES, lambda a: gzip.compress(images(a)[:-5]), "truncated"),
}


@pytest.mark.parametrize("case", BAD_IDX)
def test_bad_idx_gives_one_line_value_error_naming_the_file(tmp_path, case):
    stem, content, message = BAD_IDX[case]
    arrays = tiny_arrays()
    directory = write_idx_set(tmp_path / "tiny", arrays)
    (directory / stem).write_bytes(content(arrays))
    with pytest.raises(ValueError, match=re.escape(message)) as e:
        load_mnist(directory)
    assert str(directory / stem) in str(e.value) and "\n" not in str(e.value)


# ----------------------------------------------------------------------------------------------
# Fuzzing the IDX parser: whatever the bytes, a ValueError and nothing else


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return write_idx_set(tmp_path_factory.mktemp("fuzz"), tiny_arrays())


def load_with_file(directory, stem, content):
    """load_mnist(directory) with `stem` replaced by `content` for the call."""
    original = (directory / stem).read_bytes()
    (directory / stem).write_bytes(content)
    try:
        return load_mnist(directory)
    finally:
        (directory / stem).write_bytes(original)


FUZZ = settings(max_examples=200, deadline=None)


@FUZZ
@given(stem=st.sampled_from(STEMS), content=st.binary(max_size=400), gzipped=st.booleans())
def test_fuzz_random_bytes(fuzz_dir, stem, content, gzipped):
    with pytest.raises(ValueError):
        load_with_file(fuzz_dir, stem, gzip.compress(content) if gzipped else content)


@FUZZ
@given(stem=st.sampled_from(STEMS), data=st.data(), gzipped=st.booleans())
def test_fuzz_truncated_valid_file(fuzz_dir, stem, data, gzipped):
    valid = idx_bytes(tiny_arrays()[stem])
    cut = data.draw(st.integers(0, len(valid) - 1))
    with pytest.raises(ValueError):
        load_with_file(fuzz_dir, stem, gzip.compress(valid[:cut]) if gzipped else valid[:cut])


@FUZZ
@given(stem=st.sampled_from(STEMS), data=st.data())
def test_fuzz_header_of_a_valid_file(fuzz_dir, stem, data):
    array = tiny_arrays()[stem]
    words = 1 + array.ndim  # magic, then one size per dimension
    # Plausible values mixed in, so that some headers are nearly right.
    word = st.integers(0, 2**32 - 1) | st.sampled_from([0x801, 0x803, 0, 3, 12, 28])
    header = data.draw(st.lists(word, min_size=words, max_size=words))
    assume(header != [0x0800 | array.ndim, *array.shape])
    with pytest.raises(ValueError):
        load_with_file(fuzz_dir, stem, struct.pack(f">{words}I", *header) + array.tobytes())


# ----------------------------------------------------------------------------------------------
# The book's mnist.pkl.gz


def tiny_book_splits(seed=0):
    """((X, y), (X, y), (X, y)) as in mnist.pkl.gz: X : (n, 784) float32 value/256, y int64."""
    rng = np.random.default_rng(seed)
    return tuple((rng.integers(0, 256, (n, 784)).astype(np.float32) / 256, rng.integers(0, 10, n))
                 for n in (5, 2, 3))


def python2_pickle(obj):
    """Protocol-2 bytes as Python 2's cPickle wrote mnist.pkl.gz with numpy 1.x: arrays rebuilt by
    numpy.core.multiarray._reconstruct, their bytes in Python 2 str opcodes (which Python 3 can
    only read with encoding="latin1")."""
    def string(s):
        return b"U" + bytes([len(s)]) + s if len(s) < 256 else b"T" + struct.pack("<I", len(s)) + s

    def integer(i):
        return b"J" + struct.pack("<i", i)

    def save(o):
        if isinstance(o, tuple):
            return b"(" + b"".join(save(item) for item in o) + b"t"
        if isinstance(o, int):
            return integer(o)
        # numpy.dtype("f4", False, True), then its state, as numpy 1 pickled a dtype
        dtype = (b"cnumpy\ndtype\n(" + string(o.dtype.str[1:].encode()) + b"\x89\x88tR("
                 + integer(3) + string(b"<") + b"NNN" + integer(-1) + integer(-1) + integer(0)
                 + b"tb")
        # _reconstruct(ndarray, (0,), "b"), then (version, shape, dtype, fortran, bytes)
        return (b"cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\n" + save((0,))
                + string(b"b") + b"tR(" + integer(1) + save(o.shape) + dtype + b"\x89"
                + string(o.tobytes()) + b"tb")

    return b"\x80\x02" + save(obj) + b"."


def write_pickle(path, data, gzipped=True):
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


def assert_loads_as(path, splits):
    for dtype in (np.float64, np.float32, np.uint8):
        for (X, y), (X0, y0) in zip(load_mnist(path, dtype=dtype), splits, strict=True):
            expected = np.rint(X0 * 256).astype(np.uint8) if dtype == np.uint8 else X0.astype(dtype)
            assert X.dtype == dtype and X.flags.f_contiguous and y.dtype == np.int64
            assert np.array_equal(X, expected.T) and np.array_equal(y, y0)


def test_python2_numpy1_pickle_loads(tmp_path):
    splits = tiny_book_splits()
    data = python2_pickle(splits)
    assert b"cnumpy.core.multiarray\n_reconstruct\n" in data and b"_core" not in data
    with pytest.raises(UnicodeDecodeError):  # really Python 2 strings: they need latin1
        pickle.loads(data)
    assert_loads_as(write_pickle(tmp_path / "mnist.pkl.gz", data), splits)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_numpy2_pickle_loads(tmp_path, protocol):
    splits = tiny_book_splits()
    data = pickle.dumps(splits, protocol=protocol)
    assert (b"numpy._core.numeric" if protocol == 5 else b"numpy._core.multiarray") in data
    assert_loads_as(write_pickle(tmp_path / "mnist.pkl.gz", data), splits)


def test_uncompressed_pickle_loads(tmp_path):
    splits = tiny_book_splits()
    path = write_pickle(tmp_path / "mnist.pkl", pickle.dumps(splits), gzipped=False)
    assert_loads_as(path, splits)


class RunsCode:
    """Pickles as a call of `function(*args)` on loading."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


PAYLOADS = {
    "os.system": lambda marker: RunsCode(os.system, f"touch {marker}"),
    "open": lambda marker: RunsCode(builtins.open, str(marker), "w"),
    "numpy.save": lambda marker: RunsCode(np.save, str(marker), np.zeros(1)),
    "inside a valid split": lambda marker: (
        (RunsCode(builtins.open, str(marker), "w"), np.zeros(1)), *tiny_book_splits()[1:]),
}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path, payload):
    control = tmp_path / "control.npy"
    pickle.loads(pickle.dumps(PAYLOADS[payload](control)))  # the payload does run when unpickled
    assert control.exists()

    marker = tmp_path / "marker.npy"
    path = write_pickle(tmp_path / "mnist.pkl.gz", pickle.dumps(PAYLOADS[payload](marker)))
    with pytest.raises(ValueError, match="refused") as e:
        load_mnist(path)
    assert str(path) in str(e.value)
    assert not marker.exists()


def bad_split(**changes):
    """The tiny book splits with the training X and/or y replaced."""
    (X, y), *rest = tiny_book_splits()
    return ((changes.get("X", X), changes.get("y", y)), *rest)


BAD_PICKLES = {
    "not a pickle": (b"this is not a pickle", "not a pickle"),
    "truncated": (pickle.dumps(tiny_book_splits())[:-100], "not a pickle"),
    "a dict": (pickle.dumps({"X": 1}), "expected ((X, y), (X, y), (X, y))"),
    "two splits": (pickle.dumps(tiny_book_splits()[:2]), "expected ((X, y), (X, y), (X, y))"),
    "not 28x28": (pickle.dumps(bad_split(X=np.zeros((5, 783), np.float32))), "783 pixels"),
    "integer pixels": (pickle.dumps(bad_split(X=np.zeros((5, 784), np.int64))), "float"),
    "pixels above 1": (pickle.dumps(bad_split(X=np.full((5, 784), 1.5, np.float32))),
                       "[0, 255/256]"),
    "NaN pixels": (pickle.dumps(bad_split(X=np.full((5, 784), np.nan, np.float32))),
                   "[0, 255/256]"),
    "label out of range": (pickle.dumps(bad_split(y=np.array([0, 1, 2, 3, 10]))), "out of range"),
    "count mismatch": (pickle.dumps(bad_split(y=np.arange(4))), "5 images but 4 labels"),
    "labels not an array": (pickle.dumps(bad_split(y=[0, 1, 2, 3, 4])), "y must be"),
}


@pytest.mark.parametrize("case", BAD_PICKLES)
def test_bad_pickle_gives_one_line_value_error_naming_the_file(tmp_path, case):
    data, message = BAD_PICKLES[case]
    path = write_pickle(tmp_path / "mnist.pkl.gz", data)
    with pytest.raises(ValueError, match=re.escape(message)) as e:
        load_mnist(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_damaged_gzip_pickle(tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(tiny_book_splits()))[:-30])
    with pytest.raises(ValueError, match="not a pickle") as e:
        load_mnist(path)
    assert str(path) in str(e.value)


# ----------------------------------------------------------------------------------------------
# one_hot


def test_one_hot():
    Y = one_hot(np.array([3, 0, 9]))
    assert Y.shape == (10, 3) and Y.dtype == np.float64
    assert np.array_equal(Y, np.eye(10)[:, [3, 0, 9]])
    assert one_hot(np.array([1, 0]), k=2, dtype=np.float32).tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize("y", [[0, 10], [-1, 2], [[1]], [0.5]])
def test_one_hot_refuses_bad_labels(y):
    with pytest.raises(ValueError, match="labels"):
        one_hot(y)
