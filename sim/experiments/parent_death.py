"""Child processes that end when the process that started them ends, even by SIGKILL, so that no
worker lives on holding memory after its command was killed (issue 18: one held 6.6 GB for 45 min).

Linux is asked to signal the child when its parent ends (`prctl(PR_SET_PDEATHSIG)`); a thread that
watches the parent's process id covers other systems and the moment before that request.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
#: How often the watching thread checks that the parent still lives, in seconds.
WATCH_INTERVAL = 0.5


def ask_for_signal_at_parent_death(number: int = signal.SIGKILL) -> bool:
    """Ask Linux to send `number` to this process when its parent ends; False where it cannot.
    Safe to call between fork and exec (it only makes one system call)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, number, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def end_with_parent() -> None:
    """Make this process end when its parent ends: the Linux request, and a watching thread."""
    parent = os.getppid()
    ask_for_signal_at_parent_death()
    if parent == 1:  # the parent ended before we could ask
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(WATCH_INTERVAL)
        if os.getppid() != parent:  # the parent ended and this process was handed to another
            os._exit(1)
