"""docs/extending.md holds: a lever is one declaration, a resource one registry entry.

The first worked example is applied, as written in the document, to a copy of the project and run;
the claims of "what follows from one declaration" are checked for every lever and resource today.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.analysis.outcome_registry import OUTCOME_BY_NAME
from sim.experiments.sizing import sizeable_levers
from sim.experiments.sweep import load_sweep
from sim.inputs.scenario import load_scenario
from sim.model.parameters import Parameters, parameter_fields
from sim.model.schema import CODEBOOK, RESOURCES, daily_columns, resource_capacities
from sim.presentation.charts.compare_charts import OCCUPANCY
from sim.presentation.charts.run_charts import PANEL_LAYOUT
from sim.presentation.explorer import explored_names

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "extending.md"
LEVERS = [f for f in parameter_fields() if f.metadata["kind"] == "lever"]


def _code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOCUMENT.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("lever", LEVERS, ids=lambda f: f.name)
def test_a_lever_declared_once_is_known_to_scenarios_sweeps_the_explorer_sizing_and_the_docs(lever, tmp_path):
    value = lever.default
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        f'title = "t"\ndescription = "d"\nextends = "{ROOT / "scenarios" / "baseline_2008.toml"}"\n[levers]\n'
        f"{lever.name} = {json.dumps(value)}\n",
        encoding="utf-8",
    )
    assert getattr(load_scenario(scenario).parameters, lever.name) == value
    if isinstance(value, int | float) and not isinstance(value, bool):
        sweep = tmp_path / "sweep.toml"
        sweep.write_text(
            f'title = "t"\nbase = "{scenario.name}"\ndesign = "grid"\npoints = 1\n'
            f"replications = 1\nseed = 1\nyears = 0.1\n[levers]\n{lever.name} = [{value}]\n",
            encoding="utf-8",
        )
        assert lever.name in [dimension.name for dimension in load_sweep(sweep).dimensions]
    assert lever.name in explored_names()
    if type(value) is int:
        assert lever.name in sizeable_levers()
    assert f"`{lever.name}`" in (ROOT / "docs" / "model.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("entry", RESOURCES, ids=lambda e: e.name)
def test_a_resource_in_the_registry_is_in_every_table_outcome_and_chart(entry):
    name = entry.name
    assert resource_capacities(Parameters())[name] == getattr(Parameters(), entry.capacity_parameter)
    for outcome in (f"wait_{name}_days_mean", f"occupancy_{name}", f"overflow_{name}", f"unserved_{name}"):
        assert outcome in OUTCOME_BY_NAME
    assert {f"n_in_{name}", f"n_waiting_{name}"} <= set(daily_columns())
    assert name in CODEBOOK["resource"]
    assert any(name in row for row in PANEL_LAYOUT)
    assert (name in dict(OCCUPANCY)) == entry.holds_children


@pytest.mark.slow
def test_the_worked_lever_example_works_as_written(tmp_path):
    """Apply worked example 1 to a copy of the project, regenerate the table, run a scenario."""
    python_blocks = _code_blocks("python")
    field, prop = python_blocks[0], python_blocks[1]
    copy = tmp_path / "amparo"
    for part in ("sim", "scenarios", "calibration", "docs"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "cli.py", copy / "cli.py")
    parameters = copy / "sim" / "model" / "parameters.py"
    text = parameters.read_text(encoding="utf-8")
    anchor = re.search(r"    beds_per_shelter: int = parameter\(.*?\n    \)\n", text, re.S)
    assert anchor, "the example says: after beds_per_shelter"
    text = text[: anchor.end()] + field + text[anchor.end() :]
    old_property = re.search(r"    @property\n    def shelter_beds\(self\) -> int:\n.*?\n(?=\n)", text, re.S)
    assert old_property, "the example replaces the shelter_beds property"
    text = text[: old_property.start()] + prop.rstrip("\n") + text[old_property.end() :]
    parameters.write_text(text, encoding="utf-8")
    environment = {"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "sim.presentation.parameter_table", "docs/model.md"],
        cwd=copy,
        env=environment,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert "`emergency_shelter_beds`" in (copy / "docs" / "model.md").read_text(encoding="utf-8")
    (scenario,) = _code_blocks("toml")
    (copy / "scenarios" / "emergency_beds.toml").write_text(scenario, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "cli.py",
            "run",
            "scenarios/emergency_beds.toml",
            "-r",
            "1",
            "--years",
            "0.02",
            "--workers",
            "1",
            "--out",
            "outputs/emergency",
        ],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((copy / "outputs" / "emergency" / "manifest.json").read_text(encoding="utf-8"))
    default = Parameters()
    assert manifest["capacities"]["shelters"] == default.shelters * default.beds_per_shelter + 100
    check = (
        "from sim.experiments.sizing import sizeable_levers; from sim.presentation.explorer import "
        "explored_names; assert 'emergency_shelter_beds' in sizeable_levers(); "
        "assert 'emergency_shelter_beds' in explored_names()"
    )
    subprocess.run([sys.executable, "-c", check], cwd=copy, env=environment, check=True, timeout=120)
