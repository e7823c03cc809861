"""Where a command that writes its result at the end (run, compare, size, sensitivity) keeps what it
has finished, so that after a kill `--resume` with the same `--out` continues instead of starting over.

The work folder of a result `NAME` is the hidden `.NAME.resume-PID` beside it (PID: the process
writing it). It holds `request.json`, what the command was asked (written first), and the journal
of finished replications or points. `--resume` takes over the work folder of a process that no
longer exists, after checking that it was started by the same kind of command with the same
request; it never touches the work folder of a live process. Once the result is in place, every
work folder of `NAME` is removed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from sim.results.run_folder import OutputError, process_exists, result_kind, write_json

REQUEST_FILE = "request.json"


class ResumeError(OutputError):
    """`--resume` cannot continue here: another kind of result, another request, or a live process."""


def _pattern(target: Path) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(target.name)}\.resume-(\d+)$")


def work_folders(target: Path) -> list[tuple[Path, int]]:
    """The work folders of `target` now on disk, with the process each belongs to."""
    target = Path(target)
    pattern = _pattern(target)
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return []
    found = []
    for entry in entries:
        match = pattern.match(entry.name)
        if match is not None and entry.is_dir(follow_symlinks=False):
            found.append((Path(entry.path), int(match.group(1))))
    return sorted(found)


def _as_stored(request: dict[str, Any]) -> Any:
    return json.loads(json.dumps(request, default=str))


def _differences(saved: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    keys = sorted(set(saved) | set(wanted))
    return [key for key in keys if saved.get(key) != wanted.get(key)]


def open_work_folder(target: Path, kind: str, request: dict[str, Any], resume: bool,
                     replacing: bool = False) -> tuple[Path, bool]:
    """The work folder this process keeps for the result `target`, and whether it continues one.

    Without `resume`, a new, empty one. With `resume`, the work folder left by a process that no
    longer exists, once its request is checked to be `request` for the same `kind` (ResumeError
    naming what differs otherwise); a new one if there is none. A finished result at `target` is not
    resumed (ResumeError) unless `replacing` it (--overwrite) was asked.
    """
    target = Path(target)
    mine = target.with_name(f".{target.name}.resume-{os.getpid()}")
    wanted = {"kind": kind, **_as_stored(request)}
    if resume:
        found = result_kind(target)
        if found is not None and not replacing:
            raise ResumeError(f"{target}: is a finished {found} result, so there is nothing to resume; "
                              "choose another --out, or add --overwrite (without --resume) to replace it")
        for folder, pid in work_folders(target):
            if pid == os.getpid() or process_exists(pid):
                raise ResumeError(f"{target}: another Amparo process (pid {pid}) is writing this result "
                                  "now; wait for it, or choose another --out")
            saved = _read_request(folder)
            if saved.get("kind") != kind:
                what = f"an interrupted {saved['kind']}" if saved.get("kind") else "an unreadable request"
                raise ResumeError(f"{target}: the work saved for it ({folder.name}) is {what}, not a "
                                  f"{kind}, so --resume will not continue it; choose another --out")
            differing = _differences(saved, wanted)
            if differing:
                raise ResumeError(f"{target}: the {kind} saved for it was started with other "
                                  f"{', '.join(differing)}; resume it with the same scenario and options, "
                                  "or choose another --out")
            os.rename(folder, mine)  # taken over: no other resume can take it now
            return mine, True
    mine.mkdir(parents=True, exist_ok=False)
    write_json(mine / REQUEST_FILE, wanted)
    return mine, False


def _read_request(folder: Path) -> dict[str, Any]:
    try:
        content = json.loads((folder / REQUEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}


def remove_work_folders(target: Path) -> None:
    """Remove this process's work folder of `target` and those of processes that no longer exist
    (the result is in place, so none can be resumed any more)."""
    for folder, pid in work_folders(target):
        if pid == os.getpid() or not process_exists(pid):
            shutil.rmtree(folder, ignore_errors=True)
