"""Writing a file so that it holds either all of the old content or all of the new.

A crash, a full disk or a Ctrl-C in the middle of a save must never leave a half-written file
where a good one stood.  So the new content goes to a temporary file in the target's own
directory (a rename cannot cross file systems), is flushed and fsynced, and only then renamed
over the target, which POSIX makes atomic.  On any failure the temporary file is removed and
the target is untouched.
"""

import contextlib
import json
import os
import tempfile
from pathlib import Path


def write_json(path, obj, indent=None):
    """Write ``obj`` to ``path`` as JSON and a newline, atomically; ``indent`` as json.dump's
    (None: all on one line).

    Non-finite floats are refused (ValueError), as JSON has no spelling for them.  Raises
    OSError when the directory is not writable or the disk is full; either way an existing file
    at ``path`` keeps its old content and no temporary file is left behind.
    """
    with replacing(path) as f:
        json.dump(obj, f, allow_nan=False, indent=indent)
        f.write("\n")


def write_text(path, text):
    """Write the string ``text`` to ``path`` (UTF-8), atomically, as `write_json` does."""
    with replacing(path) as f:
        f.write(text)


@contextlib.contextmanager
def replacing(path, binary=False):
    """A new file (text in UTF-8, or ``binary``) to write ``path``'s new content into; it
    replaces ``path`` when the block ends without an exception, and is removed if not."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates the file readable by its owner only; give it the mode a plain
        # open() would have, or keep the mode of the file it replaces.
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(path.parent)


def check_writable(path):
    """Raise OSError (with a reason) unless `replacing` could later write ``path``: its
    directory exists and takes new files, and ``path`` itself is not a directory.  Lets a long
    job fail at the start rather than lose its result at the end."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"directory {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)


def _mode_for(path):
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory):
    """Make the rename itself durable.  Some systems cannot open a directory for fsync; the
    file's content is safe either way, so that is not an error."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
