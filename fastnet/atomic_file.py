"""Writing a file so that it holds either all of the old content or all of the new.

A crash, a full disk or a Ctrl-C in the middle of a save must never leave a half-written file
where a good one stood.  So the new content goes to a temporary file in the target's own
directory (a rename cannot cross file systems), is flushed and fsynced, and only then renamed
over the target, which POSIX makes atomic.  On any failure the temporary file is removed and
the target is untouched.

A process killed outright (kill -9, a power cut) cannot remove its temporary file: the next
write of the same file removes it, once it is surely stale (older than STALE_SECONDS and
locked by no one: a writer holds a lock on its temporary file from its creation to its
rename).  A FIFO or a pipe is written into, as the shell's > does, but never waits for a
reader longer than the caller allows.
"""

import contextlib
import errno
import fcntl
import io
import json
import os
import re
import select
import stat
import tempfile
import time
from pathlib import Path

# More links than this in a chain is a loop (the kernel's own limit is 40).
_MAX_LINKS = 40
# The temporary file of ``NAME`` is ``.NAME.XXXXXXXX.tmp`` (XXXXXXXX: tempfile's eight random
# characters): 14 bytes more than the name, cut from the name's end when the whole would be
# longer than the file system allows.
_RANDOM = rb"[a-z0-9_]{8}"
_SUFFIX = ".tmp"
_ADDED = len(b"..") + 8 + len(_SUFFIX)
# A temporary file of ours this old, which no process holds locked, was left by a writer that
# died: nothing else could still rename it.  (The age keeps one that a writer has just
# created, and not yet locked, from being taken for one.)
STALE_SECONDS = 60
# How long a write into a FIFO (or a pipe) may wait, by default, for a reader to open it and
# take the data.
FIFO_SECONDS = 10.0
_FIFO_POLL_SECONDS = 0.02


def write_json(path, obj, indent=None, fifo_seconds=FIFO_SECONDS):
    """Write ``obj`` to ``path`` as JSON and a newline, atomically; ``indent`` as json.dump's
    (None: all on one line); ``fifo_seconds`` as `replacing`'s.

    Non-finite floats are refused (ValueError), as JSON has no spelling for them.  Raises
    OSError when the directory is not writable or the disk is full; either way an existing file
    at ``path`` keeps its old content and no temporary file is left behind.
    """
    with replacing(path, fifo_seconds=fifo_seconds) as f:
        json.dump(obj, f, allow_nan=False, indent=indent)
        f.write("\n")


def write_text(path, text, fifo_seconds=FIFO_SECONDS):
    """Write the string ``text`` to ``path`` (UTF-8), atomically, as `write_json` does."""
    with replacing(path, fifo_seconds=fifo_seconds) as f:
        f.write(text)


@contextlib.contextmanager
def replacing(path, binary=False, fifo_seconds=FIFO_SECONDS):
    """A new file (text in UTF-8, or ``binary``) to write ``path``'s new content into; it
    replaces ``path`` when the block ends without an exception, and is removed if not.

    What sits at ``path`` is kept: a symlink is written through (its target is replaced,
    atomically, and the link stays), and a path that exists but is not a regular file (a
    device, a FIFO, /dev/stdout) is opened and written directly, never replaced.  A FIFO or a
    pipe gets the whole content once the block ends, if a reader opens it and takes it within
    ``fifo_seconds``; if not, TimeoutError (an OSError).  An OSError names ``path``, never the
    temporary file.
    """
    path = Path(path)
    target = _target(path)
    if target is None:  # not a regular file: write into it, as the shell's > does
        with _naming(path, target):
            if _is_fifo(path):
                buffer = io.BytesIO() if binary else io.StringIO()
                yield buffer
                content = buffer.getvalue()
                _deliver(path, content if binary else content.encode("utf-8"), fifo_seconds)
                return
            # Appending: /dev/stdout redirected to a file keeps what was written before.
            with open(path, "ab") if binary else open(path, "a", encoding="utf-8") as f:
                yield f
        return
    tmp = None
    try:
        with _naming(path, target):
            prefix = _temporary_prefix(target)
            _remove_stale(target.parent, prefix)
            fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=_SUFFIX, dir=target.parent)
            with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8") as f:
                # Held until the rename: a file of ours that no one holds is a dead writer's.
                _lock(f.fileno())
                yield f
                f.flush()
                os.fsync(f.fileno())
                # mkstemp creates the file readable by its owner only; give it the mode a
                # plain open() would have, or keep the mode of the file it replaces.
                os.fchmod(f.fileno(), _mode_for(target))
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
        fd, tmp = tempfile.mkstemp(prefix=_temporary_prefix(target), suffix=_SUFFIX,
                                   dir=target.parent)
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


def _temporary_prefix(target):
    """``.NAME.``, the start of the temporary file's name for ``target``, NAME cut (by bytes)
    so that the whole name fits the file system's limit: a legal name of 242 to 255 bytes
    must be writable too."""
    name = os.fsencode(target.name)
    try:
        limit = os.pathconf(target.parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    return os.fsdecode(b"." + name[:max(1, limit - _ADDED)] + b".")


def _remove_stale(directory, prefix):
    """Remove the temporary files named ``prefix`` + random + .tmp in ``directory`` that a
    writer killed outright left: older than STALE_SECONDS, and locked by no one.  Anything
    that goes wrong leaves the file where it is."""
    pattern = re.compile(re.escape(os.fsencode(prefix)) + _RANDOM + re.escape(_SUFFIX.encode())
                         + rb"\Z")
    try:
        entries = list(os.scandir(os.fsencode(directory)))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        if not pattern.match(entry.name):
            continue
        with contextlib.suppress(OSError):
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < STALE_SECONDS:
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: held
                if os.stat(entry.path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                    os.unlink(entry.path)
            finally:
                os.close(fd)


def _lock(fd):
    """Lock the temporary file ``fd`` for the length of the write (`_remove_stale` leaves a
    locked one alone); a file system without locks gets none."""
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _is_fifo(path):
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        return False


def _deliver(path, data, seconds):
    """Write ``data`` into the FIFO (or pipe) ``path`` if a reader opens it and takes it all
    within ``seconds``; TimeoutError if not.  Never blocks longer: the FIFO is opened and
    written without blocking, and waited on in short steps, so that a signal handler that
    asks the program to stop runs soon and one that raises ends the wait."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as e:
            if e.errno != errno.ENXIO:  # ENXIO: no reader has it open
                raise
        if time.monotonic() >= deadline:
            raise TimeoutError(errno.ETIMEDOUT, f"no reader opened it within {seconds:g} s",
                               str(path))
        time.sleep(_FIFO_POLL_SECONDS)
    try:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(fd, view):]
                continue
            except BlockingIOError:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(errno.ETIMEDOUT, f"the reader took {len(data) - len(view)} "
                                   f"of {len(data)} bytes within {seconds:g} s", str(path))
            select.select([], [fd], [], min(left, _FIFO_POLL_SECONDS * 10))
    finally:
        os.close(fd)


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
