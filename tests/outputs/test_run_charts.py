"""Charts of a run folder, drawn from a small hand-written folder (2 replications, 30 days)."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sim.model.schema import RESOURCE_NAMES, daily_columns
from sim.presentation.charts.run_charts import (
    NORTH_FLOWS,
    RESOURCES,
    SOUTH_FLOWS,
    draw_detention_days,
    draw_flows,
    draw_run_charts,
)
from sim.presentation.charts.tables import as_floats, read_manifest, read_visits

ALL_CHARTS = {"flows", "occupancy", "occupancy_by_month", "waiting_times", "detention_days"}
CAPACITIES = {"officers_north": 4, "officers_south": 3, "care_units": 5, "shelters": 20,
              "migration_stations": 10, "alternative_care": 2}
DAYS = 30
NAN = math.nan

#: (replication, child, resource, requested, started, ended). Officers north: nobody waits; care units:
#: two waits; shelters: one child left the line, one still waiting at the end; migration stations:
#: stays of 3, 12 and 95 days and one still detained; officers south and alternative care: no visits.
VISITS = [
    (0, 1, "officers_north", 1.0, 1.0, 1.2), (0, 2, "officers_north", 2.0, 2.0, 2.5),
    (1, 3, "officers_north", 4.0, 4.0, 4.1),
    (0, 1, "care_units", 0.5, 0.5, 1.0), (0, 4, "care_units", 3.0, 3.5, 5.0),
    (1, 5, "care_units", 6.0, 8.0, 9.0),
    (0, 6, "shelters", 2.0, NAN, 4.0), (1, 7, "shelters", 20.0, NAN, NAN), (1, 8, "shelters", 1.0, 1.0, 6.0),
    (0, 9, "migration_stations", 0.0, 0.0, 3.0), (0, 10, "migration_stations", 1.0, 2.0, 14.0),
    (1, 11, "migration_stations", 0.0, 0.0, 95.0), (1, 12, "migration_stations", 5.0, 5.0, NAN),
]


def make_synthetic_run(folder: Path, *, visits: list[tuple] | None = VISITS,
                       max_detention_days: float | str = 90.0) -> Path:
    """A run folder as `amparo run` writes it, small enough to check by eye."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "amparo_version": "9.9.9", "kind": "run",
        "scenario": {"file": "scenarios/test.toml", "title": "Synthetic test run", "description": "",
                     "text": ""},
        "parameters": {"max_detention_days": max_detention_days, "warmup_days": 0},
        "capacities": CAPACITIES, "replications": 2, "years": DAYS / 365, "base_seed": 7, "seeds": [11, 12],
        "records_replications": 2, "git_commit": "0123456789abcdef", "packages": {}, "wall_seconds": 0.1,
        "created_at": "2026-01-01T00:00:00+00:00", "complete": False,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    outcomes = [name for name, _, _ in NORTH_FLOWS + SOUTH_FLOWS]
    outcomes += ["detention_child_days", "detention_days_mean"]
    with open(folder / "summary.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["outcome", "unit", "description", "mean", "ci_low", "ci_high", "replications"])
        for index, name in enumerate(outcomes):
            mean = 100.0 * (index + 1)
            writer.writerow([name, "children/year", f"description, with a comma, of {name}", mean,
                             mean * 0.9, mean * 1.1, 2])
    columns = daily_columns()
    rng = np.random.default_rng(3)
    with open(folder / "daily_stocks.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["replication", *columns])
        for replication in range(2):
            for day in range(DAYS):
                writer.writerow([replication, day, *rng.integers(0, 8, size=len(columns) - 1)])
    if visits is not None:
        with open(folder / "visits.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["replication", "child_id", "resource", "requested_at", "started_at", "ended_at"])
            writer.writerows(visits)
    return folder


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """The synthetic run folder with its charts drawn once (drawing takes a few seconds)."""
    folder = make_synthetic_run(tmp_path_factory.mktemp("charts") / "run")
    return folder, draw_run_charts(folder)


def chart_text(folder: Path, name: str) -> str:
    """The words drawn on a chart (its SVG keeps text as text)."""
    return (folder / "charts" / f"{name}.svg").read_text(encoding="utf-8")


@pytest.mark.slow
def test_every_chart_is_written_as_png_at_200_dpi_and_svg(drawn: tuple[Path, list]) -> None:
    folder, charts = drawn
    assert {chart.name for chart in charts} == ALL_CHARTS
    for chart in charts:
        assert sorted(p.suffix for p in chart.paths) == [".png", ".svg"]
        for path in chart.paths:
            assert path.parent == folder / "charts" and path.stat().st_size > 1000
        png = next(p for p in chart.paths if p.suffix == ".png")
        with Image.open(png) as image:
            assert image.format == "PNG"
            assert all(round(dpi) >= 200 for dpi in image.info["dpi"])
            assert image.size[0] > 1000
        assert chart_text(folder, chart.name).lstrip().startswith("<?xml")
    # nothing half-written or temporary is left next to the charts
    expected = {f"{name}.{suffix}" for name in ALL_CHARTS for suffix in ("png", "svg")} | {"captions.md"}
    assert {p.name for p in (folder / "charts").iterdir()} == expected


def test_captions_list_every_chart_with_what_its_intervals_mean(drawn: tuple[Path, list]) -> None:
    folder, charts = drawn
    captions = (folder / "charts" / "captions.md").read_text(encoding="utf-8")
    for chart in charts:
        assert f"## {chart.name}" in captions
        assert f"{chart.name}.png" in captions
        assert chart.caption in captions
    by_name = {chart.name: chart.caption for chart in charts}
    assert "95% confidence intervals" in by_name["flows"]
    assert "5th to the 95th percentile across replications" in by_name["occupancy"]
    assert "replication(s) 0, 1" in by_name["waiting_times"]


def test_every_chart_carries_the_stamp_of_the_run(drawn: tuple[Path, list]) -> None:
    folder, charts = drawn
    for chart in charts:
        text = chart_text(folder, chart.name)
        assert "Synthetic test run" in text
        assert "2 replication(s)" in text
        assert "Amparo 9.9.9" in text


def test_resources_nobody_asked_for_or_waited_for_are_noted_not_dropped(drawn: tuple[Path, list]) -> None:
    folder, _ = drawn
    waiting = chart_text(folder, "waiting_times")
    assert waiting.count("No requests for this resource") == 2  # officers south, alternative care
    assert "Nobody waited" in waiting  # officers north: all served at once
    assert "2 who waited" in waiting  # care units
    assert "1 left the line unserved" in waiting and "1 still waiting at the end" in waiting  # shelters


def test_detention_chart_marks_the_mean_the_legal_maximum_and_the_stays_beyond_it(
        drawn: tuple[Path, list]) -> None:
    folder, _ = drawn
    detention = chart_text(folder, "detention_days")
    assert "mean 36.7 days" in detention  # (3 + 12 + 95) / 3
    assert "legal maximum 90 days" in detention
    assert "1 stays longer than the legal maximum" in detention
    assert "1 children still detained at the end" in detention


def test_no_legal_maximum_is_said_in_words(tmp_path: Path) -> None:
    folder = make_synthetic_run(tmp_path / "run", max_detention_days="inf")
    draw_detention_days(read_visits(folder / "visits.csv"), read_manifest(folder), folder / "charts")
    assert "no legal maximum set" in chart_text(folder, "detention_days")


@pytest.mark.slow
def test_a_run_without_any_visit_draws_every_chart(tmp_path: Path) -> None:
    folder = make_synthetic_run(tmp_path / "run", visits=[])
    assert {chart.name for chart in draw_run_charts(folder)} == ALL_CHARTS
    assert chart_text(folder, "waiting_times").count("No requests for this resource") == len(RESOURCES)
    assert "No child" in chart_text(folder, "detention_days")


@pytest.mark.slow
def test_a_run_without_visit_records_draws_flows_and_occupancy(tmp_path: Path) -> None:
    folder = make_synthetic_run(tmp_path / "run", visits=None)
    assert [chart.name for chart in draw_run_charts(folder)] == ["flows", "occupancy", "occupancy_by_month"]
    assert "waiting_times" not in (folder / "charts" / "captions.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_redrawing_the_same_results_gives_the_same_svg(drawn: tuple[Path, list], tmp_path: Path) -> None:
    folder, charts = drawn
    copy = shutil.copytree(folder, tmp_path / "copy", ignore=shutil.ignore_patterns("charts"))
    redrawn = draw_run_charts(copy)
    assert [c.name for c in redrawn] == [c.name for c in charts]
    for chart in charts:
        assert chart_text(copy, chart.name) == chart_text(folder, chart.name)


def test_the_monthly_chart_names_the_months_and_every_resource(drawn: tuple[Path, list]) -> None:
    folder, _ = drawn
    text = chart_text(folder, "occupancy_by_month")
    assert all(month in text for month in ("Jan", "Mar", "Dec"))
    assert all(label in text for _, label in RESOURCES)
    assert "Northern border" in text and "Southern border" in text


def test_a_flow_missing_from_the_summary_is_named_in_the_caption(tmp_path: Path) -> None:
    folder = make_synthetic_run(tmp_path / "run")
    summary = folder / "summary.csv"
    lines = summary.read_text(encoding="utf-8").splitlines()
    summary.write_text("\n".join(line for line in lines if not line.startswith("new_reached_united_states,"))
                       + "\n", encoding="utf-8")
    flows = draw_flows(folder, read_manifest(folder), folder / "charts")
    assert "so not drawn: new_reached_united_states" in flows.caption


def test_charts_cover_every_resource_of_the_model() -> None:
    assert {name for name, _ in RESOURCES} == set(RESOURCE_NAMES)


def test_visit_reader_groups_by_resource_and_tells_unserved_from_still_waiting(
        drawn: tuple[Path, list]) -> None:
    folder, _ = drawn
    visits = read_visits(folder / "visits.csv")
    assert visits.replications == (0, 1)
    assert visits.of("alternative_care").n_requests == 0
    np.testing.assert_allclose(visits.of("care_units").waits(), [0.0, 0.5, 2.0])
    shelters = visits.of("shelters")
    assert (shelters.n_requests, shelters.n_left_unserved, shelters.n_still_waiting) == (3, 1, 1)
    stations = visits.of("migration_stations")
    np.testing.assert_allclose(stations.stays(), [3.0, 12.0, 95.0])
    assert stations.n_still_in_place == 1


@pytest.mark.parametrize(("text", "expected"), [("", NAN), ("nan", NAN), ("inf", math.inf), ("2.5", 2.5)])
def test_numbers_from_csv_text(text: str, expected: float) -> None:
    value = as_floats(["1", text])
    assert value[0] == 1.0
    assert (math.isnan(value[1]) and math.isnan(expected)) or value[1] == expected


@pytest.mark.slow
def test_model_and_charts_do_not_import_each_other() -> None:
    code = ("import sys, sim.model.amparo_model; "
            "assert not [m for m in sys.modules if m.startswith('sim.presentation.charts')], "
            "'the model imports charts'")
    subprocess.run([sys.executable, "-c", code], check=True)
    code = ("import sys, sim.presentation.charts.run_charts; "
            "assert 'sim.model.amparo_model' not in sys.modules and 'mesa' not in sys.modules, "
            "'charts import the model'")
    subprocess.run([sys.executable, "-c", code], check=True)
