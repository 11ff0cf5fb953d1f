"""Faults at the edges, one test (or a few) each: every way a command can end keeps what is done
(a closed or full standard output, SIGTERM, SIGHUP and SIGQUIT, a dead worker, a FIFO nobody
reads), hostile input is refused before it is used (decompression bombs, pickles declaring
gigabytes, absurd sizes, damaged history files), and the smaller edges (file names, numba's
cache, stale temporary files, a FIFO as a picture, a symlink loop).

Commands that must really lose their standard output or receive a signal run in a process of
their own; each waits for the state it wants (a line printed, a file read) before acting, and
allows generous time on a loaded machine."""

import contextlib
import errno
import gzip
import json
import os
import queue
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

import fastnet
from fastnet import Network, atomic_file, digit_image, resources
from fastnet.cli import main
from fastnet.commands import common, plot
from fastnet.data import SPLITS, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS
from fastnet.experiments import runner

from test_data import write_idx_set
from test_faults import _wait_for_reader, _wait_until_reading

REPO = Path(__file__).resolve().parent.parent
TINY_TRAIN = ["train", "--train-size", "200", "--epochs", "3", "--seed", "1"]
# A run that goes on until a signal stops it (an epoch of 200 images takes milliseconds).
ENDLESS_TRAIN = ["train", "--train-size", "200", "--epochs", "100000", "--seed", "1"]
# How long a command in a process of its own may take, on a loaded machine.
PATIENCE = 120
# what `jit` says on stderr before compiling the kernels
COMPILE_NOTE = re.compile(r"fastnet: compiling the numba kernels for \w+ \([^\n]*\) \.\.\.\n")


def _status(argv):
    """main()'s exit status, whether it returns it or argparse exits."""
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


def _env(**extra):
    env = {**os.environ, "PYTHONPATH": str(REPO), **extra}
    env.pop("FASTNET_DATA", None)
    return env


def _fastnet(*argv, **popen):
    """`python -m fastnet ARGV` in a process of its own, its outputs piped unless given."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([sys.executable, "-m", "fastnet", *map(str, argv)], text=True,
                            env=popen.pop("env", _env()), **popen)


def _lines(stream):
    """A queue that receives the lines of ``stream`` as they come (None at its end), read by
    a thread of its own, so that a test can wait for a line with a timeout."""
    lines = queue.Queue()

    def read():
        for line in stream:
            lines.put(line)
        lines.put(None)
    threading.Thread(target=read, daemon=True).start()
    return lines


def _wait_for_line(lines, pattern, proc, timeout=PATIENCE):
    """The lines read until one matches ``pattern`` (a regex), failing the test if none does
    within ``timeout`` seconds."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"no line matching {pattern!r} within {timeout} s; got {seen[-5:]}")
        if line is None:
            pytest.fail(f"the output ended before a line matching {pattern!r}: {seen[-5:]}, "
                        f"status {proc.wait()}, stderr {proc.stderr.read()[-2000:]}")
        seen.append(line)
        if re.search(pattern, line):
            return seen


def _rest(lines):
    """The lines of a `_lines` queue up to the end of its stream, failing the test if it does
    not end within PATIENCE seconds."""
    out = []
    try:
        while (line := lines.get(timeout=PATIENCE)) is not None:
            out.append(line)
    except queue.Empty:
        pytest.fail(f"the command did not end within {PATIENCE} s; its last lines: {out[-5:]}")
    return out


def _one_line(err, prog):
    """The single line of ``err``, a command's stderr, which must start with ``prog: ``.  The
    note said before a first compile is not part of it: the cache is cold after a fresh clone,
    or when a change to the kernels' modules invalidates it, or when this module runs alone."""
    err = COMPILE_NOTE.sub("", err)
    assert "Traceback" not in err, err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith(f"{prog}: "), err
    return err.rstrip("\n")


def _history_epochs(path):
    return len(json.loads(Path(path).read_text())["epochs"])


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, mnist_uint8):
    """A briefly trained model and its file, for predict."""
    (X, y), _, _ = mnist_uint8
    net = Network([784, 30, 10], cost="cross-entropy", init="default", seed=1)
    net.SGD((X[:, :2000], y[:2000]), 2, 10, 0.5)
    path = tmp_path_factory.mktemp("model") / "model.json"
    net.save(path)
    return path


def _digit_png(path, mnist_uint8, k=0):
    """Test image k, drawn as dark ink on white paper, as a PNG at ``path``."""
    from PIL import Image

    _, _, (Xt, _) = mnist_uint8
    Image.fromarray(255 - Xt[:, k].reshape(28, 28)).resize((84, 84)).save(path)
    return path


@pytest.fixture(autouse=True)
def bundled_data_once(monkeypatch, mnist_uint8):
    """In-process commands get the session's copy of the bundled data; other paths are read."""
    monkeypatch.delenv("FASTNET_DATA", raising=False)
    read = common.load_mnist

    def load(path=None, dtype=np.float64, split=None):
        if path is None and dtype == np.uint8:
            return mnist_uint8 if split is None else mnist_uint8[SPLITS.index(split)]
        return read(path, dtype, split)
    monkeypatch.setattr(common, "load_mnist", load)


# -- a standard output that fails ends the printing, not the work -------------------------------

def _closed_pipe():
    """The write end of a pipe whose reader has gone, as `| head -1` leaves it."""
    read, write = os.pipe()
    os.close(read)
    return write


STDOUTS = {
    "a closed pipe": (_closed_pipe, "Broken pipe"),
    "a full disk": (lambda: os.open("/dev/full", os.O_WRONLY), "No space left on device"),
    "a closed descriptor": (None, "it is closed"),
}


@pytest.mark.parametrize("case", STDOUTS)
def test_train_keeps_its_model_and_history_when_stdout_fails(tmp_path, case):
    make, why = STDOUTS[case]
    model, history = tmp_path / "m.json", tmp_path / "h.json"
    argv = [*TINY_TRAIN, "--save", model, "--history", history]
    if make is None:  # the shell's >&-
        proc = subprocess.Popen(["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m",
                                 "fastnet", *map(str, argv)], stderr=subprocess.PIPE,
                                text=True, env=_env())
    else:
        fd = make()
        proc = _fastnet(*argv, stdout=fd)
        os.close(fd)
    _, err = proc.communicate(timeout=PATIENCE)
    line = _one_line(err, "fastnet train")
    assert line == (f"fastnet train: error: standard output failed ({why}): the output from "
                    f"then on was not printed, but the work went on")
    assert proc.returncode == 1  # a failure after the work began: the output is lost
    assert fastnet.load(model).sizes == [784, 30, 10]
    assert _history_epochs(history) == 3  # every epoch, the last too


def test_predict_reads_every_picture_into_a_closed_pipe(tmp_path, model_file, mnist_uint8):
    pictures = [_digit_png(tmp_path / f"{k}.png", mnist_uint8, k) for k in range(2)]
    show = tmp_path / "seen.png"
    fd = _closed_pipe()
    proc = _fastnet("predict", model_file, *pictures, "--show", show, stdout=fd)
    os.close(fd)
    _, err = proc.communicate(timeout=PATIENCE)
    assert "standard output failed (Broken pipe)" in _one_line(err, "fastnet predict")
    assert proc.returncode == 1
    assert show.read_bytes().startswith(b"\x89PNG")  # the work after the printing was done


# -- SIGTERM, SIGHUP and SIGQUIT end a run as Ctrl-C does -----------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT],
                         ids=lambda s: signal.Signals(s).name)
def test_a_stop_signal_saves_like_ctrl_c(tmp_path, signum):
    model, history = tmp_path / "m.json", tmp_path / "h.json"
    proc = _fastnet(*ENDLESS_TRAIN, "--save", model, "--history", history)
    try:
        lines = _lines(proc.stdout)
        before = _wait_for_line(lines, r"^Epoch 0:", proc)
        proc.send_signal(signum)
        out = "".join(before + _rest(lines))
        err = proc.stderr.read()
        proc.wait(timeout=PATIENCE)
    finally:
        proc.kill()
    name = signal.Signals(signum).name
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    printed = len(re.findall(r"^Epoch \d+: ", out, re.M))
    assert re.search(rf"^Interrupted \({name}\) after {printed} epochs?: ", out, re.M), out
    assert f"Model saved to {model}" in out
    assert fastnet.load(model).sizes == [784, 30, 10]
    assert _history_epochs(history) == printed


def test_sigterm_while_loading_the_data_is_one_line(tmp_path):
    fifo = tmp_path / "mnist.pkl.gz"  # load_mnist opens it and waits for bytes that never come
    os.mkfifo(fifo)
    proc = _fastnet("data", "--data", fifo)
    try:
        fd = _wait_for_reader(fifo, proc)
        _wait_until_reading(proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=PATIENCE)
        os.close(fd)
    finally:
        proc.kill()
    assert proc.returncode == 143
    assert _one_line(err, "fastnet data") == "fastnet data: interrupted (SIGTERM)"


def test_the_help_states_the_signal_statuses(capsys):
    assert _status(["train", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "130 Ctrl-C" in out and "143 SIGTERM" in out


# -- reproduce: a dead worker, a stop signal, --seeds, --jobs, --out -----------------------------

@pytest.fixture(scope="module")
def tiny_idx(tmp_path_factory, mnist_uint8):
    """An IDX directory of 1,200 MNIST training images and 300 test images: enough for the
    rows that train on 1,000."""
    (X, y), _, (Xt, yt) = mnist_uint8

    def images(X, n):
        return np.ascontiguousarray(X[:, :n].T).reshape(n, 28, 28)

    arrays = {TRAIN_IMAGES: images(X, 1200), TRAIN_LABELS: y[:1200].astype(np.uint8),
              TEST_IMAGES: images(Xt, 300), TEST_LABELS: yt[:300].astype(np.uint8)}
    return write_idx_set(tmp_path_factory.mktemp("tiny"), arrays)


# 200 quick runs of a row that trains on 1,000 images: minutes of work, stopped after the first.
MANY_RUNS = ["reproduce", "book", "--only", "ch3-overfit", "--quick", "--seeds", "200",
             "--jobs", "2"]


def _workers(pid):
    """The worker processes of the `reproduce` process ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{entry}/status").read_text()
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
                if f"\nPPid:\t{pid}\n" in status and b"spawn_main" in command:
                    found.append(int(entry))
    return found


def _reproduce_until_a_run_finishes(tiny_idx, *flags):
    """`reproduce` of MANY_RUNS in a session of its own, once its first run has finished:
    (process, stderr lines so far, the stderr queue)."""
    proc = _fastnet(*MANY_RUNS, "--data", tiny_idx, *flags, start_new_session=True)
    lines = _lines(proc.stderr)
    seen = _wait_for_line(lines, r"^ch3-overfit +seed \d+: peak", proc)
    return proc, seen, lines


def test_a_dead_worker_ends_reproduce_at_once_keeping_the_finished_runs(tiny_idx, tmp_path):
    out = tmp_path / "out"
    proc, _, lines = _reproduce_until_a_run_finishes(tiny_idx, "--out", out)
    try:
        workers = _workers(proc.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)  # as the out-of-memory killer does
        killed = time.monotonic()
        err = "".join(_rest(lines))  # to the end: the process has closed it
        proc.wait(timeout=PATIENCE)
        took = time.monotonic() - killed
        stdout = proc.stdout.read()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1, err
    assert took < 30  # seconds, not the minutes the other runs would take
    assert "Traceback" not in err
    last = err.splitlines()[-1]
    assert re.fullmatch(r"fastnet reproduce book: error: a worker process died \(killed by "
                        r"SIGKILL, as the out-of-memory killer does\): (\d+) runs? of 200 "
                        rf"finished; the finished runs are above and in {re.escape(str(out))}",
                        last), last
    finished = int(re.search(r"(\d+) runs? of 200", last).group(1))
    assert 1 <= finished < 200
    summary = json.loads((out / "results.json").read_text())
    assert summary["incomplete"] and summary["rows"][0]["seeds"] == finished
    assert "**Incomplete**" in (out / "results.md").read_text()
    assert "| ch3-overfit | 82.27 peak |" in stdout


def test_sigterm_to_reproduce_and_its_workers_is_one_line(tiny_idx):
    proc, _, lines = _reproduce_until_a_run_finishes(tiny_idx)
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # as Slurm or a closed terminal's SIGHUP does
        proc.wait(timeout=PATIENCE)
        err = "".join(_rest(lines))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == ("fastnet reproduce book: interrupted (SIGTERM); nothing "
                                    "written")


def _no_runs(*args, **kwargs):
    pytest.fail("the runs started")


@pytest.mark.parametrize("flags, message", [
    (["--seeds", "1000000000"], "--seeds must be at most 10,000, the most a suite runs, not "
                                "1,000,000,000"),
    (["--jobs", "10000"], "--jobs must be at most {cores}, the number of cores this process may "
                          "use, not 10,000"),
])
def test_reproduce_refuses_what_the_machine_cannot_hold(tiny_idx, capsys, monkeypatch, flags,
                                                        message):
    monkeypatch.setattr(runner, "reproduce", _no_runs)
    monkeypatch.setattr(resources, "available_memory", lambda: 2**40)
    assert main(["reproduce", "seed", "--data", str(tiny_idx), *flags]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (f"fastnet reproduce seed: error: "
                                 f"{message.format(cores=resources.cores())}\n")


def test_reproduce_jobs_are_capped_by_memory(tiny_idx, capsys, monkeypatch):
    monkeypatch.setattr(runner, "reproduce", _no_runs)
    monkeypatch.setattr(resources, "cores", lambda: 8)
    monkeypatch.setattr(resources, "available_memory", lambda: 700 * 2**20)
    assert main(["reproduce", "seed", "--data", str(tiny_idx), "--jobs", "4"]) == 2
    assert capsys.readouterr().err == (
        "fastnet reproduce seed: error: --jobs must be at most 3, as each worker holds about "
        "200 MB and 700 MB are available, not 4\n")
    assert runner.default_jobs() == 3  # without --jobs


def test_reproduce_checks_its_out_files_before_the_runs(tiny_idx, tmp_path, capsys,
                                                        monkeypatch):
    monkeypatch.setattr(runner, "reproduce", _no_runs)
    out = tmp_path / "out"
    (out / "results.md").mkdir(parents=True)  # where results.md would go, a directory
    assert main(["reproduce", "book", "--only", "ch3-overfit", "--quick", "--jobs", "1",
                 "--data", str(tiny_idx), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (f"fastnet reproduce book: error: --out "
                                       f"{out / 'results.md'}: cannot write there (is a "
                                       f"directory)\n")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_reproduce_refuses_a_read_only_out_before_the_runs(tiny_idx, tmp_path, capsys,
                                                           monkeypatch):
    monkeypatch.setattr(runner, "reproduce", _no_runs)
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        assert main(["reproduce", "book", "--only", "ch3-overfit", "--quick", "--jobs", "1",
                     "--data", str(tiny_idx), "--out", str(out)]) == 2
    finally:
        out.chmod(0o755)
    assert "cannot write there (Permission denied)" in capsys.readouterr().err


# -- predict: pictures bounded before they are decoded, deep pictures read by their range --------

def _png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _bomb(kind, side=50000):
    """A picture of a few bytes that declares ``side`` x ``side`` pixels."""
    if kind == "png":
        return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side,
                                                                      8, 0, 0, 0, 0))
                + _png_chunk(b"IDAT", zlib.compress(b"")) + _png_chunk(b"IEND", b""))
    if kind == "gif":
        return (b"GIF89a" + struct.pack("<HHBBB", side, side, 0, 0, 0) + b","
                + struct.pack("<HHHHB", 0, 0, side, side, 0) + b"\x02\x02\x44\x01\x00;")
    header = struct.pack("<IiiHHIIiiII", 40, side, side, 1, 8, 0, 0, 0, 0, 0, 0)
    return (b"BM" + struct.pack("<IHHI", 14 + 40 + 1024, 0, 0, 14 + 40 + 1024) + header
            + b"\0" * 1024)


def test_predict_refuses_each_decompression_bomb_and_reads_the_rest(tmp_path, capsys,
                                                                    model_file, mnist_uint8):
    pytest.importorskip("PIL")
    good = _digit_png(tmp_path / "good.png", mnist_uint8)
    bombs = []
    for kind in ("png", "gif", "bmp"):
        bombs.append(tmp_path / f"bomb.{kind}")
        bombs[-1].write_bytes(_bomb(kind))
    big = tmp_path / "big.png"  # between our limit and Pillow's
    big.write_bytes(_bomb("png", side=8200))
    assert main(["predict", str(model_file), *map(str, bombs), str(good), str(big)]) == 2
    out, err = capsys.readouterr()
    assert re.fullmatch(rf"{re.escape(str(good))}: \d \(\d\.\d\d\)\n", out)
    lines = err.splitlines()
    assert len(lines) == 4 and "Traceback" not in err
    for path, line in zip(bombs, lines):
        assert line == (f"fastnet predict: error: {path}: declares more than 67,108,864 "
                        f"pixels, more than a picture may have (a decompression bomb?)")
    assert lines[3] == (f"fastnet predict: error: {big}: 8200 x 8200 pixels, more than the "
                        f"67,108,864 a picture may have (shrink it first)")


def _scan(mnist_uint8):
    """Test image 0 as a scanner gives it: dark ink on light paper, grey levels 0..1."""
    _, _, (Xt, _) = mnist_uint8
    return 0.9 - 0.8 * Xt[:, 0].reshape(28, 28) / 255


def test_a_16_bit_scan_reads_as_its_8_bit_copy(tmp_path, mnist_uint8):
    Image = pytest.importorskip("PIL.Image")
    scan = _scan(mnist_uint8)
    Image.fromarray(np.rint(scan * 65535).astype(np.uint16)).save(tmp_path / "16.png")
    Image.fromarray(np.rint(scan * 255).astype(np.uint8)).save(tmp_path / "8.png")
    assert Image.open(tmp_path / "16.png").mode == "I;16"
    deep, shallow = (digit_image.read_digit(tmp_path / name) for name in ("16.png", "8.png"))
    assert np.abs(deep - shallow).max() <= 2 / 256  # the rounding of one grey level, stretched


@pytest.mark.parametrize("top", [1.0, 255.0, 65535.0])
def test_a_floating_point_scan_reads_by_its_range(tmp_path, mnist_uint8, top):
    Image = pytest.importorskip("PIL.Image")
    scan = _scan(mnist_uint8)
    Image.fromarray((scan * top).astype(np.float32)).save(tmp_path / "f.tif")
    Image.fromarray(np.rint(scan * 255).astype(np.uint8)).save(tmp_path / "8.png")
    assert Image.open(tmp_path / "f.tif").mode == "F"
    deep, shallow = (digit_image.read_digit(tmp_path / name) for name in ("f.tif", "8.png"))
    assert np.abs(deep - shallow).max() <= 2 / 256


# -- --history onto a FIFO -----------------------------------------------------------------------

def test_a_fifo_history_whose_reader_leaves_never_holds_up_the_run(tmp_path):
    fifo, model = tmp_path / "history.fifo", tmp_path / "m.json"
    os.mkfifo(fifo)
    documents, done = [], threading.Event()

    def read(once):  # `cat FIFO`: one document, then gone; or a loop of them
        while not done.is_set():
            with open(fifo) as f:
                text = f.read()
            if text:  # not the empty one that lets a waiting reader go at the end
                documents.append(text)
            if once:
                return
    first = threading.Thread(target=read, args=(True,), daemon=True)
    first.start()
    proc = _fastnet(*ENDLESS_TRAIN, "--history", fifo, "--save", model)
    try:
        lines = _lines(proc.stdout)
        first.join(timeout=PATIENCE)
        assert documents, "the first document never came"
        epochs = len(json.loads(documents[0])["epochs"])
        # Without a reader, the epochs go on, each waiting a bounded time for one.
        before = _wait_for_line(lines, rf"^Epoch {epochs + 2}:", proc)
        proc.send_signal(signal.SIGINT)  # acted on: not swallowed by a wait for the FIFO
        threading.Thread(target=read, args=(False,), daemon=True).start()  # for the last one
        out = "".join(before + _rest(lines))
        err = proc.stderr.read()
        proc.wait(timeout=PATIENCE)
    finally:
        proc.kill()
        done.set()
        with contextlib.suppress(OSError):  # let a reader still waiting in open() go
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert proc.returncode == 130, err
    printed = len(re.findall(r"^Epoch \d+: ", out, re.M))
    assert f"Interrupted (Ctrl-C) after {printed} epochs" in out
    assert f"Model saved to {model}" in out and fastnet.load(model).sizes == [784, 30, 10]
    assert len(json.loads(documents[-1])["epochs"]) == printed  # the last, to the new reader
    assert err.count("warning: could not write") == 1 and "no reader opened it" in err
    assert "Traceback" not in err and "error" not in err


def test_a_fifo_write_waits_for_a_reader_no_longer_than_allowed(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    start = time.monotonic()
    with pytest.raises(TimeoutError) as e:
        atomic_file.write_json(fifo, {"x": 1}, fifo_seconds=0.3)
    assert 0.3 <= time.monotonic() - start < 10
    assert e.value.filename == str(fifo) and e.value.strerror == "no reader opened it within 0.3 s"


# -- the book's pickle: declared sizes checked before anything is allocated ----------------------

def _int(i):
    return b"J" + struct.pack("<i", i)


def _text(s):
    return b"U" + bytes([len(s)]) + s


def _called_ndarray(shape, code):
    """numpy.ndarray(shape, code), called by the pickle: it allocates the shape."""
    return (b"cnumpy\nndarray\n((" + b"".join(map(_int, shape)) + b"t" + _text(code) + b"tR")


def _reconstruct(shape):
    """numpy's _reconstruct(ndarray, shape, "b") with a shape other than numpy's (0,)."""
    return (b"cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\n(" + b"".join(
        map(_int, shape)) + b"t" + _text(b"b") + b"tR")


def _splits(make):
    """((X, y), (X, y), (X, y)) of the arrays ``make(shape)`` pickles: 150,000 training
    images, one of validation and of test."""
    def split(n):
        return b"(" + make((n, 784)) + make((n,)) + b"t"
    return b"\x80\x02(" + split(150000) + split(1) + split(1) + b"t."


HOSTILE_PICKLES = {
    # 150,000 zero images: accepted, at 2 GB, when numpy.ndarray could be called.
    "numpy.ndarray called": (_splits(lambda shape: _called_ndarray(shape, b"f4")),
                             "refused to call numpy.ndarray"),
    "_reconstruct of a large shape": (_splits(_reconstruct), "not a numpy array as numpy "
                                                             "pickles one"),
    "bytes declaring 2 GB": (b"\x80\x04\x8e" + struct.pack("<Q", 2**31) + b"x" * 16 + b".",
                             "truncated: declares 2,147,483,648 bytes of data, more than the "
                             "file can hold"),
    "a bytearray declaring 2 GB": (b"\x80\x05\x96" + struct.pack("<Q", 2**31) + b"x" * 16
                                   + b".", "truncated: declares 2,147,483,648 bytes"),
}


@pytest.mark.parametrize("case", HOSTILE_PICKLES)
def test_a_pickle_cannot_make_fastnet_allocate_what_it_does_not_hold(tmp_path, case):
    data, message = HOSTILE_PICKLES[case]
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(data))
    assert path.stat().st_size < 200
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=re.escape(message)) as e:
            fastnet.load_mnist(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MB"
    assert str(e.value).startswith(f"{path}: ") and "\n" not in str(e.value)


def test_a_pickled_array_declaring_more_than_its_bytes_is_refused(tmp_path):
    """A state whose shape is larger than its data, and an object array with too few items
    (numpy's __setstate__ crashes the interpreter on that one): refused, in a process of
    their own so that a crash is a failure, not the end of the test run."""
    code = f"""
import gzip, pickle, sys
import numpy as np
from fastnet import load_mnist
try:
    from numpy._core.multiarray import _reconstruct
except ImportError:
    from numpy.core.multiarray import _reconstruct
X = np.zeros((5, 784), np.float32)
y = np.arange(5)
for shape, dtype, data in [((150000, 784), "f4", X.tobytes()), ((5,), "O", [0.0])]:
    class Lying:
        def __reduce__(self):
            return (_reconstruct, (np.ndarray, (0,), b"b"),
                    (1, shape, np.dtype(dtype), False, data))
    path = {str(tmp_path)!r} + "/mnist.pkl.gz"
    with open(path, "wb") as f:
        f.write(gzip.compress(pickle.dumps(((Lying(), y), (X, y), (X, y)), protocol=2)))
    try:
        load_mnist(path)
    except ValueError as e:
        print(e)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_env(), timeout=PATIENCE)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.endswith("training set: X: declares 150000x784 float32 = 470,400,000 bytes "
                          "but holds 15,680")
    assert second.endswith("training set: X: dtype object is not a number per element")


def test_data_with_a_hostile_pickle_is_one_line(tmp_path, capsys):
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(HOSTILE_PICKLES["numpy.ndarray called"][0]))
    assert main(["data", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fastnet data: error: {path}: ") and err.count("\n") == 1


# -- absurd sizes are usage errors, before anything is allocated --------------------------------

@pytest.mark.parametrize("flags, message", [
    (["--mini-batch-size", "100000000"], "--mini-batch-size must be at most 200, the number "
                                         "of training images, not 100,000,000"),
    (["--mini-batch-size", "1" * 23], "--mini-batch-size must be at most 200, the number of "
                                      "training images, not 11,111,111"),
    (["--sizes", "784,10000000,10"], r"training --sizes 784,10000000,10 on mini-batches of "
                                     r"10 needs at least \d+\.\d GB of memory and 8\.0 GB "
                                     r"are available"),
    (["--threads", "10000"], "--threads must be at most {cores}, the number of cores this "
                             "process may use, not 10,000"),
], ids=["mini-batch", "23 digits", "sizes", "threads"])
def test_train_refuses_what_the_machine_cannot_hold(capsys, monkeypatch, flags, message):
    def no_network(*args, **kwargs):
        pytest.fail("a network was allocated")
    monkeypatch.setattr("fastnet.commands.train.Network", no_network)
    monkeypatch.setattr(resources, "available_memory", lambda: 8 * 2**30)
    assert main(["train", "--train-size", "200", *flags]) == 2
    out, err = capsys.readouterr()
    line = err.rstrip("\n")
    assert "\n" not in line and "Traceback" not in err
    message = message.format(cores=f"{resources.cores():,}")
    if flags[0] == "--sizes":
        assert re.fullmatch(f"fastnet train: error: {message}", line), line
    else:
        assert line.startswith(f"fastnet train: error: {message}"), line


def test_memory_figures_come_from_the_machine():
    assert resources.cores() >= 1
    available = resources.available_memory()
    assert available is None or 0 < available < 2**50


# -- plot validates the history it is given ------------------------------------------------------

BAD_HISTORIES = {
    "epochs without any curve": ({"config": {}, "epochs": [{"epoch": 0}, {"epoch": 1}]},
                                 "holds no curve to draw"),
    "a config value of the wrong type": ({"config": {"eta": "fast"}, "epochs": [
        {"epoch": 0, "evaluation_accuracy": 0.9}]}, "config.eta is not a finite number"),
    "an eval set that is not a name": ({"config": {"eval": ["test"]}, "epochs": [
        {"epoch": 0, "evaluation_accuracy": 0.9}]}, "config.eval is not a string"),
    "sizes that are not sizes": ({"config": {"sizes": "784"}, "epochs": [
        {"epoch": 0, "evaluation_accuracy": 0.9}]}, "config.sizes is not a list of whole"),
    "an epoch of 10**400": ('{"config": {}, "epochs": [{"epoch": 1' + "0" * 400
                            + ', "evaluation_accuracy": 0.9}]}', "epochs[0].epoch is not an "
                                                                 "epoch number"),
    "an accuracy of 10**400": ('{"config": {}, "epochs": [{"epoch": 0, '
                               '"evaluation_accuracy": 1' + "0" * 400 + '}]}',
                               "epochs[0].evaluation_accuracy is not a finite number"),
    "deep nesting": ('{"config": {}, "epochs": ' + "[" * 100000 + "]" * 100000 + "}",
                     "nested too deeply"),
}


@pytest.mark.parametrize("case", BAD_HISTORIES)
def test_plot_refuses_a_malformed_history_on_one_line(tmp_path, capsys, case):
    pytest.importorskip("matplotlib")
    content, message = BAD_HISTORIES[case]
    path = tmp_path / "history.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    assert main(["plot", str(path), "--out", str(tmp_path / "out.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fastnet plot: error: {path}: ") and message in err
    assert err.count("\n") == 1 and not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("case", BAD_HISTORIES)
def test_learning_curves_refuses_a_malformed_history_file_by_name(tmp_path, case):
    """The Python API reads history files through the same checks as `fastnet plot`."""
    pytest.importorskip("matplotlib")
    content, message = BAD_HISTORIES[case]
    path = tmp_path / "history.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(ValueError, match=re.escape(f"{path}: ")) as info:
        fastnet.learning_curves(str(path))
    assert message in str(info.value)


def test_plot_that_cannot_write_after_drawing_exits_1(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"config": {}, "epochs": [{"epoch": 0,
                                                          "evaluation_accuracy": 0.9}]}))

    def full_disk(runs, out):
        raise OSError(errno.ENOSPC, "No space left on device", str(out))
    monkeypatch.setattr(plot.plots, "write_curves", full_disk)
    assert main(["plot", str(path), "--out", str(tmp_path / "out.png")]) == 1
    assert capsys.readouterr().err.startswith("fastnet plot: error: could not write ")


# -- file names --------------------------------------------------------------------------------

def test_a_name_that_is_not_utf8_is_printed_as_its_bytes(tmp_path):
    name = os.fsdecode(b"model-\xff.json")
    proc = _fastnet(*TINY_TRAIN, "--epochs", "1", "--save", tmp_path / name,
                    env=_env(PYTHONIOENCODING="utf-8:strict"))
    proc.stdout.reconfigure(errors="surrogateescape")
    out, err = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 0, err
    assert f"Model saved to {tmp_path / name}: " in out  # the same bytes, back
    assert fastnet.load(tmp_path / name).sizes == [784, 30, 10]


@pytest.mark.parametrize("name", ["a" * 250 + ".json", "é" * 123 + "abcd.json"],
                         ids=["255 ASCII bytes", "255 bytes of UTF-8"])
def test_names_up_to_255_bytes_can_be_saved(tmp_path, name):
    assert len(os.fsencode(name)) == 255
    path = tmp_path / name
    atomic_file.check_writable(path)  # what --save, --history, ... ask before the work
    net = Network([4, 3, 2], seed=0)
    net.save(path)
    assert fastnet.load(path).weights[0].tolist() == net.weights[0].tolist()
    assert os.listdir(tmp_path) == [name]  # no temporary file left


def test_a_newline_in_a_path_does_not_split_the_one_line_error(tmp_path, capsys):
    missing = tmp_path / "a\nb"
    assert main(["data", "--data", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a\\nb" in err
    assert _status(["train", "--eta", "1\n2"]) == 2  # argparse's own errors too
    assert capsys.readouterr().err.splitlines()[-1] == (
        "fastnet train: error: argument --eta: expected a number, not '1\\n2'")


def test_predict_keeps_a_newline_in_a_picture_name_on_its_line(tmp_path, capsys, model_file):
    pytest.importorskip("PIL")
    bad = tmp_path / "x\ny.png"
    bad.write_bytes(b"not a picture")
    assert main(["predict", str(model_file), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == f"fastnet predict: error: {tmp_path}/x\\ny.png: not a picture (Pillow cannot " \
                  f"read this format)\n"


# -- numba's cache ------------------------------------------------------------------------------

KERNEL_MODULE = """
from fastnet.jit import _jit

@_jit
def add_one(x):
    return x + 1

if __name__ == "__main__":
    print(add_one(41), sum(add_one.stats.cache_hits.values()))
"""


@pytest.mark.parametrize("suffix", [".nbi", ".nbc"])
def test_a_truncated_numba_cache_file_is_compiled_anew(tmp_path, suffix):
    """The same decorator as every kernel's, on a module of its own (the kernels' cache is
    not touched): cache it, truncate the file, run again, then load from the new cache."""
    (tmp_path / "kernel.py").write_text(KERNEL_MODULE)

    def run():
        done = subprocess.run([sys.executable, "kernel.py"], cwd=tmp_path, capture_output=True,
                              text=True, env=_env(NUMBA_CACHE_DIR=""), timeout=PATIENCE)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        return done.stdout.split()

    assert run() == ["42", "0"]  # compiled and cached
    cached = list((tmp_path / "__pycache__").glob(f"kernel.add_one-*{suffix}"))
    if not cached:
        pytest.skip("numba cannot cache here")
    for path in cached:
        with open(path, "r+b") as f:
            f.truncate(20)  # as a full disk or a kill mid-write leaves it
    assert run() == ["42", "0"]  # compiled again, not an UnpicklingError
    assert run() == ["42", "1"]  # and the cache written anew


# -- stale temporary files, a FIFO as a picture, a symlink loop --------------------------------

def _hold_a_save(target, tmp_path):
    """A process of its own in the middle of writing ``target`` (atomic_file.replacing), its
    temporary file written; returns the process and the temporary file."""
    code = ("import sys, time; from fastnet import atomic_file\n"
            f"with atomic_file.replacing({str(target)!r}) as f:\n"
            "    f.write('half'); f.flush(); print('ready', flush=True); time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env=_env())
    assert proc.stdout.readline() == "ready\n"
    temporary, = (p for p in tmp_path.iterdir() if p.name.startswith(f".{target.name}."))
    return proc, temporary


def _age(path, seconds):
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_temporary_file_left_by_a_killed_save_is_removed_by_the_next(tmp_path):
    target = tmp_path / "model.json"
    proc, temporary = _hold_a_save(target, tmp_path)
    proc.kill()  # kill -9 mid-save
    proc.wait()
    assert temporary.exists()
    atomic_file.write_json(target, {"x": 1})
    assert temporary.exists()  # too young to be surely dead: a writer may have just made it
    _age(temporary, atomic_file.STALE_SECONDS + 1)
    atomic_file.write_json(target, {"x": 2})
    assert sorted(os.listdir(tmp_path)) == ["model.json"]
    assert json.loads(target.read_text()) == {"x": 2}


def test_a_temporary_file_of_a_living_writer_is_left_alone(tmp_path):
    target = tmp_path / "model.json"
    proc, temporary = _hold_a_save(target, tmp_path)
    try:
        _age(temporary, atomic_file.STALE_SECONDS + 1)  # old, but its writer holds it
        atomic_file.write_json(target, {"x": 1})
        assert temporary.exists()
    finally:
        proc.kill()
        proc.wait()


def test_a_fifo_picture_is_read_and_one_without_a_writer_is_said_so(tmp_path, capsys,
                                                                    model_file, mnist_uint8,
                                                                    monkeypatch):
    pytest.importorskip("PIL")
    data = _digit_png(tmp_path / "digit.png", mnist_uint8).read_bytes()
    fed, unfed = tmp_path / "fed.fifo", tmp_path / "unfed.fifo"
    os.mkfifo(fed)
    os.mkfifo(unfed)

    def feed():
        with open(fed, "wb") as f:
            f.write(data)
    threading.Thread(target=feed, daemon=True).start()
    monkeypatch.setattr(digit_image, "STREAM_SECONDS", 2.0)
    assert main(["predict", str(model_file), str(fed), str(unfed)]) == 2
    out, err = capsys.readouterr()
    assert re.fullmatch(rf"{re.escape(str(fed))}: \d \(\d\.\d\d\)\n", out)
    assert err == (f"fastnet predict: error: {unfed}: nothing came through it within 2 s (a "
                   f"FIFO no one writes into?)\n")


def test_a_symlink_loop_in_fastnet_data_is_named_as_such(tmp_path, monkeypatch, capsys):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    monkeypatch.setenv("FASTNET_DATA", str(loop))
    with pytest.raises(OSError) as e:
        fastnet.load_mnist()
    assert str(e.value) == (f"{loop} ($FASTNET_DATA) cannot be used: Too many levels of "
                            f"symbolic links")
    assert e.value.errno is None or e.value.errno == errno.ELOOP
