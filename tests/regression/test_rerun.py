"""`amparo rerun` checks a result against its sealed manifest, makes every kind of result again
from the manifest alone, compares every table and chart, and says when the code has changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from sim.results.manifest_seal import manifest_seal

ROOT = Path(__file__).resolve().parents[2]
BASELINE = str(ROOT / "scenarios" / "baseline_2008.toml")
DOUBLE = str(ROOT / "scenarios" / "double_officers.toml")


def invoke(*args: str):
    return CliRunner().invoke(cli.main, [str(arg) for arg in args])


def forge(folder: Path, change, reseal: bool = False) -> None:
    """Edit the manifest of `folder` with `change(manifest)`; with `reseal`, recompute its seal as a
    careful forger would."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    if reseal:
        manifest["seal"] = manifest_seal(manifest)
    path.write_text(json.dumps(manifest, indent=2))


@pytest.fixture(scope="module")
def run_result(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rerun") / "run"
    made = invoke("run", BASELINE, "-r", "2", "--years", "0.02", "-w", "1", "--out", out)
    assert made.exit_code == 0, made.output
    return out


def copy_of(folder: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(folder, tmp_path / folder.name))


@pytest.mark.slow
def test_rerun_reproduces_a_run_with_its_charts_and_says_the_code_is_the_same(run_result):
    again = invoke("rerun", run_result, "-w", "1")
    assert again.exit_code == 0, again.output
    assert "Code: the same as when the result was made" in again.output
    manifest = json.loads((run_result / "manifest.json").read_text())
    charts = [name for name in manifest["files"] if name.startswith("charts/")]
    assert any(name.endswith(".png") for name in charts) and any(name.endswith(".svg") for name in charts)
    assert f"every table and chart ({len(manifest['files'])} files) is identical" in again.output


@pytest.mark.parametrize("edit, words", [
    (lambda m: m["scenario"].update(title="A forged title"), "manifest.json was edited"),
    (lambda m: m["scenario"].update(text=m["scenario"]["text"] + "\n# forged\n"), "manifest.json was edited"),
    (lambda m: m.update(seeds=[1, 2]), "manifest.json was edited"),
    (lambda m: m.update(git_commit="0" * 40), "manifest.json was edited"),
])
def test_an_edited_manifest_is_refused_before_anything_runs(run_result, tmp_path, edit, words):
    folder = copy_of(run_result, tmp_path)
    forge(folder, edit)
    refused = invoke("rerun", folder, "-w", "1")
    assert refused.exit_code == 1
    assert words in refused.output and "nothing was run" in refused.output
    assert "Rerunning" not in refused.output


@pytest.mark.parametrize("edit, words", [
    (lambda m: m.update(seeds=[1, 2]), "seeds are not those of base seed"),
    (lambda m: m["scenario"].update(title="A forged title"), "is not the one in the scenario text"),
    (lambda m: m["scenario"].update(text=m["scenario"]["text"].replace('title = "', 'title = "Forged ', 1)),
     "is not the one in the scenario text"),
])
def test_a_resealed_forgery_is_caught_by_the_manifest_s_own_consistency(run_result, tmp_path, edit, words):
    folder = copy_of(run_result, tmp_path)
    forge(folder, edit, reseal=True)
    refused = invoke("rerun", folder, "-w", "1")
    assert refused.exit_code == 1 and words in refused.output and "nothing was run" in refused.output


def test_an_edited_table_or_chart_is_named(run_result, tmp_path):
    folder = copy_of(run_result, tmp_path)
    chart = next((folder / "charts").glob("*.png"))
    chart.write_bytes(chart.read_bytes() + b"\0")
    (folder / "summary.csv").write_text((folder / "summary.csv").read_text().replace(",", ";", 1))
    refused = invoke("rerun", folder, "-w", "1")
    assert refused.exit_code == 1
    assert f"charts/{chart.name}: was changed" in refused.output
    assert "summary.csv: was changed" in refused.output


@pytest.mark.slow
def test_a_result_of_other_code_says_so_before_running(run_result, tmp_path):
    folder = copy_of(run_result, tmp_path)
    forge(folder, lambda m: m.update(git_commit="0123456789ab" + "0" * 28, amparo_version="0.0.1"),
          reseal=True)
    done = invoke("rerun", folder, "-w", "1")
    before, _, after = done.output.partition("Rerunning")
    assert "made by Amparo 0.0.1 at commit 0123456789ab" in before
    assert "may come from the code change" in before
    # only the manifest says "other code": the charts were stamped by this code, so all is identical
    assert done.exit_code == 0 and "Reproduced bit for bit" in after, done.output


@pytest.mark.slow
def test_rerun_reproduces_a_comparison_and_notices_a_change(tmp_path):
    out = tmp_path / "comparison"
    made = invoke("compare", BASELINE, DOUBLE, "-r", "2", "--years", "0.02", "-w", "1", "--out", out)
    assert made.exit_code == 0, made.output
    again = invoke("rerun", out, "-w", "1")
    assert again.exit_code == 0 and "bit for bit" in again.output, again.output
    table = out / "comparison.csv"
    table.write_text(table.read_text().replace(",", ";", 1))
    changed = invoke("rerun", out, "-w", "1")
    assert changed.exit_code == 1 and "comparison.csv" in changed.output


def write_sweep(folder: Path) -> Path:
    path = folder / "sweep.toml"
    path.write_text(f'title = "rerun sweep"\nbase = "{BASELINE}"\ndesign = "latin_hypercube"\npoints = 3\n'
                    'replications = 2\nseed = 3\nyears = 0.02\n'
                    '[levers]\nchild_protection_officers = { low = 10, high = 100 }\n')
    return path


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sweep", "sizing", "sensitivity", "calibration"])
def test_rerun_reproduces_every_other_kind_bit_for_bit(tmp_path, kind):
    out = tmp_path / kind
    making = {
        "sweep": ["sweep", write_sweep(tmp_path), "--out", out, "-w", "1"],
        "sizing": ["size", BASELINE, "--lever", "officers=0:40", "--standard",
                   "officer_interview_within_two_days", "-r", "2", "--years", "0.02", "-w", "1",
                   "--out", out],
        "sensitivity": ["sensitivity", "--trajectories", "2", "--years", "0.02", "--base", BASELINE,
                        "-w", "1", "--out", out],
        "calibration": ["calibrate", "--budget", "8", "--accepted", "4", "--truths", "4", "--predictive", "2",
                        "--table-warmup-days", "30", "--years", "0.05", "-r", "2",
                        "--check-years", "0.02", "--base", BASELINE, "-w", "1", "--out", out],
    }[kind]
    made = invoke(*making)
    assert made.exit_code == 0, made.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == kind and any(name.startswith("charts/") for name in manifest["files"])
    again = invoke("rerun", out, "-w", "1")
    assert again.exit_code == 0 and "Reproduced bit for bit" in again.output, again.output
    table = next(name for name in manifest["files"] if name.endswith(".csv"))
    (out / table).write_text((out / table).read_text() + "\n")
    changed = invoke("rerun", out, "-w", "1")
    assert changed.exit_code == 1 and f"{table}: was changed" in changed.output
