"""Sweeps: the same tables with 1 or 2 workers, and after a SIGKILL and --resume; clear errors."""

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
from sim.experiments.sweep import design_points, load_sweep
from sim.inputs.scenario import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "scenarios" / "baseline_2008.toml").as_posix()


def sweep_file(folder: Path, points: int = 6, design: str = "latin_hypercube", extra: str = "") -> Path:
    path = folder / "sweep.toml"
    path.write_text(f'''title = "test sweep"
base = "{BASE}"
design = "{design}"
points = {points}
replications = 2
seed = 3
years = 0.04
[levers]
child_protection_officers = {{ low = 10, high = 200 }}
alternative_care_places = [20, 60]
[uncertainties]
arrival_multiplier = {{ low = 0.1, high = 0.2 }}
{extra}''', encoding="utf-8")
    return path


def run(*args: str):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


@pytest.mark.slow
def test_tables_are_identical_with_one_and_two_workers(tmp_path):
    path = sweep_file(tmp_path)
    assert run("sweep", str(path), "--out", str(tmp_path / "one"), "-w", "1").exit_code == 0
    assert run("sweep", str(path), "--out", str(tmp_path / "two"), "-w", "2").exit_code == 0
    for name in ("experiments.csv", "outcomes.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    lines = (tmp_path / "one" / "outcomes.csv").read_text().splitlines()
    assert len(lines) == 1 + 6 * 2


@pytest.mark.slow
def test_a_killed_sweep_resumes_to_the_same_tables(tmp_path):
    path = sweep_file(tmp_path, points=10)
    complete = tmp_path / "complete"
    assert run("sweep", str(path), "--out", str(complete), "-w", "1").exit_code == 0
    killed = tmp_path / "killed"
    command = [sys.executable, str(ROOT / "cli.py"), "sweep", str(path), "--out", str(killed), "-w", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    runs = killed / "runs.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not runs.exists() or runs.read_text().count("\n") < 4):
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before = runs.read_text().count("\n")
    assert 4 <= done_before < 20, "the sweep must be killed part-way"
    assert not (killed / "outcomes.csv").exists()
    refused = CliRunner().invoke(cli.main, ["sweep", str(path), "--out", str(killed)])
    assert refused.exit_code == 1 and "--resume" in refused.output
    assert run("sweep", str(path), "--out", str(killed), "--resume", "-w", "2").exit_code == 0
    for name in ("experiments.csv", "outcomes.csv"):
        assert (killed / name).read_bytes() == (complete / name).read_bytes(), name


def test_grid_design_is_the_full_product(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(f'title = "g"\nbase = "{BASE}"\ndesign = "grid"\n[levers]\nshelters = [10, 20, 30]\n'
                    "free_flights = [true, false]\n", encoding="utf-8")
    points = design_points(load_sweep(path))
    assert len(points) == 6 and {p["shelters"] for p in points} == {10, 20, 30}


@pytest.mark.parametrize(("lever", "words"), [
    ("shelterz = [1, 2]\n", "not a model parameter"),
    ("shelters = [-1, 2]\n", "from 0"),
    ("arrival_multiplier = [1, 2]\n", "belongs under \\[uncertainties\\]"),
    ("shelters = { low = 30, high = 10 }\n", "low must be below high"),
])
def test_bad_sweep_files_are_clear_errors(tmp_path, lever, words):
    path = sweep_file(tmp_path)
    path.write_text(path.read_text().replace("[levers]\n", "[levers]\n" + lever))
    with pytest.raises(ScenarioError, match=words):
        load_sweep(path)
    result = CliRunner().invoke(cli.main, ["sweep", str(path), "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "sweep.toml" in result.output


def test_ranges_on_a_grid_and_bad_designs_are_refused(tmp_path):
    path = sweep_file(tmp_path, design="grid")
    with pytest.raises(ScenarioError, match="grid needs a list"):
        load_sweep(path)
    path = sweep_file(tmp_path, design="random")
    with pytest.raises(ScenarioError, match="design"):
        load_sweep(path)
