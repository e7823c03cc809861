"""Amparo's command line entry point (`amparo`); the commands live in `sim.commands`.

Ctrl-C or SIGTERM while Python is still importing the commands, before anything is written, ends
the command at once with 130 or 143 (the handlers below, installed before any other import); once a
command runs, `sim.commands.signals` turns them into exceptions so that staging folders are removed.
"""

import os
import signal
import sys


def _stop_while_starting(number: int, _frame: object) -> None:
    os.write(2, b"\nInterrupted before starting: nothing was written.\n")
    os._exit(128 + number)


_stop_while_starting.only_while_starting = True  # sim.commands.signals does not restore it


if __name__ == "__main__" or os.path.basename(sys.argv[0]) in ("amparo", "cli.py"):
    signal.signal(signal.SIGINT, _stop_while_starting)
    signal.signal(signal.SIGTERM, _stop_while_starting)

from sim.commands import EXIT_INTERNAL_ERROR, EXIT_INTERRUPTED, main  # noqa: E402

__all__ = ["EXIT_INTERNAL_ERROR", "EXIT_INTERRUPTED", "main"]

if __name__ == "__main__":
    main()
