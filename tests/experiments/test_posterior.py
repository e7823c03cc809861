"""Posterior draws: read from a CSV, resampled reproducibly, applied under the scenario's own levers,
run with common random numbers within a draw, and carried into the intervals of run, compare, size."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from sim.experiments.execution import make_executor
from sim.experiments.posterior_draws import (
    apply_draws,
    draw_base_seed,
    draw_from_posterior,
    posterior_interval,
    run_posterior_draws,
)
from sim.experiments.replications import run_replications
from sim.inputs.posterior import read_posterior
from sim.inputs.scenario import load_scenario
from sim.model.random_streams import replication_seed

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "scenarios" / "baseline_2008.toml").as_posix()
NAMES = ("mexican_departures_per_year", "share_unaccompanied_south")
QUICK = ("-r", "2", "--years", "0.05", "-w", "1")


def write_posterior(path: Path, particles: list[tuple[float, float, float]]) -> Path:
    """A posterior CSV: (weight, mexican_departures_per_year, share_unaccompanied_south) per particle."""
    lines = ["weight," + ",".join(NAMES)] + [f"{w!r},{m!r},{s!r}" for w, m, s in particles]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wide_posterior(path: Path, particles: int = 30) -> Path:
    """30 particles spread widely (departures from 20,000 to 200,000 a year), with uneven weights."""
    generator = np.random.default_rng(15)
    return write_posterior(path, [(float(generator.uniform(0.2, 2.0)),
                                   float(generator.uniform(20000, 200000)),
                                   float(generator.uniform(0.6, 0.9))) for _ in range(particles)])


def small_scenario(folder: Path, extra: str = "") -> Path:
    """The baseline with a twentieth of the arrivals and a short warm-up (fast), its own values above
    the calibration file."""
    path = folder / "small.toml"
    path.write_text(f'''title = "small"
description = "A twentieth of the arrivals and a short warm-up: fast tests."
extends = "{BASE}"
[uncertainties]
arrival_multiplier = 0.05
{extra}
[settings]
warmup_days = 10
''', encoding="utf-8")
    return path


def point_posterior(path: Path, scenario) -> Path:
    """A degenerate posterior: five equally weighted particles, all at the scenario's point values."""
    values = tuple(getattr(scenario.parameters, name) for name in NAMES)
    return write_posterior(path, [(1.0, *values)] * 5)


def same_outcomes(first, second) -> bool:
    """Every run's outcomes identical bit for bit (NaN for NaN) in two nested lists of runs."""
    def flat(by_draw):
        return json.dumps([[r.outcomes for r in results] for results in by_draw], sort_keys=True)

    return flat(first) == flat(second)


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- draws -----------------------------------------------------------------------------------------

def test_draws_are_the_same_for_the_same_seed_follow_the_weights_and_change_with_the_seed(tmp_path):
    particles = [(1.0, 50000.0, 0.7), (3.0, 80000.0, 0.8)]
    posterior = read_posterior(write_posterior(tmp_path / "p.csv", particles))
    assert posterior.weights.tolist() == [0.25, 0.75]
    first, again = draw_from_posterior(posterior, 400, 7), draw_from_posterior(posterior, 400, 7)
    assert first == again
    share = np.mean([d.particle == 1 for d in first])
    assert 0.68 < share < 0.82  # three times the weight, drawn about three times as often
    assert [d.particle for d in draw_from_posterior(posterior, 400, 8)] != [d.particle for d in first]
    assert all(d.values == posterior.particle(d.particle) for d in first)
    assert posterior.particle(1) == {"mexican_departures_per_year": 80000.0, "share_unaccompanied_south": 0.8}
    assert len({d.base_seed for d in first}) == 400 and first[3].base_seed == draw_base_seed(7, 3)


def test_the_runs_of_posterior_draws_do_not_depend_on_the_number_of_workers(tmp_path):
    scenario = load_scenario(small_scenario(tmp_path))
    posterior = read_posterior(wide_posterior(tmp_path / "p.csv"))
    draws = draw_from_posterior(posterior, 3, 2008)
    drawn = apply_draws(scenario.parameters, list(scenario.set_above_calibration()), posterior, draws)
    alone = run_posterior_draws([drawn.parameters], draws, 2, 0.02)
    with make_executor(workers=2) as pool:
        shared = run_posterior_draws([drawn.parameters], draws, 2, 0.02, pool)
    assert same_outcomes(alone[0], shared[0])
    assert [[r.seed for r in d] for d in alone[0]] == [[replication_seed(draw.base_seed, i) for i in range(2)]
                                                       for draw in draws]


def test_a_lever_the_scenario_sets_above_its_calibration_is_kept_over_the_posterior(tmp_path):
    scenario = load_scenario(small_scenario(tmp_path, "mexican_departures_per_year = 50000.0"))
    posterior = read_posterior(wide_posterior(tmp_path / "p.csv"))
    drawn = apply_draws(scenario.parameters, list(scenario.set_above_calibration()), posterior,
                        draw_from_posterior(posterior, 6, 1))
    assert drawn.kept_by_scenario == ("mexican_departures_per_year",)
    assert drawn.set_by_posterior == ("share_unaccompanied_south",)
    assert {p.mexican_departures_per_year for p in drawn.parameters} == {50000.0}
    assert len({p.share_unaccompanied_south for p in drawn.parameters}) > 1
    # the calibrated value of the baseline (its calibration file) is replaced, not kept
    baseline = load_scenario(BASE)
    assert "mexican_departures_per_year" not in baseline.set_above_calibration()
    assert "child_protection_officers" in baseline.set_above_calibration()


def test_a_degenerate_posterior_runs_each_draw_as_the_point_run_of_its_seed(tmp_path):
    scenario = load_scenario(small_scenario(tmp_path))
    posterior = read_posterior(point_posterior(tmp_path / "p.csv", scenario))
    draws = draw_from_posterior(posterior, 2, 2008)
    drawn = apply_draws(scenario.parameters, list(scenario.set_above_calibration()), posterior, draws)
    assert drawn.parameters == [scenario.parameters] * 2
    by_draw = run_posterior_draws([drawn.parameters], draws, 2, 0.02)[0]
    for draw, results in zip(draws, by_draw, strict=True):
        plain = run_replications(scenario.parameters, 2, draw.base_seed, 0.02, keep_tables=False)
        assert same_outcomes([results], [plain])


def test_the_interval_over_draws_is_the_quantiles_of_the_draw_means():
    assert posterior_interval([1.0, 2.0, 3.0, 4.0, 5.0]) == (3.0, 1.2, 4.8)
    assert posterior_interval([2.0, 2.0]) == (2.0, 2.0, 2.0)
    assert all(np.isnan(posterior_interval([np.nan])))


# --- the commands, as a planner types them ------------------------------------------------------

def summary_of(folder: Path) -> dict[str, dict[str, str]]:
    return {row["outcome"]: row for row in read_rows(folder / "summary.csv")}


@pytest.mark.slow
def test_run_with_a_posterior_keeps_the_point_intervals_and_adds_wider_ones_for_a_wide_posterior(
        tmp_path, amparo):
    from sim.results.run_folder import summary_rows

    scenario_file = small_scenario(tmp_path)
    scenario = load_scenario(scenario_file)
    wide = wide_posterior(tmp_path / "wide.csv")
    folders = {}
    for name, extra in (("plain", ()), ("wide", ("--posterior", 4, "--posterior-file", wide))):
        folders[name] = tmp_path / name
        result = amparo("run", scenario_file, *QUICK, "--records", 0, "--out", folders[name], *extra)
        assert result.exit_code == 0, result.output
    plain, spread = summary_of(folders["plain"]), summary_of(folders["wide"])
    # the stochastic-only interval is the run at the point values, the same with or without posterior
    for outcome, row in plain.items():
        for column in ("mean", "ci_low", "ci_high", "replications"):
            assert spread[outcome][column] == row[column]
    assert "posterior_low" not in plain["new_repatriated_north"]
    assert (folders["plain"] / "outcomes_by_replication.csv").read_bytes() == \
        (folders["wide"] / "outcomes_by_replication.csv").read_bytes()
    # a degenerate posterior, with the same draw seeds, gives only the noise of a draw's mean
    point = read_posterior(point_posterior(tmp_path / "point.csv", scenario))
    draws = draw_from_posterior(point, 4, 2008)
    drawn = apply_draws(scenario.parameters, list(scenario.set_above_calibration()), point, draws)
    by_draw = run_posterior_draws([drawn.parameters], draws, 2, 0.05)[0]
    degenerate = {row["outcome"]: row for row in summary_rows(by_draw[0], by_draw)}

    def width(summary: dict, outcome: str) -> float:
        return float(summary[outcome]["posterior_high"]) - float(summary[outcome]["posterior_low"])

    # departures from 20,000 to 200,000 a year: the children leaving and handed back vary far beyond
    # the noise of a draw's mean
    for outcome in ("new_departures_mexico", "new_repatriated_north"):
        assert width(spread, outcome) > 3 * width(degenerate, outcome) > 0, outcome
    # the same draw seeds whatever the posterior: draw d, replication i
    runs = read_rows(folders["wide"] / "outcomes_by_draw.csv")
    assert [int(r["seed"]) for r in runs] == [r.seed for results in by_draw for r in results]
    assert runs[2]["seed"] == str(replication_seed(draw_base_seed(2008, 1), 0))
    manifest = json.loads((folders["wide"] / "manifest.json").read_text())
    record = manifest["posterior"]
    assert (record["draws"], record["file"], record["particles"]) == (4, str(wide), 30)
    assert record["set_by_posterior"] == {"small": list(NAMES)}
    assert record["kept_by_scenario"] == {"small": []}
    drawn = read_rows(folders["wide"] / "posterior_draws.csv")
    assert [int(row["draw"]) for row in drawn] == [0, 1, 2, 3]
    lines = (wide.read_text().splitlines())
    for row in drawn:
        particle = lines[int(row["posterior_line"]) - 1].split(",")
        assert float(row["mexican_departures_per_year"]) == pytest.approx(float(particle[1]), rel=1e-5)


@pytest.mark.slow
def test_compare_with_a_posterior_pairs_each_draw_across_scenarios(tmp_path, amparo):
    reference = small_scenario(tmp_path)
    other = tmp_path / "no_detention.toml"
    other.write_text(f'''title = "no detention"
description = "The small scenario without detention of unaccompanied children."
extends = "{reference.as_posix()}"
[levers]
detain_unaccompanied = false
''', encoding="utf-8")
    out = tmp_path / "comparison"
    result = amparo("compare", reference, other, *QUICK, "--posterior", 3, "--posterior-file",
                    wide_posterior(tmp_path / "wide.csv"), "--out", out)
    assert result.exit_code == 0, result.output
    runs = read_rows(out / "outcomes_by_draw.csv")
    assert len(runs) == 2 * 3 * 2
    by_run = {}
    for row in runs:
        by_run.setdefault((row["draw"], row["replication"]), []).append(row)
    for pair in by_run.values():
        first, second = pair
        assert first["seed"] == second["seed"]
        # departures do not depend on the detention policy: the same children in both scenarios
        assert first["new_departures_mexico"] == second["new_departures_mexico"]
    rows = {(r["outcome"], r["scenario"]): r for r in read_rows(out / "comparison.csv")}
    changed = rows[("detention_child_days", "no_detention")]
    low, high = float(changed["difference_posterior_low"]), float(changed["difference_posterior_high"])
    assert low <= float(changed["difference_posterior"]) <= high < 0
    draws = {d: [r for r in runs if r["draw"] == d] for d in ("0", "1", "2")}
    paired = [np.mean([float(b["detention_child_days"]) - float(a["detention_child_days"])
                       for a, b in zip([r for r in rows_ if r["scenario"] == "small"],
                                       [r for r in rows_ if r["scenario"] == "no_detention"], strict=True)])
              for rows_ in draws.values()]
    assert (low, high) == pytest.approx(tuple(np.quantile(paired, (0.05, 0.95))), rel=1e-5)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["posterior"]["set_by_posterior"] == {"small": list(NAMES), "no_detention": list(NAMES)}
    # made again from the manifest alone (no posterior file needed), bit for bit
    (tmp_path / "wide.csv").unlink()
    again = amparo("rerun", out, "-w", 1)
    assert again.exit_code == 0, again.output
    assert "Reproduced bit for bit" in again.output


@pytest.mark.slow
def test_size_with_a_posterior_counts_every_run_of_every_draw(tmp_path, amparo):
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(f'''title = "tiny"
description = "A twentieth of the arrivals, a short warm-up: fast tests."
extends = "{BASE}"
[levers]
child_protection_officers = 5
[uncertainties]
arrival_multiplier = 0.05
[settings]
warmup_days = 10
''', encoding="utf-8")
    out = tmp_path / "sizing"
    result = amparo("size", scenario, "--lever", "officers=0:40", "--standard",
                    "officer_interview_within_two_days", "--confidence", "0.5", *QUICK, "--posterior", 3,
                    "--posterior-file", wide_posterior(tmp_path / "wide.csv"), "--out", out)
    assert result.exit_code == 0, result.output
    runs = read_rows(out / "by_replication.csv")
    evaluations = {int(r["value"]): r for r in read_rows(out / "evaluations.csv")}
    for value, row in evaluations.items():
        at = [r for r in runs if int(r["value"]) == value]
        assert [(r["draw"], r["replication"]) for r in at] == [(str(d), str(i)) for d in range(3)
                                                               for i in range(2)]
        assert int(row["replications"]) == 6 and int(row["n_met"]) == sum(int(r["met"]) for r in at)
    manifest = json.loads((out / "manifest.json").read_text())
    answer = manifest["answer"]
    assert answer is not None and evaluations[answer]["meets_confidence"] == "1"
    if answer - 1 in evaluations:  # the search's answer is the fewest that passes: one less fails
        assert evaluations[answer - 1]["meets_confidence"] == "0"
    assert manifest["posterior"]["draws"] == 3
    assert "3 posterior draws x 2 replications" in (out / "summary.md").read_text()
