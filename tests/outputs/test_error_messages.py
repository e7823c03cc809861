"""Every user mistake through the real `amparo` command: one clear message naming the file, the key
and what is allowed, a non-zero exit code, no traceback, and no output folder.

`docs/reliability.md` lists these cases with the message each gives (run with `-s` to print them).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASELINE = (ROOT / "scenarios" / "baseline_2008.toml").as_posix()
HEADER = 'title = "Bad"\ndescription = "A scenario with a mistake."\n'
QUICK = ["-r", "1", "--years", "0.01", "-w", "1"]
SWEEP = f'base = "{BASELINE}"\npoints = 2\nyears = 0.01\n'


def amparo(*args: str, python_first: str = "") -> list[str]:
    """The real command: the installed `amparo` script, or `python -c` running `cli.main` after
    `python_first` (to simulate a full disk)."""
    script = Path(sys.executable).with_name("amparo")
    if script.exists() and not python_first:
        return [str(script), *args]
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{python_first}\nimport cli\ncli.main()"
    return [sys.executable, "-c", code, *args]


def run(command: list[str], folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=folder)


# (case, files to write, arguments after `amparo`, the words the message must contain)
CASES = [
    ("missing scenario file", {}, ["run", "nowhere.toml"], ["nowhere.toml", "no such scenario file"]),
    ("TOML syntax error", {"bad.toml": HEADER + "[levers\nshelters = 3\n"}, ["run", "bad.toml"],
     ["bad.toml", "is not valid TOML", "line 3"]),
    ("unknown parameter", {"bad.toml": HEADER + "[levers]\nshelterz = 3\n"}, ["run", "bad.toml"],
     ["bad.toml", "levers.shelterz", "did you mean 'shelters'?"]),
    ("unknown top-level key", {"bad.toml": HEADER + "colour = 'red'\n"}, ["run", "bad.toml"],
     ["bad.toml", "colour", "a scenario has title, description, extends"]),
    ("parameter in the wrong section", {"bad.toml": HEADER + "[levers]\narrival_multiplier = 2\n"},
     ["run", "bad.toml"], ["bad.toml", "levers.arrival_multiplier", "put it under [uncertainties]"]),
    ("wrong type", {"bad.toml": HEADER + '[levers]\nshelters = "27"\n'}, ["run", "bad.toml"],
     ["bad.toml", "levers.shelters", "a whole number from 0 to 10000", "got '27'"]),
    ("missing title", {"bad.toml": 'description = "d"\n'}, ["run", "bad.toml"],
     ["bad.toml", "title", "non-empty text"]),
    ("out-of-range value", {"bad.toml": HEADER + "[uncertainties]\narrival_multiplier = 50\n"},
     ["run", "bad.toml"], ["bad.toml", "uncertainties.arrival_multiplier", "from 0 to 20", "got 50"]),
    ("probability above 1", {"bad.toml": HEADER + "[uncertainties]\ndetection_with_officer = 1.2\n"},
     ["run", "bad.toml"], ["bad.toml", "uncertainties.detection_with_officer", "from 0 to 1 (probability)"]),
    ("NaN", {"bad.toml": HEADER + "[uncertainties]\nshare_unaccompanied_north = nan\n"}, ["run", "bad.toml"],
     ["bad.toml", "uncertainties.share_unaccompanied_north", "from 0 to 1", "got NaN"]),
    ("negative capacity", {"bad.toml": HEADER + "[levers]\nmigration_station_places = -10\n"},
     ["run", "bad.toml"],
     ["bad.toml", "levers.migration_station_places", "from 0 to 100000 (places for children)"]),
    ("huge number", {"bad.toml": HEADER + "[levers]\nshelters = 1" + "0" * 30 + "\n"}, ["run", "bad.toml"],
     ["bad.toml", "levers.shelters", "from 0 to 10000"]),
    ("more officers at one border than in total",
     {"bad.toml": HEADER + "[uncertainties]\nshare_officers_north = 1.5\n"}, ["run", "bad.toml"],
     ["bad.toml", "uncertainties.share_officers_north", "from 0 to 1"]),
    ("shares adding up to more than 1",
     {"bad.toml": HEADER + "[uncertainties]\nshare_guatemala = 0.6\nshare_honduras = 0.5\n"},
     ["run", "bad.toml"], ["bad.toml", "share_el_salvador", "must not exceed 1"]),
    ("unknown extends base", {"bad.toml": HEADER + 'extends = "gone.toml"\n'}, ["run", "bad.toml"],
     ["bad.toml", "extends", "gone.toml does not exist"]),
    ("cycle in extends",
     {"a.toml": HEADER + 'extends = "b.toml"\n', "b.toml": HEADER + 'extends = "a.toml"\n'},
     ["run", "a.toml"], ["b.toml", "extends", "loops: a.toml -> b.toml -> a.toml"]),
    ("output folder under a file", {"blocker": ""}, ["run", BASELINE, "--out", "blocker/out"],
     ["blocker", "is a file, not a folder", "choose another --out"]),
    ("existing result without --overwrite", {"existing/keep.txt": "an earlier result"},
     ["run", BASELINE, "--out", "existing"], ["existing", "already exists", "--overwrite"]),
    ("compare: two files with one name", {"a/s.toml": HEADER, "b/s.toml": HEADER},
     ["compare", "a/s.toml", "b/s.toml"], ["a/s.toml and b/s.toml", "same name 's'", "rename one"]),
    ("sweep: unknown key", {"sweep.toml": SWEEP + "pionts = 3\n[levers]\nshelters = [1, 2]\n"},
     ["sweep", "sweep.toml"], ["sweep.toml", "pionts", "did you mean 'points'?"]),
    ("sweep: a range on a grid", {"sweep.toml": SWEEP + 'design = "grid"\n[levers]\nshelters = {low = 1, '
                                                        "high = 5}\n"},
     ["sweep", "sweep.toml"], ["sweep.toml", "levers.shelters", "a grid needs a list of values"]),
    ("sweep: impossible combination",
     {"sweep.toml": SWEEP + "[uncertainties]\nshare_guatemala = {low = 0.3, high = 0.7}\n"
                            "share_honduras = [0.5]\n"},
     ["sweep", "sweep.toml"], ["sweep.toml", "uncertainties.share_guatemala", "must not exceed 1", "narrow"]),
    ("sweep: too many runs", {"sweep.toml": SWEEP.replace("points = 2", "points = 1000")
                              + "replications = 100000\n[levers]\nshelters = [1, 2]\n"},
     ["sweep", "sweep.toml"], ["sweep.toml", "replications", "at most 1,000,000"]),
    ("sweep: missing base", {"sweep.toml": 'base = "gone.toml"\n[levers]\nshelters = [1]\n'},
     ["sweep", "sweep.toml"], ["sweep.toml", "base", "gone.toml does not exist"]),
    ("sweep: an error in its base", {"sweep.toml": 'base = "bad.toml"\n[levers]\nshelters = [1]\n',
                                     "bad.toml": HEADER + "[levers]\nshelterz = 3\n"},
     ["sweep", "sweep.toml"], ["bad.toml", "levers.shelterz", "did you mean 'shelters'?"]),
    ("rerun: not a result folder", {"empty/notes.txt": ""}, ["rerun", "empty"],
     ["empty", "not a result folder (no manifest.json)"]),
    ("rerun: an incomplete result", {"half/manifest.json": json.dumps({"kind": "run", "complete": False})},
     ["rerun", "half"], ["manifest.json", "the result is incomplete"]),
    ("rerun: a result of no known kind",
     {"odd/manifest.json": json.dumps({"kind": "notes", "complete": True})}, ["rerun", "odd"],
     ["odd", "rerun reproduces run, compare, sweep, sizing", "'notes'"]),
    ("rerun: a manifest that lacks what it needs", {"bare/manifest.json": json.dumps({"kind": "sweep",
                                                                                     "complete": True})},
     ["rerun", "bare"], ["bare/manifest.json", "cannot be run again", "sweep_file"]),
]


@pytest.mark.slow
@pytest.mark.parametrize(("case", "files", "arguments", "words"), CASES, ids=[case[0] for case in CASES])
def test_each_mistake_is_one_clear_message_without_a_traceback(tmp_path, case, files, arguments, words):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    extra = {"run": QUICK, "compare": ["-r", "2", "--years", "0.01"]}.get(arguments[0], [])
    done = run(amparo(*arguments, *extra), tmp_path)
    print(f"\n{case}: exit {done.returncode}: {done.stderr.strip()}")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("Error: ")
    for word in words:
        assert word in done.stderr, word
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before, "nothing was written"


def test_a_bad_option_is_a_usage_error(tmp_path):
    done = run(amparo("run", BASELINE, "--years", "0"), tmp_path)
    print(f"\nbad option: exit {done.returncode}: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "Invalid value for '--years'" in done.stderr


FULL_AFTER = """
import errno, os
def full_disk(real, after):
    calls = [0]
    def write(*args, **kwargs):
        calls[0] += 1
        if calls[0] > after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args, **kwargs)
    return write
"""


@pytest.mark.slow
def test_a_full_disk_during_a_run_is_one_message_and_leaves_nothing(tmp_path):
    disk_full = FULL_AFTER + "import sim.results.table_files as r; r.write_csv = full_disk(r.write_csv, 2)"
    done = run(amparo("run", BASELINE, *QUICK, "--out", "result", python_first=disk_full), tmp_path)
    print(f"\nfull disk during a run: exit {done.returncode}: {done.stderr.strip()}")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert "No space left on device" in done.stderr and "nothing was left behind" in done.stderr
    assert list(tmp_path.iterdir()) == [], "no result and no half-written folder"


@pytest.mark.slow
def test_a_full_disk_during_a_sweep_keeps_finished_runs_and_resumes_with_the_same_file_only(tmp_path):
    sweep = tmp_path / "sweep.toml"
    text = (SWEEP.replace("points = 2", "points = 4")
            + "[levers]\nshelters = [1, 5]\n[settings]\nwarmup_days = [5]\n")
    sweep.write_text(text, encoding="utf-8")
    disk_full = FULL_AFTER + "os.fsync = full_disk(os.fsync, 3)"  # sweep.json, two runs, then full
    done = run(amparo("sweep", "sweep.toml", "--out", "out", "-w", "1", python_first=disk_full), tmp_path)
    print(f"\nfull disk during a sweep: exit {done.returncode}: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "No space left on device" in done.stderr and "--resume" in done.stderr
    assert 2 <= (tmp_path / "out" / "runs.jsonl").read_text().count("\n") < 4
    assert not (tmp_path / "out" / "outcomes.csv").exists()

    again = run(amparo("sweep", "sweep.toml", "--out", "out"), tmp_path)
    assert again.returncode == 1 and "add --resume" in again.stderr
    sweep.write_text(text.replace("[1, 5]", "[1, 6]"), encoding="utf-8")
    changed = run(amparo("sweep", "sweep.toml", "--out", "out", "--resume"), tmp_path)
    print(f"\nresume with another sweep file: exit {changed.returncode}: {changed.stderr.strip()}")
    assert changed.returncode == 1 and "different sweep file" in changed.stderr
    assert "Traceback" not in changed.stderr

    sweep.write_text(text, encoding="utf-8")
    resumed = run(amparo("sweep", "sweep.toml", "--out", "out", "--resume", "-w", "1"), tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    with open(tmp_path / "out" / "outcomes.csv", newline="") as handle:
        keys = [(row["point"], row["replication"]) for row in csv.DictReader(handle)]
    assert sorted(keys) == [(str(point), "0") for point in range(4)]
