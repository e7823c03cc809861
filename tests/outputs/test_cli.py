"""The command line as a user types it: click's runner, and a real subprocess of `amparo`."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline_2008.toml"
QUICK = ["--replications", "2", "--years", "0.05", "--workers", "1"]


def amparo_command() -> list[str]:
    """The installed console script next to this Python, or `python cli.py`."""
    script = Path(sys.executable).with_name("amparo")
    return [str(script)] if script.exists() else [sys.executable, str(ROOT / "cli.py")]


def invoke(*args: str):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def test_help_lists_the_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    assert "run" in result.output and "scenarios" in result.output


def test_scenarios_lists_the_shipped_files():
    result = invoke("scenarios")
    assert result.exit_code == 0
    assert "baseline_2008.toml" in result.output


@pytest.mark.slow
def test_run_writes_a_complete_folder(tmp_path):
    out = tmp_path / "baseline"
    result = invoke("run", str(BASELINE), *QUICK, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "new_repatriated_north" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert manifest["replications"] == 2 and len(manifest["seeds"]) == 2
    assert manifest["parameters"]["child_protection_officers"] == 172
    with open(out / "summary.csv", newline="") as handle:
        rows = {row["outcome"]: row for row in csv.DictReader(handle)}
    assert float(rows["new_repatriated_north"]["mean"]) > 0
    for name in ("daily_stocks.csv", "children.csv", "visits.csv", "stages.csv",
                 "outcomes_by_replication.csv"):
        assert (out / name).stat().st_size > 0, name
    assert list((out / "charts").glob("*.png")) and list((out / "charts").glob("*.svg"))
    assert not list(tmp_path.glob(".*partial*"))  # nothing half-written left behind


@pytest.mark.slow
def test_same_seed_gives_identical_tables_across_worker_counts(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    for workers, out in (("1", one), ("2", two)):
        result = invoke("run", str(BASELINE), "-r", "2", "--years", "0.05", "-w", workers, "--out", str(out))
        assert result.exit_code == 0, result.output
    for name in ("summary.csv", "outcomes_by_replication.csv", "daily_stocks.csv", "children.csv",
                 "visits.csv"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


@pytest.mark.slow
def test_an_existing_result_is_not_overwritten_unless_asked(tmp_path):
    out = tmp_path / "result"
    result = CliRunner().invoke(cli.main, ["run", str(BASELINE), *QUICK, "--out", str(out), "--seed", "1"])
    assert result.exit_code == 0
    first = (out / "manifest.json").read_bytes()
    result = CliRunner().invoke(cli.main, ["run", str(BASELINE), *QUICK, "--out", str(out)])
    assert result.exit_code == 1
    assert "already exists" in result.output and "--overwrite" in result.output
    assert (out / "manifest.json").read_bytes() == first
    result = CliRunner().invoke(cli.main, ["run", str(BASELINE), *QUICK, "--out", str(out), "--overwrite"])
    assert result.exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["base_seed"] == 2008
    assert sorted(path.name for path in tmp_path.iterdir()) == ["result"]


@pytest.mark.parametrize(("content", "expected"), [
    ('title = "t"\ndescription = "d"\n[levers]\nshelterz = 3\n', "shelterz"),
    ('title = "t"\ndescription = "d"\n[levers]\nshelters = -1\n', "shelters"),
    ('title = "t"\ndescription = "d"\n[uncertainties]\nshare_unaccompanied_north = 1.5\n',
     "share_unaccompanied_north"),
    ('title = "t"\ndescription = "d"\n[levers\n', "line"),
])
def test_bad_scenario_files_get_one_clear_error(tmp_path, content, expected):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    out = tmp_path / "never"
    result = CliRunner().invoke(cli.main, ["run", str(path), *QUICK, "--out", str(out)])
    assert result.exit_code == 1
    assert "bad.toml" in result.output and expected in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_missing_scenario_and_unwritable_output_are_clear_errors(tmp_path):
    result = CliRunner().invoke(cli.main, ["run", str(tmp_path / "nowhere.toml"), *QUICK])
    assert result.exit_code != 0 and "nowhere.toml" in result.output
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = CliRunner().invoke(cli.main, ["run", str(BASELINE), *QUICK, "--out", str(blocker / "out")])
    assert result.exit_code == 1 and "cannot write" in result.output


@pytest.mark.slow
def test_installed_command_runs_in_a_real_process(tmp_path):
    command = amparo_command()
    listing = subprocess.run([*command, "scenarios"], capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    assert "baseline_2008.toml" in listing.stdout
    out = tmp_path / "real"
    done = subprocess.run([*command, "run", str(BASELINE), *QUICK, "--out", str(out)], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "manifest.json").read_text())["complete"] is True


def test_help_and_scenarios_do_not_import_heavy_libraries():
    code = ("import sys; from click.testing import CliRunner; import cli; "
            "CliRunner().invoke(cli.main, ['--help']); CliRunner().invoke(cli.main, ['scenarios']); "
            "print(sorted(m for m in ('mesa', 'scipy', 'matplotlib', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.slow
def test_rerun_reproduces_a_result_bit_for_bit_and_notices_a_change(tmp_path):
    out = tmp_path / "original"
    assert invoke("run", str(BASELINE), *QUICK, "--out", str(out)).exit_code == 0
    again = CliRunner().invoke(cli.main, ["rerun", str(out), "-w", "1"])
    assert again.exit_code == 0 and "bit for bit" in again.output
    with open(out / "daily_stocks.csv", "a") as handle:
        handle.write("0,0\n")
    changed = CliRunner().invoke(cli.main, ["rerun", str(out), "-w", "1"])
    assert changed.exit_code == 1 and "daily_stocks.csv" in changed.output
    assert CliRunner().invoke(cli.main, ["rerun", str(tmp_path)]).exit_code == 1  # not a result folder


def test_a_broken_invariant_is_an_internal_error_and_writes_nothing(tmp_path, monkeypatch):
    import sim.experiments.replications
    from sim.analysis.invariants import InvariantViolation

    def broken(*_args, **_kwargs):
        raise InvariantViolation("3 children were created but 2 have records")

    monkeypatch.setattr(sim.experiments.replications, "check_invariants", broken)
    out = tmp_path / "never"
    result = CliRunner().invoke(cli.main, ["run", str(BASELINE), *QUICK, "--out", str(out)])
    assert result.exit_code == cli.EXIT_INTERNAL_ERROR
    assert "Internal error" in result.output and "2 have records" in result.output
    assert not out.exists()
