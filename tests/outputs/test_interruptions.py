"""Nothing is lost and nothing half-written looks like a result: the real `amparo` command killed
(SIGKILL) or interrupted (Ctrl-C) at random points, then resumed."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASELINE = (ROOT / "scenarios" / "baseline_2008.toml").as_posix()
POINTS, REPLICATIONS = 8, 2


def amparo(*args: str) -> list[str]:
    """The installed `amparo` command next to this Python (or `python cli.py`) with `args`."""
    script = Path(sys.executable).with_name("amparo")
    return [str(script), *args] if script.exists() else [sys.executable, str(ROOT / "cli.py"), *args]


def write_sweep(folder: Path) -> Path:
    path = folder / "sweep.toml"
    path.write_text(f'''title = "killed sweep"
base = "{BASELINE}"
design = "latin_hypercube"
points = {POINTS}
replications = {REPLICATIONS}
seed = 11
years = 0.5
[levers]
child_protection_officers = {{ low = 10, high = 200 }}
alternative_care_places = [20, 60]
[uncertainties]
arrival_multiplier = {{ low = 0.2, high = 0.4 }}
[settings]
warmup_days = [20]
''', encoding="utf-8")
    return path


def finished_lines(runs: Path) -> int:
    return runs.read_bytes().count(b"\n") if runs.exists() else 0


def start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=ROOT)


def kill_after(process: subprocess.Popen, runs: Path, finished: int, extra_seconds: float,
               how: signal.Signals = signal.SIGKILL) -> tuple[int, str]:
    """Send `how` to the whole process group once `finished` runs are on disk plus `extra_seconds`
    (or when the process ends by itself); return its exit code and error output."""
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None and finished_lines(runs) < finished:
        time.sleep(0.01)
    time.sleep(extra_seconds)
    if process.poll() is None:
        os.killpg(process.pid, how)
    try:
        _, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # it hangs: fail, leaving no process behind
        os.killpg(process.pid, signal.SIGKILL)
        raise
    return process.returncode, stderr


def rows(path: Path) -> list[tuple[str, str]]:
    with open(path, newline="") as handle:
        return [(row["point"], row["replication"]) for row in csv.DictReader(handle)]


def looks_complete(folder: Path) -> bool:
    manifest = folder / "manifest.json"
    return manifest.exists() and json.loads(manifest.read_text()).get("complete") is True


@pytest.mark.slow
def test_a_sweep_killed_at_random_points_resumes_to_identical_tables(tmp_path):
    sweep = write_sweep(tmp_path)
    whole = tmp_path / "whole"
    done = subprocess.run(amparo("sweep", str(sweep), "--out", str(whole), "-w", "2"), capture_output=True,
                          text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    total = POINTS * REPLICATIONS
    assert sorted(rows(whole / "outcomes.csv")) == sorted({(str(p), str(r)) for p in range(POINTS)
                                                          for r in range(REPLICATIONS)})

    killed = tmp_path / "killed"
    runs = killed / "runs.jsonl"
    chance = random.Random(20260611)
    # the first launch is killed at a random moment of its start-up; each resume is killed a random
    # moment after a random number of runs, in the first, second and last third of the sweep, are done
    kill_points = [(0, chance.uniform(0.0, 1.5))]
    kill_points += [(chance.randrange(max(1, third * total // 3), (third + 1) * total // 3),
                     chance.uniform(0.0, 0.15)) for third in range(3)]
    history = []
    for attempt, (finished, extra) in enumerate(kill_points):
        resume = ["--resume"] if attempt else []
        command = amparo("sweep", str(sweep), "--out", str(killed), "-w", "2", *resume)
        code, stderr = kill_after(start(command), runs, finished, extra)
        assert "Traceback" not in stderr
        history.append((code, finished_lines(runs)))
        if code == 0:
            break
        assert code == -signal.SIGKILL
        assert not looks_complete(killed), "a killed sweep must not look complete"
    print(f"\n(exit code, runs on disk) after each kill: {history}")
    assert any(code == -signal.SIGKILL and 0 < lines < total for code, lines in history), history

    resumed = subprocess.run(amparo("sweep", str(sweep), "--out", str(killed), "--resume", "-w", "2"),
                             capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert resumed.returncode == 0, resumed.stderr
    assert looks_complete(killed)
    for name in ("experiments.csv", "outcomes.csv"):
        assert (killed / name).read_bytes() == (whole / name).read_bytes(), (name, history)
    keys = [(record["point"], record["replication"])
            for record in map(json.loads, runs.read_text().splitlines())]
    assert len(keys) == len(set(keys)) == total, "runs.jsonl has no duplicated and no missing run"
    assert len(rows(killed / "outcomes.csv")) == len(set(rows(killed / "outcomes.csv"))) == total


@pytest.mark.slow
def test_ctrl_c_stops_a_sweep_with_one_message_and_it_resumes(tmp_path):
    sweep = write_sweep(tmp_path)
    out = tmp_path / "interrupted"
    code, stderr = kill_after(start(amparo("sweep", str(sweep), "--out", str(out), "-w", "2")),
                              out / "runs.jsonl", 3, 0.0, signal.SIGINT)
    assert code == 130, stderr
    assert "Interrupted" in stderr and "--resume" in stderr and "Traceback" not in stderr
    assert 3 <= finished_lines(out / "runs.jsonl") < POINTS * REPLICATIONS
    assert not looks_complete(out)
    resumed = subprocess.run(amparo("sweep", str(sweep), "--out", str(out), "--resume", "-w", "1"),
                             capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert resumed.returncode == 0, resumed.stderr
    assert len(rows(out / "outcomes.csv")) == POINTS * REPLICATIONS


@pytest.mark.slow
def test_a_run_killed_at_random_moments_leaves_nothing_that_looks_like_a_result(tmp_path):
    chance = random.Random(7)
    for attempt in range(3):
        out = tmp_path / f"run{attempt}"
        process = start(amparo("run", BASELINE, "-r", "3", "--years", "0.03", "-w", "1", "--out", str(out)))
        time.sleep(chance.uniform(0.5, 6.0))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=120)
        if out.exists():  # only if the kill came after the folder was renamed into place
            assert looks_complete(out) and (out / "summary.csv").exists()
        assert not [p for p in tmp_path.iterdir() if not p.name.startswith(".")
                    and p.name.startswith(f"run{attempt}") and p != out]
    again = subprocess.run(amparo("run", BASELINE, "-r", "1", "--years", "0.01", "-w", "1", "--out",
                                  str(tmp_path / "run0"), "--overwrite"),
                           capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert again.returncode == 0, again.stderr
    assert looks_complete(tmp_path / "run0")


def test_a_damaged_line_of_finished_runs_is_run_again(tmp_path):
    from sim.experiments.sweep import load_sweep, run_sweep

    sweep = tmp_path / "small.toml"
    sweep.write_text(write_sweep(tmp_path).read_text().replace(f"points = {POINTS}", "points = 2"),
                     encoding="utf-8")
    spec = load_sweep(sweep)
    whole = run_sweep(spec, tmp_path)
    runs = tmp_path / "runs.jsonl"
    lines = runs.read_text().splitlines()
    runs.write_text("\n".join(['{"point": 0}', "[1, 2]", *lines[2:], lines[1][:40]]), encoding="utf-8")
    assert json.dumps(run_sweep(spec, tmp_path)) == json.dumps(whole)  # (NaN outcomes compare as text)
    keys = []
    for line in runs.read_text().splitlines():
        record = json.loads(line)
        if isinstance(record, dict) and "replication" in record:
            keys.append((record["point"], record["replication"]))
    assert sorted(keys) == [(p, r) for p in range(2) for r in range(REPLICATIONS)]
