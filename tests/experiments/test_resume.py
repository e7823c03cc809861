"""`run`, `compare`, `size` and `sensitivity` killed (SIGKILL) in the middle, then resumed with
`--resume`: the result is identical, file for file, to that of a run never interrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli

ROOT = Path(__file__).resolve().parents[2]
BASELINE = str(ROOT / "scenarios" / "baseline_2008.toml")
DOUBLE = str(ROOT / "scenarios" / "double_officers.toml")
SHORT = ["--years", "0.05", "-w", "1"]

COMMANDS = {
    "run": ["run", BASELINE, "-r", "3", *SHORT],
    "compare": ["compare", BASELINE, DOUBLE, "-r", "3", *SHORT],
    "size": ["size", BASELINE, "--lever", "officers=0:60", "--standard", "officer_interview_within_two_days",
             "-r", "2", *SHORT],
    "sensitivity": ["sensitivity", "--trajectories", "2", "--base", BASELINE, *SHORT],
}


def amparo(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("amparo")
    return [str(script), *args] if script.exists() else [sys.executable, str(ROOT / "cli.py"), *args]


def finished(out: Path) -> int:
    """Replications or points journaled so far in the work folders of the result `out`."""
    count = 0
    for work in out.parent.glob(f".{out.name}.resume-*"):
        count += len(list((work / "replications").glob("*.npz")))
        runs = work / "runs.jsonl"
        count += runs.read_bytes().count(b"\n") if runs.exists() else 0
    return count


def invoke(*args: str):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def compared_files(folder: Path) -> dict[str, str]:
    return json.loads((folder / "manifest.json").read_text())["files"]


@pytest.mark.slow
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_killed_midway_resumes_to_an_identical_result(tmp_path, command):
    kill_and_resume(tmp_path, COMMANDS[command], command)


@pytest.mark.slow
def test_a_run_with_posterior_draws_killed_among_the_draws_resumes_to_an_identical_result(tmp_path):
    posterior = tmp_path / "posterior.csv"
    posterior.write_text("weight,mexican_departures_per_year\n1,50000\n2,70000\n1,90000\n", encoding="utf-8")
    arguments = ["run", BASELINE, "-r", "2", *SHORT, "--posterior", "3", "--posterior-file", str(posterior)]
    kill_and_resume(tmp_path, arguments, "run --posterior", after=3)  # the 2 point runs and one of a draw


def kill_and_resume(tmp_path: Path, arguments: list[str], command: str, after: int = 1) -> None:
    """Run `arguments` whole; run them again, kill them once `after` runs are saved, resume; compare."""
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert invoke(*arguments, "--out", str(whole)).exit_code == 0

    process = subprocess.Popen(amparo(*arguments, "--out", str(killed)), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True, cwd=ROOT)
    deadline = time.time() + 300
    while process.poll() is None and finished(killed) < after and time.time() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "the command ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    assert not killed.exists(), "a killed command leaves no result"
    saved = finished(killed)
    assert saved >= after

    resumed = invoke(*arguments, "--out", str(killed), "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "Resuming" in resumed.output
    assert compared_files(killed) == compared_files(whole), f"{command}: {saved} saved before the kill"
    for name in compared_files(whole):
        assert (killed / name).read_bytes() == (whole / name).read_bytes(), name
    assert not list(tmp_path.glob(".killed.resume-*")), "the work folder goes once the result is in place"


@pytest.mark.slow
def test_resume_refuses_another_request_another_kind_and_a_finished_result(tmp_path):
    out = tmp_path / "out"
    work = tmp_path / ".out.resume-999999999"  # a process that cannot exist
    work.mkdir()
    (work / "request.json").write_text(json.dumps({"kind": "run", "seed": 1}))
    other_seed = invoke("run", BASELINE, "-r", "2", "--seed", "5", *SHORT, "--out", str(out), "--resume")
    assert other_seed.exit_code == 1 and "started with other" in other_seed.output
    assert "seed" in other_seed.output and not out.exists()
    other_kind = invoke("compare", BASELINE, DOUBLE, "-r", "2", *SHORT, "--out", str(out), "--resume")
    assert other_kind.exit_code == 1 and "interrupted run, not a compare" in other_kind.output
    no_out = invoke("run", BASELINE, "-r", "2", *SHORT, "--resume")
    assert no_out.exit_code == 1 and "--resume: give the --out" in no_out.output
    work.rename(tmp_path / "kept")
    done = invoke("run", BASELINE, "-r", "1", "--years", "0.01", "-w", "1", "--out", str(out))
    assert done.exit_code == 0
    again = invoke("run", BASELINE, "-r", "1", "--years", "0.01", "-w", "1", "--out", str(out), "--resume")
    assert again.exit_code == 1 and "a result already exists here" in again.output
