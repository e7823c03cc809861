"""Nothing lives on after a command is killed: its worker processes end with it (even on SIGKILL), and
the staging folder it leaves is removed by the next command that writes beside it."""

from __future__ import annotations

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
SHORT = ROOT / "tests" / "data" / "short_warmup.toml"

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")


def amparo(*args: object) -> list[str]:
    script = Path(sys.executable).with_name("amparo")
    command = [str(script)] if script.exists() else [sys.executable, str(ROOT / "cli.py")]
    return [*command, *map(str, args)]


def status(pid: int) -> tuple[int, str] | None:
    """(parent pid, state letter) of a process, or None if it is gone."""
    try:
        after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(after_name[1]), after_name[0]


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (seen := status(int(entry))) is not None and seen[0] == pid:
            found.append(int(entry))
    return found


def running(pid: int) -> bool:
    seen = status(pid)
    return seen is not None and seen[1] != "Z"  # a zombie has ended; only its exit status is left


def wait_for(condition, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.slow
def test_workers_end_within_seconds_when_the_main_process_is_killed(tmp_path):
    process = subprocess.Popen(amparo("run", SHORT, "--years", "2", "-r", "4", "-w", "2", "--out",
                                      tmp_path / "out"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    workers: list[int] = []
    try:
        assert wait_for(lambda: len(children(process.pid)) >= 2, 120), "the two workers never started"
        time.sleep(1.0)  # the workers are busy with their runs
        workers = children(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        assert wait_for(lambda: not any(running(pid) for pid in workers), 5), \
            [pid for pid in workers if running(pid)]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pid in workers:  # when the test fails: leave no worker behind
            if running(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_a_staging_folder_left_by_a_killed_run_is_removed_by_the_next_command_writing_beside_it(tmp_path):
    process = subprocess.Popen(amparo("run", SHORT, "--years", "0.05", "-r", "1", "-w", "1", "--out",
                                      tmp_path / "killed"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    staging = lambda: [p for p in tmp_path.iterdir() if ".partial-" in p.name]  # noqa: E731
    assert wait_for(lambda: staging() or process.poll() is not None, 300)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert staging(), "the run finished before it could be killed while writing"
    sweep_file = tmp_path / "one_point.toml"
    sweep_file.write_text(f'base = "{SHORT}"\npoints = 1\nyears = 0.01\n'
                          "[levers]\nchild_protection_officers = { low = 40, high = 344 }\n",
                          encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["sweep", str(sweep_file), "-w", "1", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert staging() == []
    assert not (tmp_path / "killed").exists()
