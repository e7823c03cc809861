"""The explorer: sliders from a scenario, the explored model, `amparo explore`, and the page in a browser."""

from __future__ import annotations

import importlib.util
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from browser_support import SCREENSHOTS, browser_page, free_port, require_browser, wait_for_http
from click.testing import CliRunner

import cli
from sim.inputs.scenario import list_scenarios, load_scenario
from sim.model.amparo_model import AmparoModel
from sim.model.parameters import field_by_name
from sim.presentation.explorer import ExplorerModel, explored_names, explorer_inputs

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline_2008.toml"


@pytest.mark.parametrize("path", [path for path, _, _ in list_scenarios(ROOT / "scenarios")],
                         ids=lambda path: path.stem)
def test_every_input_starts_at_the_scenarios_value_within_the_parameters_range(path: Path) -> None:
    parameters = load_scenario(path).parameters
    inputs = explorer_inputs(parameters)
    fields = field_by_name()
    assert inputs["base"] is parameters
    for name in explored_names():
        value = getattr(parameters, name)
        if name not in inputs:  # only an infinite limit has no slider
            assert math.isinf(value), name
            continue
        spec = inputs[name]
        assert spec["value"] == value, name
        if spec["type"] == "Checkbox":
            continue
        low, high = fields[name].metadata["low"], fields[name].metadata["high"]
        assert low <= spec["min"] <= value <= spec["max"] <= high, name
        # the value sits on one of the slider's positions, so the page shows exactly the scenario's value
        positions = (value - spec["min"]) / spec["step"]
        assert abs(positions - round(positions)) < 1e-6, name


def test_the_explored_model_unchanged_is_the_model_itself() -> None:
    parameters = load_scenario(BASELINE).parameters.replace(warmup_days=5)
    explored, plain = ExplorerModel(base=parameters, seed=7), AmparoModel(parameters, seed=7)
    for _ in range(40):
        explored.step()
        plain.step()
    assert explored.daily_records == plain.daily_records
    history = explored.history()
    assert len(history) == 41  # the start, then every day
    assert list(history["n_in_shelters"])[-1] == plain.resources.shelters.in_use
    assert history["measured_day"].iloc[-1] == 35
    # waits, detention and overflows so far are computed weekly once the warm-up is over
    assert not math.isnan(history["detention_days_mean"].iloc[-1])


def test_slider_values_change_the_scenario_and_unknown_names_are_refused() -> None:
    parameters = load_scenario(BASELINE).parameters
    model = ExplorerModel(base=parameters, shelters=30, free_flights=True, arrival_multiplier=0.5)
    assert model.resources.shelters.capacity == 30 * parameters.beds_per_shelter
    assert model.parameters.free_flights is True and model.parameters.arrival_multiplier == 0.5
    assert isinstance(model.parameters.shelters, int)
    with pytest.raises(TypeError, match="not model parameters: sheltres"):
        ExplorerModel(base=parameters, sheltres=30)


def test_explore_without_the_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name.startswith("solara") else real(name, *args))
    result = CliRunner().invoke(cli.main, ["explore", str(BASELINE)])
    assert result.exit_code == 1
    assert "pip install -c requirements.lock -e '.[explore]'" in result.output
    assert "Traceback" not in result.output


def test_explore_with_a_bad_scenario_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "Bad"\ndescription = "x"\n[levers]\nshelters = -3\n')
    result = CliRunner().invoke(cli.main, ["explore", str(bad)])
    assert result.exit_code == 1
    assert "shelters" in result.output and "Traceback" not in result.output


def _slider(page, label: str):
    """The slider whose label is exactly `label`."""
    exact = re.compile(f"^{re.escape(label)}$")
    field = page.locator(".v-input").filter(has=page.locator("label", has_text=exact))
    return field.get_by_role("slider")


def _status_row(page, resource: str) -> list[str]:
    row = page.locator(".amparo-status tr").filter(has_text=resource)
    return [cell.strip() for cell in row.locator("td").all_inner_texts()]


def test_the_page_starts_at_the_scenario_moves_a_slider_and_steps(tmp_path: Path) -> None:
    require_browser()
    import_check = importlib.util.find_spec("solara")
    if import_check is None:
        pytest.skip("the explorer extra is not installed (pip install -c requirements.lock -e '.[explore]')")
    port = free_port()
    command = [sys.executable, str(ROOT / "cli.py"), "explore", str(BASELINE), "--port", str(port)]
    server = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", timeout=120, alive=lambda: server.poll() is None)
        parameters = load_scenario(BASELINE).parameters
        inputs = explorer_inputs(parameters)
        with browser_page() as page:
            page.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
            page.get_by_text("Day 0").wait_for(timeout=120_000)
            # every slider and switch shows the scenario's value
            for name in explored_names():
                spec = inputs.get(name)
                if spec is None:
                    continue
                if spec["type"] == "Checkbox":
                    box = page.locator(".v-input").filter(has_text=spec["label"]).get_by_role("checkbox")
                    assert box.get_attribute("aria-checked") == str(spec["value"]).lower(), name
                else:
                    shown = float(_slider(page, spec["label"]).get_attribute("aria-valuenow"))
                    assert shown == pytest.approx(spec["value"], abs=1e-9), name
            assert _status_row(page, "Transitory-shelter beds")[2] == f"{parameters.shelter_beds:,}"

            # one more shelter, then Reset: a fresh run with 28 shelters
            shelters = _slider(page, inputs["shelters"]["label"])
            shelters.focus()
            shelters.press("ArrowRight")
            page.wait_for_function("e => e.getAttribute('aria-valuenow') === '28'",
                                   arg=shelters.element_handle(), timeout=30_000)
            page.get_by_role("button", name="Reset").click()
            beds = f"{28 * parameters.beds_per_shelter:,}"
            page.locator(".amparo-status td.capacity").filter(has_text=beds).wait_for(timeout=60_000)
            assert "shelters 27 → 28" in page.locator(".amparo-status").inner_text()

            # step the model: the day advances and the charts are redrawn
            charts = page.locator("img")
            before = charts.evaluate_all("images => images.map(image => image.src)")
            for day in (1, 2, 3):
                page.get_by_role("button", name="Step").click()
                page.get_by_text(f"Day {day}", exact=False).first.wait_for(timeout=60_000)
            page.wait_for_function(
                "before => Array.from(document.images).map(i => i.src).some((s, k) => s !== before[k])",
                arg=before, timeout=60_000)
            after = charts.evaluate_all("images => images.map(image => image.src)")
            assert len(after) >= 3 and after != before
            row = _status_row(page, "Transitory-shelter beds")
            assert row[2] == beds and int(row[1].replace(",", "")) >= 0
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "explorer.png"), full_page=True)
            assert not page.errors, page.errors
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert (SCREENSHOTS / "explorer.png").stat().st_size > 10_000
