"""The `fastnet` command line, and the README's quick start agreeing with CI."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import fastnet
from fastnet import cli
from fastnet.cli import main

REPO = Path(__file__).resolve().parent.parent


def test_data_prints_the_split_sizes_and_the_source(capsys, monkeypatch):
    monkeypatch.delenv("FASTNET_DATA", raising=False)
    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^data: .*data/mnist \(bundled, sha256 verified\)$", out, re.M)
    sizes = r"^training: +50000 images\nvalidation: +10000 images\ntest: +10000 images$"
    assert re.search(sizes, out, re.M)


@pytest.mark.parametrize("problem", ["missing", "damaged"])
def test_a_data_error_is_one_line_and_exit_status_2(capsys, tmp_path, problem):
    bad = tmp_path / "mnist.pkl.gz"
    if problem == "damaged":
        bad.write_bytes(b"junk")
    assert main(["data", "--data", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"fastnet data: error: {bad}") and err.count("\n") == 1


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out == f"fastnet {fastnet.__version__}\n"


def test_a_command_is_required():
    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code == 2


def test_console_script_reports_errors_without_a_traceback(tmp_path):
    script = shutil.which("fastnet", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the fastnet console script is not installed in this environment")
    run = subprocess.run([script, "data", "--data", str(tmp_path / "absent")],
                         capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.startswith("fastnet data: error: ")
    assert "Traceback" not in run.stderr


def test_readme_quick_start_is_what_ci_runs():
    readme = (REPO / "README.md").read_text()
    ci_command = (REPO / ".ci" / "run").read_text().strip().splitlines()[-1]
    quick_start = re.search(r"## Quick start.*?```\n(.*?)```", readme, re.S).group(1).splitlines()
    assert quick_start == ["pip install -e . && fastnet train", ci_command]


def test_a_subcommand_imports_only_its_own_module():
    # `fastnet train` builds only train's parser: the other commands' modules (bench, the
    # experiments of reproduce, ...) are not imported, which keeps the process smaller
    code = ("import sys; from fastnet import cli; p = cli.build_parser(['train']); "
            "p.parse_args(['train', '--epochs', '1']); "
            "print(sorted(m for m in sys.modules if m.startswith('fastnet.commands.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    loaded = set(ast.literal_eval(out))
    assert "fastnet.commands.train" in loaded
    assert not loaded & {"fastnet.commands.bench", "fastnet.commands.reproduce",
                         "fastnet.commands.evaluate", "fastnet.commands.predict"}
    everything = cli.build_parser()  # no argv: every subcommand, for fastnet --help
    assert set(cli._subcommands(everything)) == set(cli.COMMAND_MODULES)
