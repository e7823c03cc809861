"""Ctrl-C and SIGTERM sent to the real `amparo` process at several moments, from the first line of
cli.py (the imports, option parsing) to the writing of the result: Ctrl-C exits 130 and SIGTERM 143,
never "Aborted!", never a traceback, and no staging folder or partial result is left. (Before cli.py
runs, Python itself is starting and ends by the signal; docs/reliability.md gives the measurement.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")

ROOT = Path(__file__).resolve().parents[2]
SHORT = ROOT / "tests" / "data" / "short_warmup.toml"
#: Seconds after cli.py installed its handlers: during the imports, option parsing, the runs.
MOMENTS = (0.0, 0.1, 0.3, 0.6, 1.2, 2.5)


def amparo(*args: object) -> list[str]:
    script = Path(sys.executable).with_name("amparo")
    command = [str(script)] if script.exists() else [sys.executable, str(ROOT / "cli.py")]
    return [*command, *map(str, args)]


def catches_sigterm(pid: int) -> bool:
    """Whether the process has a SIGTERM handler yet (cli.py installs one on its first lines)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught, 16) >> (signal.SIGTERM - 1) & 1)


def start_run(out: Path) -> subprocess.Popen:
    """`amparo run` in its own process group, returned once cli.py has run its first lines."""
    process = subprocess.Popen(amparo("run", SHORT, "--years", "0.3", "-r", "2", "-w", "2", "--out", out),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, cwd=out.parent)
    deadline = time.time() + 60
    while not catches_sigterm(process.pid) and process.poll() is None and time.time() < deadline:
        time.sleep(0.002)
    return process


def send(process: subprocess.Popen, how: signal.Signals) -> None:
    """Ctrl-C goes to the whole process group, as a terminal sends it; SIGTERM to the main process
    only, as `kill PID` does."""
    if how == signal.SIGINT:
        os.killpg(process.pid, how)
    else:
        os.kill(process.pid, how)


def left_behind(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if ".partial-" in path.name)


def check_stopped(process: subprocess.Popen, how: signal.Signals, out: Path) -> str:
    _, stderr = process.communicate(timeout=120)
    expected = 128 + how
    finished = process.returncode == 0 and (out / "manifest.json").is_file()
    assert process.returncode == expected or finished, (process.returncode, stderr)
    assert "Aborted!" not in stderr and "Traceback" not in stderr, stderr
    assert left_behind(out.parent) == []
    if process.returncode == expected:
        assert not out.exists()
    return stderr


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_at_any_moment_exits_with_its_code_and_leaves_nothing(tmp_path, how):
    codes = []
    for moment in MOMENTS:
        out = tmp_path / f"out-{moment}"
        process = start_run(out)
        time.sleep(moment)
        send(process, how)
        check_stopped(process, how, out)
        codes.append(process.returncode)
    assert codes.count(128 + how) >= len(MOMENTS) - 1, codes  # the last may have finished first


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_while_the_result_is_written_removes_the_staging_folder(tmp_path, how):
    out = tmp_path / "out"
    process = start_run(out)
    deadline = time.time() + 300
    while not left_behind(tmp_path) and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert left_behind(tmp_path), "the run never started writing its result"
    send(process, how)
    stderr = check_stopped(process, how, out)
    assert process.returncode == 128 + how
    assert ("Terminated" if how == signal.SIGTERM else "Interrupted") in stderr
