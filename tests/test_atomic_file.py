"""atomic_file's text and binary writes, which results.md, results.json, accuracy.png and
`fastnet bench --json` go through: all of the new content, or all of the old.  (write_json
under faults, as a model save uses it, is tested in test_model_file.py.)"""

import os

import pytest

from fastnet import atomic_file


@pytest.mark.parametrize("binary", [False, True])
def test_a_failure_while_writing_keeps_the_old_file(tmp_path, binary):
    path = tmp_path / "results.md"
    path.write_text("old –\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        with atomic_file.replacing(path, binary=binary) as f:
            f.write(b"half" if binary else "half")
            raise KeyboardInterrupt
    assert path.read_text(encoding="utf-8") == "old –\n"
    assert os.listdir(tmp_path) == ["results.md"]  # no temporary file left behind


def test_write_text_replaces_the_file_whole_in_utf8(tmp_path):
    path = tmp_path / "results.md"
    path.write_text("old\n")
    path.chmod(0o640)
    atomic_file.write_text(path, "new – text")
    assert path.read_bytes() == "new – text".encode("utf-8")
    assert path.stat().st_mode & 0o777 == 0o640  # the mode of the file it replaced
    assert os.listdir(tmp_path) == ["results.md"]


def test_write_json_indents_when_asked(tmp_path):
    atomic_file.write_json(tmp_path / "a.json", {"x": [1, 2]}, indent=1)
    atomic_file.write_json(tmp_path / "b.json", {"x": [1, 2]})
    assert (tmp_path / "a.json").read_text() == '{\n "x": [\n  1,\n  2\n ]\n}\n'
    assert (tmp_path / "b.json").read_text() == '{"x": [1, 2]}\n'
