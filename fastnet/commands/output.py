"""What the commands print, kept from breaking the work: standard output that fails (a closed
pipe, `| head -1`, a full disk, a closed descriptor) ends the printing, not the command; file
names that the output's encoding cannot spell are written anyway; and messages stay on one
line whatever the file names in them hold.

Imports nothing heavy: `fastnet.cli` sets it up before numpy and numba load.
"""

import codecs
import contextlib
import io
import os
import sys
import unicodedata

from .status import EXIT_FAILURE, EXIT_OK

# The error handler standard output encodes with: see `_spell_unencodable`.
ENCODING_ERRORS = "fastnet.filenames"


def one_line(text):
    """``text`` with every control character written as its escape (a newline as ``\\n``, an
    escape character as ``\\x1b``): a file name holding one must not split a one-line message,
    nor send the terminal commands."""
    return "".join(repr(ch)[1:-1] if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                   for ch in str(text))


class GuardedStream:
    """A text stream whose writes cannot raise: the first OSError (EPIPE, ENOSPC, EIO, ...)
    is kept in ``failure`` and everything written after it is dropped.  The descriptor is
    then pointed at /dev/null, so that what the stream's buffer still holds, the
    interpreter's flush at exit and any child process write there without error."""

    def __init__(self, stream, failure=None):
        self._stream = stream
        self.failure = failure

    def write(self, text):
        if self.failure is None:
            try:
                return self._stream.write(text)
            except OSError as e:
                self._fail(e)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if self.failure is None:
            try:
                self._stream.flush()
            except OSError as e:
                self._fail(e)

    def __getattr__(self, name):
        return getattr(self._stream, name)

    def _fail(self, error):
        self.failure = error
        try:
            fd = self._stream.fileno()
        except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation included
            return
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()  # the rest of the buffer, into /dev/null


class Printing:
    """The guarded standard output and error of one command (`guarded_output`)."""

    def __init__(self, stdout, stderr):
        self.stdout, self.stderr = stdout, stderr

    def status_after(self, status, prog):
        """The command's exit ``status``, once printing may have failed: the work went on,
        but what was printed from then on is lost, which one line on stderr says; a command
        that would have succeeded then exits with 1, a failure after the work began."""
        failure = self.stdout.failure
        if failure is None:
            return status
        why = (failure.strerror or str(failure)) if isinstance(failure, OSError) else failure
        self.stderr.write(f"{prog}: error: standard output failed ({why}): the output from "
                          f"then on was not printed, but the work went on\n")
        self.stderr.flush()
        return EXIT_FAILURE if status == EXIT_OK else status


@contextlib.contextmanager
def guarded_output():
    """For the length of the block, sys.stdout and sys.stderr are `GuardedStream`s, and
    standard output spells the file names it cannot encode (`_spell_unencodable`); yields
    the `Printing`.  A descriptor 0, 1 or 2 that is closed (``>&-``) is first opened on
    /dev/null, so that no file the command opens takes its number (and a stray write to
    standard output its content); a closed standard output counts as failed from the
    start."""
    closed = _reopen_closed_descriptors()
    saved = sys.stdout, sys.stderr
    spares = []
    streams = []
    for fd, stream in ((1, sys.stdout), (2, sys.stderr)):
        failure = None
        if stream is None or fd in closed:
            failure = "it is closed"
            stream = open(os.devnull, "w", encoding="utf-8")
            spares.append(stream)
        streams.append(GuardedStream(stream, failure))
    restore_errors = _spell_unencodable(streams[0]._stream)
    sys.stdout, sys.stderr = streams
    try:
        yield Printing(*streams)
    finally:
        for stream in streams:
            stream.flush()
        sys.stdout, sys.stderr = saved
        restore_errors()
        for spare in spares:
            spare.close()


def _reopen_closed_descriptors():
    """Open /dev/null on each of 0, 1 and 2 that is closed; returns their numbers."""
    closed = []
    for fd, flags in ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
        except OSError:
            closed.append(fd)
            devnull = os.open(os.devnull, flags)
            if devnull != fd:
                os.dup2(devnull, fd)
                os.close(devnull)
    return closed


def _spell_unencodable(stream):
    """Make ``stream`` (a text stream with strict encoding errors, as a UTF-8 stdout is) write
    what it cannot encode instead of raising UnicodeEncodeError: a file name that is not valid
    UTF-8, which Python holds with surrogate escapes, as its own bytes (as `ls` writes it to a
    pipe); any other character as a backslash escape.  Returns what undoes it."""
    if getattr(stream, "errors", None) != "strict" or not hasattr(stream, "reconfigure"):
        return lambda: None
    try:
        stream.reconfigure(errors=ENCODING_ERRORS)
    except (ValueError, OSError, io.UnsupportedOperation):
        return lambda: None
    return lambda: stream.reconfigure(errors="strict")


def _unencodable(error):
    if not isinstance(error, UnicodeEncodeError):
        raise error
    spelled = bytearray()
    for ch in error.object[error.start:error.end]:
        if 0xDC80 <= ord(ch) <= 0xDCFF:  # a byte that was not UTF-8, escaped by os.fsdecode
            spelled.append(ord(ch) - 0xDC00)
        else:
            spelled += ch.encode("ascii", "backslashreplace")
    return bytes(spelled), error.end


codecs.register_error(ENCODING_ERRORS, _unencodable)
