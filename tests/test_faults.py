"""Issue 16's probes, one test each: what sits at an output path is kept, errors name the
user's path, Ctrl-C anywhere is one line and exit status 130, exit statuses mean one thing,
usage errors speak for their subcommand, --keep, evaluate on the test files alone, and the
first-run note.  (Empty inputs and NaN in predict belong to the engine's tests.)"""

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import fastnet
from fastnet import Network, atomic_file
from fastnet.cli import main
from fastnet.data import TEST_IMAGES, TEST_LABELS, bundled_dirs

REPO = Path(__file__).resolve().parent.parent
SMALL = ["train", "--train-size", "100", "--epochs", "1", "--seed", "1"]


def _status(argv):
    """main()'s exit status, whether it returns it or argparse exits."""
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


def _device_copy(path, name):
    """A character device like /dev/null ("null", 1:3) or /dev/full ("full", 1:7) at
    ``path``; skips the test unless this user may make device nodes."""
    minor = {"null": 3, "full": 7}[name]
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    except (PermissionError, OSError) as e:
        pytest.skip(f"cannot make a device node here ({e})")
    return path


# -- writes keep what sits at the path ---------------------------------------------------------

def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "models").mkdir()
    target = tmp_path / "models" / "real.json"
    Network([4, 3, 2], seed=0).save(target)
    link = tmp_path / "link.json"
    link.symlink_to(Path("models") / "real.json")
    net = Network([4, 3, 2], seed=1)
    net.save(link)
    assert link.is_symlink() and os.readlink(link) == str(Path("models") / "real.json")
    assert fastnet.load(target).weights[0].tolist() == net.weights[0].tolist()
    assert os.listdir(tmp_path / "models") == ["real.json"]  # the temporary file was beside it


def test_save_through_a_symlink_from_the_command_line(tmp_path, capsys):
    target, link = tmp_path / "real.json", tmp_path / "link.json"
    target.write_text("old")
    link.symlink_to(target)
    assert main(SMALL + ["--save", str(link)]) == 0
    assert link.is_symlink() and fastnet.load(target).sizes == [784, 30, 10]


def test_a_fifo_is_written_into_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    atomic_file.write_json(fifo, {"x": 1})
    reader.join(timeout=10)
    assert received == ['{"x": 1}\n']
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_device_node_is_written_into_not_replaced(tmp_path, capsys):
    history = _device_copy(tmp_path / "null-history", "null")
    model = _device_copy(tmp_path / "null-model", "null")
    assert main(SMALL + ["--history", str(history), "--save", str(model)]) == 0
    for node in (history, model):
        assert stat.S_ISCHR(os.lstat(node).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["null-history", "null-model"]


def test_dev_stdout_is_appended_to_not_replaced(tmp_path):
    """A link to /proc/self/fd/1, as /dev/stdout is: not the real one, which code that
    replaced what sits at the path would replace for the whole machine."""
    out, stdout = tmp_path / "out.txt", tmp_path / "stdout"
    stdout.symlink_to("/proc/self/fd/1")
    code = ("import sys; from fastnet import atomic_file; print('before', flush=True); "
            f"atomic_file.write_text({str(stdout)!r}, 'after\\n')")
    with open(out, "w") as f:
        subprocess.run([sys.executable, "-c", code], stdout=f, check=True,
                       env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.read_text() == "before\nafter\n"


# -- errors name the path the user gave ------------------------------------------------------

def test_a_save_into_a_missing_directory_names_the_target(tmp_path):
    target = tmp_path / "absent" / "model.json"
    with pytest.raises(FileNotFoundError) as e:
        Network([4, 3, 2], seed=0).save(target)
    assert e.value.filename == str(target) and ".tmp" not in str(e.value)
    assert str(e.value) == (f"[Errno 2] directory {tmp_path / 'absent'} does not exist: "
                            f"'{target}'")


def test_a_file_in_the_way_of_a_directory_is_named_as_such(tmp_path, capsys):
    blocker = tmp_path / "file.json"
    blocker.write_text("{}")
    assert _status(SMALL + ["--save", str(blocker / "x.json")]) == 2
    err = capsys.readouterr().err
    assert err == (f"fastnet train: error: --save {blocker / 'x.json'}: cannot write there "
                   f"({blocker} is a file, not a directory)\n")
    with pytest.raises(NotADirectoryError, match="is a file, not a directory"):
        atomic_file.write_text(blocker / "x.json", "x")


# -- exit statuses -----------------------------------------------------------------------------

def test_a_save_that_fails_after_training_is_status_1_and_says_so(tmp_path, capsys):
    full = _device_copy(tmp_path / "full", "full")
    assert main(SMALL + ["--save", str(full)]) == 1
    out, err = capsys.readouterr()
    assert "Best: " in out and "Traceback" not in err
    assert err == (f"fastnet train: error: could not write --save {full} (No space left on "
                   f"device): the trained model was not saved\n")


# Evaluating the huge weights of a diverging run overflows, and numpy says so.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_a_diverged_run_whose_save_fails_says_both_on_one_line(tmp_path, capsys):
    full = _device_copy(tmp_path / "full", "full")
    assert main(["train", "--train-size", "200", "--epochs", "3", "--eta", "1e308", "--cost",
                 "cross-entropy", "--seed", "1", "--save", str(full)]) == 1
    err = capsys.readouterr().err
    assert re.fullmatch(rf"fastnet train: error: training diverged in epoch 1: .*parameters "
                        rf"restored to the end of epoch 0; could not write --save "
                        rf"{re.escape(str(full))} \(No space left on device\): the trained "
                        rf"model was not saved\n", err)


def test_a_subcommand_usage_error_prints_its_usage(capsys):
    assert _status(["train", "--bogus", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: fastnet train ")
    assert err.splitlines()[-1] == "fastnet train: error: unrecognized arguments: --bogus 1"


@pytest.mark.parametrize("flag, value, requirement", [
    ("--eta", "-inf", "a number > 0"), ("--eta", "-1e3", "a number > 0"),
    ("--lmbda", "-0.5", "a number >= 0"),
])
def test_negative_numbers_are_read_as_values(capsys, flag, value, requirement):
    assert _status(["train", flag, value]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"fastnet train: error: argument {flag}: must be {requirement}, not {value}")


def test_help_states_the_exit_statuses(capsys):
    for argv in (["--help"], ["train", "--help"], ["evaluate", "--help"], ["bench", "--help"]):
        assert _status(argv) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "1 a failure after the work began" in out and "130 Ctrl-C" in out, argv


# -- --keep ------------------------------------------------------------------------------------

# A run whose best epoch (0) is not its last, on the validation set.
KEEP_RUN = ["train", "--train-size", "500", "--epochs", "3", "--seed", "1", "--eta", "30",
            "--eval", "validation"]


@pytest.mark.parametrize("keep", ["best", "last"])
def test_keep_saves_the_epoch_it_says(tmp_path, capsys, mnist_uint8, keep):
    model, history = tmp_path / "model.json", tmp_path / "history.json"
    assert main(KEEP_RUN + ["--save", str(model), "--history", str(history),
                            "--keep", keep]) == 0
    out = capsys.readouterr().out
    doc = json.loads(history.read_text())
    accuracies = [round(e["evaluation_accuracy"] * 10000) for e in doc["epochs"]]
    best = doc["best"]["epoch"]
    assert best != len(accuracies) - 1  # else the two choices could not be told apart
    epoch = best if keep == "best" else len(accuracies) - 1
    X, y = mnist_uint8[1]
    assert fastnet.load(model).accuracy(X, y) == accuracies[epoch]
    assert f"Best: {accuracies[best]} / 10000" in out
    assert (f"Model saved to {model}: the weights after epoch {epoch}, the {keep} "
            f"(--keep {keep})") in out
    assert doc["config"]["keep"] == keep


def test_keep_best_without_save_is_refused_before_training(capsys, monkeypatch):
    monkeypatch.setattr(fastnet.Network, "SGD", lambda *a, **k: pytest.fail("should not train"))
    assert main(KEEP_RUN + ["--keep", "best"]) == 2
    err = capsys.readouterr().err
    assert err == ("fastnet train: error: --keep best says which weights --save writes; "
                   "give --save FILE too\n")


# -- evaluate loads only the set it scores -----------------------------------------------------

def test_evaluate_with_only_the_test_files(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    bundled = next(d for d in bundled_dirs() if d.is_dir())
    for stem in (TEST_IMAGES, TEST_LABELS):
        shutil.copy(bundled / f"{stem}.gz", data)
    model = tmp_path / "model.json"
    Network([784, 30, 10], seed=0).save(model)
    assert main(["evaluate", str(model), "--data", str(data)]) == 0
    assert re.fullmatch(rf"{re.escape(str(model))}: \d+ / 10000 \(.*\) on the test set\n",
                        capsys.readouterr().out)
    # The validation set is part of the training file, which is not there.
    assert main(["evaluate", str(model), "--data", str(data), "--eval", "validation"]) == 2
    assert "train-images-idx3-ubyte[.gz] not found" in capsys.readouterr().err


# -- the first run -----------------------------------------------------------------------------

def test_the_first_run_says_that_it_compiles(tmp_path, capsys):
    code = "from fastnet.commands.common import first_run_note; first_run_note('float64')"
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO),
                               "NUMBA_CACHE_DIR": str(tmp_path)})
    assert cold.returncode == 0 and cold.stdout == ""
    assert re.fullmatch(r"fastnet: compiling the numba kernels for float64 \(.*; numba keeps "
                        r"them in its cache for later runs\) \.\.\.\n", cold.stderr)
    from fastnet import step
    from fastnet.commands.common import first_run_note

    # compiles, or loads from the cache, as the session's runs did
    Network([2, 2], seed=0).SGD((np.zeros((2, 3)), np.zeros(3, np.int64)), 1, 2, 0.1)
    if step._train_batches.stats.cache_path is None:
        pytest.skip("numba cannot cache the kernels here: every run compiles")
    capsys.readouterr()  # the SGD call's own note, if it compiled
    first_run_note("float64")  # now cached: nothing to say
    assert capsys.readouterr().err == ""


def test_sgd_says_it_compiles_before_it_does_and_only_then(tmp_path, capsys, monkeypatch):
    """The note comes from the engine, for Python users too: printed when numba has no
    compiled epoch for the run's types, in memory or on disk (`jit.will_compile`)."""
    from fastnet import jit, train

    module = tmp_path / "twice.py"
    module.write_text("import numba\n@numba.njit(cache=True)\ndef twice(x):\n    return 2 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    from twice import twice

    assert jit.will_compile(twice, (1.5,))
    assert twice(1.5) == 3.0
    assert not jit.will_compile(twice, (1.5,))  # in memory now
    assert jit.will_compile(twice, (np.ones(2),))  # another type: not compiled yet
    X, y = np.zeros((2, 3)), np.zeros(3, np.int64)
    Network([2, 2], seed=0).SGD((X, y), 1, 2, 0.1)  # compiled or loaded by now
    capsys.readouterr()
    Network([2, 2], seed=0).SGD((X, y), 1, 2, 0.1)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(train, "will_compile", lambda dispatcher, args: True)
    monkeypatch.setattr(train, "_loaded", set())  # as in a new process
    Network([2, 2], seed=0).SGD((X, y), 1, 2, 0.1)
    assert re.fullmatch(r"fastnet: compiling the numba kernels for float64 \(.*\) \.\.\.\n",
                        capsys.readouterr().err)


# -- Ctrl-C anywhere ---------------------------------------------------------------------------

def _command(*argv, **popen):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("FASTNET_DATA", None)
    return subprocess.Popen([sys.executable, "-m", "fastnet", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **popen)


def _wait_for_reader(fifo, proc, timeout=120):
    """Block until ``proc`` has opened ``fifo`` for reading (past its imports, loading the
    data); returns our write end, which keeps its read waiting."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            if e.errno != errno.ENXIO:
                raise
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    pytest.fail("the command never opened the data")


def _wait_until_reading(proc, timeout=120):
    """Block until ``proc`` sleeps in a read of a pipe or FIFO (its kernel wait channel, or
    failing that its system call, says so).  A SIGINT sent in the moment between the
    command's open() of the FIFO and its read() is noted by Python and not acted on before
    the read begins, which then waits for ever: CPython looks for signals between bytecodes
    and when a system call is interrupted, not as one starts.  Seen in a full test run on a
    loaded machine; a user's second Ctrl-C would end it."""
    read_syscall = {"x86_64": "0", "aarch64": "63"}.get(os.uname().machine)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            wchan = Path(f"/proc/{proc.pid}/wchan").read_text()
            syscall = Path(f"/proc/{proc.pid}/syscall").read_text().split()
        except OSError:
            wchan, syscall = "", []
        if "pipe_read" in wchan or (wchan in ("", "0") and syscall[:1] == [read_syscall]):
            return
        time.sleep(0.01)
    pytest.fail("the command never waited for the data")


def _assert_one_line_130(proc, prog):
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith(f"{prog}: "), err
    assert "Ctrl-C" in err.splitlines()[-1]


@pytest.mark.parametrize("argv", [["data"], ["evaluate", "{model}"], ["train"]],
                         ids=["data", "evaluate", "train"])
def test_ctrl_c_while_loading_the_data_is_one_line(tmp_path, argv):
    fifo = tmp_path / "mnist.pkl.gz"  # load_mnist opens it and waits for bytes that never come
    os.mkfifo(fifo)
    model = tmp_path / "model.json"
    Network([784, 30, 10], seed=0).save(model)
    argv = [a.format(model=model) for a in argv] + ["--data", str(fifo)]
    proc = _command(*argv)
    try:
        fd = _wait_for_reader(fifo, proc)
        _wait_until_reading(proc)
        proc.send_signal(signal.SIGINT)
        _assert_one_line_130(proc, f"fastnet {argv[0]}")
        os.close(fd)
    finally:
        proc.kill()


def _children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as f:
                    if any(line.split() == ["PPid:", str(pid)] for line in f):
                        found.append(int(entry))
            except OSError:
                pass
    return found


def test_ctrl_c_while_reproduce_starts_its_workers(tmp_path):
    """The terminal sends SIGINT to the whole process group, the workers included, here
    while they still import numpy and numba."""
    proc = _command("reproduce", "seed", "--quick", "--jobs", "2", start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(_children(proc.pid)) < 2:  # the two workers (and the resource tracker)
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.01)
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)
        _assert_one_line_130(proc, "fastnet reproduce seed")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def test_ctrl_c_during_bench_is_one_line():
    proc = _command("bench", "--quick")
    try:
        for line in proc.stdout:
            if line.startswith("timing "):
                proc.send_signal(signal.SIGINT)
                break
        _assert_one_line_130(proc, "fastnet bench")
    finally:
        proc.kill()
