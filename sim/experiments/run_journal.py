"""The journal of finished runs (`runs.jsonl`) that sweeps and calibrations keep.

One JSON line per finished run, written, flushed and synced as the run arrives, so a run that
finished is never lost and an interrupted sweep or calibration resumes where it stopped: a line cut
short by a kill, or damaged, is ignored when read (its run is done again) and dropped before new
lines are appended.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path


def read_journal(path: Path, key: Callable[[dict], Hashable]) -> dict[Hashable, dict]:
    """The runs already in the journal at `path`, by `key(record)` (empty if there is no journal)."""
    finished = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                finished[key(record)] = record
            except (ValueError, TypeError, KeyError):  # not a whole record: that run is done again
                continue
    return finished


@contextlib.contextmanager
def open_journal(path: Path) -> Iterator[Callable[[dict], None]]:
    """A function that appends one record to the journal at `path` and makes it durable at once."""
    if path.exists():
        content = path.read_bytes()
        if content and not content.endswith(b"\n"):  # a line cut short by a kill
            path.write_bytes(content[: content.rfind(b"\n") + 1])
    with open(path, "a", encoding="utf-8") as handle:
        def append(record: dict) -> None:
            handle.write(json.dumps(record, allow_nan=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

        yield append
