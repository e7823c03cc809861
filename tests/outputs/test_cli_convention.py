"""One convention across commands (issue 16, item 6): the same options spelled and defaulted the same
way, no NaN or infinity accepted for any number, sweep settings overridable from the command line,
and compare refusing fewer than two scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import cli
from sim.commands.options import DEFAULT_REPLICATIONS, DEFAULT_SEED

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline_2008.toml"
SHORT = ROOT / "tests" / "data" / "short_warmup.toml"


def invoke(*args: object):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def options_of(command_name: str) -> dict[str, click.Option]:
    command = cli.main.commands[command_name]
    return {param.name: param for param in command.params if isinstance(param, click.Option)}


def test_run_compare_and_size_default_to_the_same_replications():
    for name in ("run", "compare", "size"):
        assert options_of(name)["replications"].default == DEFAULT_REPLICATIONS, name


def test_shared_options_are_spelled_and_defaulted_the_same_in_every_command():
    spellings = {"replications": ["--replications", "-r"], "seed": ["--seed"], "workers": ["--workers", "-w"],
                 "out": ["--out"], "overwrite": ["--overwrite"], "years": ["--years"],
                 "scheduler": ["--scheduler"], "resume": ["--resume"]}
    seen = set()
    for name in cli.main.commands:
        for option_name, option in options_of(name).items():
            if option_name in spellings:
                seen.add(option_name)
                assert option.opts + option.secondary_opts == spellings[option_name], (name, option_name)
            if option_name == "seed" and name != "sweep":
                assert option.default == DEFAULT_SEED, name
    assert seen == set(spellings)
    for name in ("run", "compare", "size", "sweep", "calibrate", "sensitivity"):
        assert {"seed", "years", "workers", "out", "overwrite", "scheduler"} <= set(options_of(name)), name


NOT_FINITE = [
    ["run", BASELINE, "--years", "nan"],
    ["run", BASELINE, "--years", "inf"],
    ["compare", BASELINE, SHORT, "--years", "nan"],
    ["size", BASELINE, "--lever", "officers", "--standard", "any", "--years", "nan"],
    ["size", BASELINE, "--lever", "officers", "--standard", "any", "--confidence", "nan"],
    ["calibrate", "--years", "nan"],
    ["calibrate", "--check-years", "-inf"],
    ["sensitivity", "--years", "nan"],
    ["sweep", ROOT / "scenarios" / "sweep_officers_beds.toml", "--years", "NaN"],
]


@pytest.mark.parametrize("arguments", NOT_FINITE, ids=lambda a: " ".join(str(x) for x in a[:1] + a[-2:]))
def test_nan_and_infinity_are_a_clean_error_in_every_command(arguments, tmp_path):
    result = invoke(*arguments, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "Error: Invalid value for" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_compare_with_one_scenario_is_an_error_and_writes_nothing(tmp_path):
    result = invoke("compare", BASELINE, "-r", "2", "--years", "0.01", "--out", tmp_path / "one")
    assert result.exit_code == 1
    assert "compare needs at least two scenario files" in result.output
    assert not (tmp_path / "one").exists()


def write_sweep(folder: Path) -> Path:
    path = folder / "small_sweep.toml"
    path.write_text(f'base = "{SHORT}"\npoints = 2\nreplications = 1\nseed = 1\nyears = 0.01\n'
                    "[levers]\nchild_protection_officers = { low = 40, high = 344 }\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_sweep_options_replace_the_file_settings_and_resume_checks_them(tmp_path):
    sweep_file, out = write_sweep(tmp_path), tmp_path / "sweep"
    result = invoke("sweep", sweep_file, "--out", out, "-w", "1", "-r", "2", "--points", "3", "--seed", "5",
                    "--years", "0.02")
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["runs"], manifest["points"], manifest["replications"]) == (6, 3, 2)
    assert (manifest["seed"], manifest["years"]) == (5, 0.02)
    assert len((out / "experiments.csv").read_text().splitlines()) == 1 + 6
    assert "writing tables and charts" in result.output
    # resuming with the file's own settings would mix two designs in one folder
    refused = invoke("sweep", sweep_file, "--out", out, "-w", "1", "--resume")
    assert refused.exit_code == 1 and "--points" in refused.output
    # --overwrite starts again from the file's settings
    again = invoke("sweep", sweep_file, "--out", out, "-w", "1", "--overwrite")
    assert again.exit_code == 0, again.output
    assert json.loads((out / "manifest.json").read_text())["runs"] == 2
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_sweep_overwrite_never_replaces_a_folder_that_is_not_a_sweep(tmp_path):
    decoy = tmp_path / "mine"
    decoy.mkdir()
    (decoy / "notes.txt").write_text("keep me")
    result = invoke("sweep", write_sweep(tmp_path), "--out", decoy, "--overwrite")
    assert result.exit_code == 1 and "will not replace it" in result.output
    assert (decoy / "notes.txt").read_text() == "keep me"


def test_sweep_points_do_not_apply_to_a_grid(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(f'base = "{SHORT}"\ndesign = "grid"\nyears = 0.01\n'
                    "[levers]\nchild_protection_officers = [40, 80]\n", encoding="utf-8")
    result = invoke("sweep", path, "--points", "3", "--out", tmp_path / "out")
    assert result.exit_code == 1 and "grid" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_printed_wall_time_includes_writing_tables_and_charts(tmp_path):
    result = invoke("run", SHORT, "-r", "1", "--years", "0.01", "-w", "1", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("Wall time"))
    total, simulating, writing = (float(part.split()[0]) for part in
                                  (line.split("Wall time ")[1], line.split("(")[1], line.split(", ")[1]))
    assert writing > 0 and abs(total - simulating - writing) < 0.15
