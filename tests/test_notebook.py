"""docs/notebook.ipynb, executed headless as Jupyter would run it (nbclient, a kernel of this
Python, the notebook's own directory as the working directory), so that it cannot rot: no
cell fails, the runs print the book's lines, and each picture is shown once."""

import base64
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
kernelspec = pytest.importorskip("ipykernel.kernelspec")
pytest.importorskip("matplotlib")
pytest.importorskip("PIL")
from jupyter_client import KernelManager  # noqa: E402  (nbclient's dependency)
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402

NOTEBOOK = Path(__file__).parent.parent / "docs" / "notebook.ipynb"
PNG = b"\x89PNG\r\n\x1a\n"


def _tagged(nb, tag):
    return [cell for cell in nb.cells if tag in cell.metadata.get("tags", [])]


def _text(cell):
    """What the cell printed, and the plain text of its result."""
    parts = [out.get("text", "") for out in cell.outputs if out.output_type == "stream"]
    parts += [out.data.get("text/plain", "") for out in cell.outputs
              if out.output_type == "execute_result"]
    return "".join(parts)


def _images(cell):
    return [base64.b64decode(out.data["image/png"]) for out in cell.outputs
            if out.output_type in ("display_data", "execute_result") and "image/png" in out.data]


def test_the_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after a run, in a kernel of this very Python (not whatever `python3`
    kernel a Jupyter installation names), its temporary files kept in a directory of the
    test's."""
    tmp = tmp_path_factory.mktemp("notebook")
    spec_dir = kernelspec.write_kernel_spec(str(tmp / "kernels" / "fastnet-test"))
    assert Path(spec_dir).is_dir()
    specs = KernelSpecManager(kernel_dirs=[str(tmp / "kernels")])
    manager = KernelManager(kernel_name="fastnet-test", kernel_spec_manager=specs)
    assert manager.kernel_spec.argv[0] == sys.executable
    nb = nbformat.read(NOTEBOOK, as_version=4)
    env_tmp = tmp / "tmp"
    env_tmp.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TMPDIR", str(env_tmp))  # the notebook's tempfile.mkdtemp goes here
        client = nbclient.NotebookClient(nb, km=manager, timeout=600,
                                         resources={"metadata": {"path": str(NOTEBOOK.parent)}})
        client.execute()  # CellExecutionError, with the cell and its traceback, if one fails
    return nb, env_tmp


def test_the_notebook_runs_and_prints_the_books_lines(executed):
    nb, _ = executed
    first = nb.cells[1].source
    n_train, epochs = re.search(r"N_TRAIN, EPOCHS = ([\d_]+), (\d+)", first).groups()
    n_train, epochs = int(n_train), int(epochs)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error"
            assert not (out.output_type == "stream" and out.name == "stderr"
                        and "Traceback" in out.text)

    (data,) = _tagged(nb, "data")
    assert _text(data) == f"{n_train:,} training images, 10,000 test images\n"

    (network,) = _tagged(nb, "network")
    lines = _text(network).splitlines()
    assert [line.split(":")[0] for line in lines[:epochs]] == [f"Epoch {i}" for i in
                                                               range(epochs)]
    assert all(re.fullmatch(r"Epoch \d+: \d+ / 10000 \([\d.e-]+ s\)", line)
               for line in lines[:epochs]), lines
    assert lines[epochs].startswith(f"History({epochs} epochs; completed; best evaluation "
                                    f"accuracy ")

    (network2,) = _tagged(nb, "network2")
    lines = _text(network2).splitlines()
    assert [line for line in lines if line.startswith("lmbda")] == [
        "lmbda = 0.1", "lmbda = 1.0", "lmbda = 5.0"]
    epoch_lines = [line for line in lines if line.startswith("Epoch ")]
    assert len(epoch_lines) == 3 * epochs
    assert all(f"training accuracy " in line and f"/ {n_train})" in line for line in epoch_lines)

    (book,) = _tagged(nb, "book")
    lines = _text(book).splitlines()
    assert lines[0::2] == [f"Epoch {i} training complete" for i in range(epochs)]
    assert all(re.fullmatch(r"Accuracy on evaluation data: \d+ / 10000", line)
               for line in lines[1::2]) and len(lines) == 2 * epochs

    (cli,) = _tagged(nb, "cli")
    assert "Learning curves written to " in _text(cli)


def test_each_picture_is_shown_once(executed):
    """A cell ending in a Figure shows it once, before pyplot is imported and after (when
    matplotlib's inline backend shows pyplot's figures at the end of every cell); no other
    cell shows one."""
    nb, _ = executed
    figures = _tagged(nb, "figure")
    assert len(figures) == 7
    for cell in nb.cells:
        images = _images(cell) if cell.cell_type == "code" else []
        if cell in figures:
            assert len(images) == 1, cell.source
            assert images[0].startswith(PNG) and len(images[0]) > 5000
        else:
            assert images == [], cell.source


def test_the_notebooks_files_go_to_a_temporary_directory(executed):
    _, env_tmp = executed
    (made,) = env_tmp.iterdir()
    assert sorted(p.name for p in made.iterdir()) == ["curves.png", "lmbda0.1.json",
                                                      "lmbda5.json"]
