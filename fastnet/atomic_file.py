"""Writing a file so that it holds either all of the old content or all of the new.

A crash, a full disk or a Ctrl-C in the middle of a save must never leave a half-written file
where a good one stood.  So the new content goes to a temporary file in the target's own
directory (a rename cannot cross file systems), is flushed and fsynced, and only then renamed
over the target, which POSIX makes atomic.  On any failure the temporary file is removed and
the target is untouched.
"""

import contextlib
import errno
import json
import os
import stat
import tempfile
from pathlib import Path

# More links than this in a chain is a loop (the kernel's own limit is 40).
_MAX_LINKS = 40


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
    replaces ``path`` when the block ends without an exception, and is removed if not.

    What sits at ``path`` is kept: a symlink is written through (its target is replaced,
    atomically, and the link stays), and a path that exists but is not a regular file (a
    device, a FIFO, /dev/stdout) is opened and written directly, never replaced.  An OSError
    names ``path``, never the temporary file.
    """
    path = Path(path)
    target = _target(path)
    if target is None:  # not a regular file: write into it, as the shell's > does
        with _naming(path, target):
            # Appending: /dev/stdout redirected to a file keeps what was written before.
            with open(path, "ab") if binary else open(path, "a", encoding="utf-8") as f:
                yield f
        return
    tmp = None
    try:
        with _naming(path, target):
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                       dir=target.parent)
            with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8") as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            # mkstemp creates the file readable by its owner only; give it the mode a plain
            # open() would have, or keep the mode of the file it replaces.
            os.chmod(tmp, _mode_for(target))
            os.replace(tmp, target)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    _fsync_directory(target.parent)


def check_writable(path):
    """Raise OSError (with a reason, naming ``path``) unless `replacing` could later write
    ``path``: its directory (a symlink's: its target's) exists and takes new files, and
    ``path`` itself is not a directory.  Lets a long job fail at the start rather than lose
    its result at the end."""
    path = Path(path)
    if path.is_dir():
        raise _error(IsADirectoryError, errno.EISDIR, path, "is a directory")
    target = _target(path)
    if target is None:
        if not os.access(path, os.W_OK):
            raise _error(PermissionError, errno.EACCES, path, "permission denied")
        return
    with _naming(path, target):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.unlink(tmp)


def _target(path):
    """Where the new content of ``path`` goes: the file itself, or the end of its chain of
    symlinks (which may not exist yet); None if ``path`` must be written in place: it exists
    and is not a regular file, or its links pass through /proc or /dev/fd (/dev/stdout)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None  # absent, or a dangling link: the write creates the file
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        return None
    hop = Path(os.path.abspath(path))
    for _ in range(_MAX_LINKS):
        if hop.parts[1:2] == ("proc",) or hop.parts[1:3] == ("dev", "fd"):
            return None
        if not hop.is_symlink():
            break
        hop = Path(os.path.abspath(hop.parent / os.readlink(hop)))
    return Path(os.path.realpath(path)) if path.is_symlink() else path


@contextlib.contextmanager
def _naming(path, target):
    """Re-raise an OSError of the block as one that names ``path``, the user's, and says why
    in words (a missing directory, a file where a directory should be)."""
    try:
        yield
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ENOTDIR):
            reason = _missing_directory((target or path).parent)
        else:
            reason = e.strerror or str(e)
        if target is not None and target != path:
            reason += f" (writing through the symlink to {target})"
        raise _error(type(e), e.errno, path, reason) from e


def _missing_directory(directory):
    """Why ``directory`` cannot take a file: it, or the first ancestor that exists, is a
    file, or it does not exist."""
    for ancestor in (directory, *directory.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                return f"{ancestor} is a file, not a directory"
            break
    return f"directory {directory} does not exist"


def _error(cls, number, path, reason):
    """An OSError of class ``cls`` as open() would raise it for ``path`` (errno, strerror,
    filename), with the reason in words: "[Errno 2] directory d does not exist: 'd/x.json'"."""
    return cls(number, reason, str(path))


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
