"""Putting a finished folder in place in one step, never over a folder it was not asked to replace.

Linux's `renameat2` gives the two moves a result needs: *no-replace* (the name is taken only if
nobody holds it, checked and done as one step, so two runs finishing at once cannot replace each
other) and *exchange* (the old and the new folder swap names in one step, so a kill at any moment
leaves the old result or the new one under the name, never neither). Where the system lacks it
(another OS, or a file system that refuses the flags) the moves fall back to a check followed by a
rename, which has a short window in which those guarantees do not hold.
"""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2


def _renameat2():
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _renameat2()
#: errno values meaning "this system or file system cannot do it", so the fallback is used
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}


def _native(source: Path, target: Path, flags: int) -> bool:
    """Rename with `flags`; False if the system cannot (then nothing was done)."""
    if _RENAMEAT2 is None:
        return False
    result = _RENAMEAT2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(target))


def rename_no_replace(source: Path, target: Path) -> None:
    """Give `source` the name `target`, or raise FileExistsError if anything has that name."""
    if _native(source, target, _RENAME_NOREPLACE):
        return
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    os.rename(source, target)


def exchange(first: Path, second: Path) -> None:
    """Swap the names of two existing folders in one step (see the module's note on fallback)."""
    if _native(first, second, _RENAME_EXCHANGE):
        return
    spare = first.with_name(f"{first.name}.exchange")
    os.rename(second, spare)
    os.rename(first, second)
    os.rename(spare, first)


def first_free_name(target: Path) -> Path:
    """`target`, or `target-2`, `target-3`, ...: the first name nothing holds now."""
    if not os.path.lexists(target):
        return target
    number = 2
    while os.path.lexists(target.with_name(f"{target.name}-{number}")):
        number += 1
    return target.with_name(f"{target.name}-{number}")


__all__ = ["exchange", "first_free_name", "rename_no_replace"]
