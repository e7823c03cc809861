"""Reading an input file safely: only a regular file, of a bounded size, never blocking.

Every file Amparo reads from a user (scenarios, sweeps, standards, manifests, charts for a brief)
goes through `read_regular_file`. It refuses, with a reason in words, what would otherwise raise
or hang: a path with a NUL or a name longer than the system allows (checked before any system
call), a missing file, a symbolic link loop, a directory, a FIFO (opened without blocking, so a
FIFO nobody writes to never hangs), a device such as /dev/zero, and a file larger than the limit
(read with a bounded read, so a 4 GB file or /dev/urandom is never read whole).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

#: Longest file name (one path component) and whole path, in bytes, Linux and macOS allow.
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 4095

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class UnreadableFile(Exception):
    """A file that is not read; `reason` says why in words, without the path."""

    def __init__(self, reason: str, missing: bool = False) -> None:
        self.reason, self.missing = reason, missing
        super().__init__(reason)


@dataclass(frozen=True)
class FileBytes:
    """A file's bytes and its identity (device, inode), the same however the path was spelled."""

    data: bytes
    identity: tuple[int, int]


def path_problem(path: Path | str) -> str | None:
    """Why `path` cannot name a file on this system (a NUL, a name or path too long), or None."""
    text = os.fspath(path)
    if "\0" in text:
        return "the path holds a NUL character, which no file name can contain"
    try:
        encoded = os.fsencode(text)
    except UnicodeError:
        return "the path cannot be written in the file system's encoding"
    if len(encoded) > MAX_PATH_BYTES:
        return f"the path is {len(encoded):,} bytes long; the system allows at most {MAX_PATH_BYTES:,}"
    for part in encoded.split(b"/"):
        if len(part) > MAX_NAME_BYTES:
            return (f"a name in the path is {len(part):,} bytes long; the system allows at most "
                    f"{MAX_NAME_BYTES} per name")
    return None


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_regular_file(path: Path | str, max_bytes: int, follow_symlinks: bool = True) -> FileBytes:
    """The bytes of the regular file at `path`, at most `max_bytes` of them; `UnreadableFile` if the
    path is impossible, the file is missing or special, or it is larger than `max_bytes`.
    `follow_symlinks=False` also refuses a symbolic link (for files that must stay inside a folder)."""
    problem = path_problem(path)
    if problem:
        raise UnreadableFile(problem)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_symlinks else os.O_NOFOLLOW)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise UnreadableFile("no such file", missing=True) from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            reason = ("is a symbolic link, and only regular files are read here" if not follow_symlinks
                      else "is a loop of symbolic links that never reaches a file")
        elif error.errno == errno.ENOTDIR:
            reason = "a part of the path is a file, not a folder"
        else:
            reason = f"cannot be opened ({error.strerror})"
        raise UnreadableFile(reason) from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise UnreadableFile(f"is {_kind(status.st_mode)}, not a regular file")
        if status.st_size > max_bytes:
            raise UnreadableFile(f"is {status.st_size:,} bytes; at most {max_bytes:,} are allowed")
        chunks, size = [], 0
        while size <= max_bytes:  # bounded: the file may have grown since fstat
            chunk = os.read(descriptor, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise UnreadableFile(f"cannot be read ({error.strerror})") from None
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise UnreadableFile(f"is more than {max_bytes:,} bytes; at most {max_bytes:,} are allowed")
    return FileBytes(data, (status.st_dev, status.st_ino))


def read_text_file(path: Path | str, max_bytes: int) -> tuple[str, tuple[int, int]]:
    """The text of a regular UTF-8 file without NUL characters, and its identity; `UnreadableFile`
    otherwise (the reason gives the line of the first bad byte)."""
    read = read_regular_file(path, max_bytes)
    try:
        text = read.data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = read.data.count(b"\n", 0, error.start) + 1
        raise UnreadableFile(f"is not UTF-8 text (a byte that UTF-8 does not allow on line {line}); save "
                             "it as UTF-8 text") from None
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise UnreadableFile(f"holds a NUL character on line {line}; a text file has none") from None
    return text, read.identity
