"""Calibration: the ledger matches the sources, the fit recovers known values, the calibrated baseline
reproduces the targets, and `amparo calibrate` resumes after a kill to identical results."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import cli
from calibration.fit import ReferenceTable, Settings, coverage, posterior, reference_table, weighted_quantile
from calibration.priors import Prior, Priors, load_priors
from calibration.targets import Target, load_ledger
from sim.analysis.reported_figures import REPORTED
from sim.experiments.replications import run_replications
from sim.inputs.input_error import ScenarioError
from sim.inputs.scenario import load_scenario
from sim.model.parameters import Parameters

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT.parent / "shared" / "reference" / "figures.csv"
PRIORS = FIGURES.with_name("priors.csv")
SHORT = ROOT / "tests" / "data" / "short_warmup.toml"
TINY = ["--budget", "12", "--accepted", "4", "--truths", "4", "--predictive", "2", "--years", "0.05",
        "--table-warmup-days", "20",
        "--replications", "2", "--check-years", "0.05", "--base", str(SHORT)]


def amparo_command() -> list[str]:
    script = Path(sys.executable).with_name("amparo")
    return [str(script)] if script.exists() else [sys.executable, str(ROOT / "cli.py")]


def test_ledger_figures_match_the_reference_file():
    if not FIGURES.exists():
        pytest.skip(f"{FIGURES} is not beside this checkout")
    with open(FIGURES, newline="", encoding="utf-8") as handle:
        reference = {row["id"]: row for row in csv.DictReader(handle)}
    with open(FIGURES.with_name("priors.csv"), newline="", encoding="utf-8") as handle:
        priors = {row["id"]: row for row in csv.DictReader(handle)}
    content = tomllib.loads((ROOT / "calibration" / "targets.toml").read_text(encoding="utf-8"))
    checked = 0
    for section in ("calibration", "validation"):
        for figure, entry in content[section].items():
            if figure in priors:  # a sourced figure from outside the seeds (rep10, tot01)
                row = priors[figure]
                assert float(entry["value"]) == float(row["value"]), figure
                assert entry["year"] == row["year"] and entry["place"] == row["place"], figure
                checked += 1
                continue
            if figure not in reference:  # a derived target, e.g. F02/F01
                numerator, denominator = figure.split("/")
                ratio = float(reference[numerator]["value"]) / float(reference[denominator]["value"])
                assert entry["value"] == pytest.approx(ratio, abs=5e-5)
                continue
            row = reference[figure]
            assert float(entry["value"]) == float(row["value"]), figure
            assert entry["year"] == row["year"] and entry["place"] == row["where"], figure
            role = "calibration-target" if section == "calibration" else "validation"
            assert row["role"] == role, figure
            checked += 1
    assert checked == 8  # F01, F02, F03, rep10, tot01 fitted; F10, F11, F12 held out
    with open(PRIORS, newline="", encoding="utf-8") as handle:
        priors = {row["id"] for row in csv.DictReader(handle)}
    for conflict in content["conflict"]:
        for figure in conflict["figures"]:  # a figure or a prior
            assert figure in reference or figure in priors, figure
    shelters = {c["figures"][0]: c for c in content["conflict"]}["F05"]
    assert reference["F05"]["value"] == "27" and reference["F15"]["value"] == "23"
    assert "27" in shelters["what"] and "23" in shelters["what"]


def test_ledger_agrees_with_the_model_s_reported_figures():
    calibration, validation, _ = load_ledger()
    for target in calibration + validation:
        if target.outcome in REPORTED:
            assert REPORTED[target.outcome].figure == target.figure
            assert REPORTED[target.outcome].value == pytest.approx(target.value, rel=1e-3)
    assert [t.figure for t in calibration] == ["F01", "F02", "F03", "F02/F01", "rep10", "tot01"]
    assert {t.figure for t in validation} == {"F10", "F11", "F12"}
    assert not {t.figure for t in calibration} & {t.figure for t in validation}


def test_priors_hold_the_2008_values_and_declare_every_factor():
    priors = load_priors()
    fitted = {d.name: d for d in priors.fitted}
    assert fitted["share_unaccompanied_north"].low < 18129 / 32075 < fitted["share_unaccompanied_north"].high
    assert fitted["handed_back_per_year"].low < 32075 < fitted["handed_back_per_year"].high
    apprehended = fitted["unaccompanied_apprehended_per_year"]
    assert apprehended.low < 4314 < apprehended.high
    declared = {d.name for d in priors.declared}
    for quantity in priors.fitted:
        assert set(quantity.product) - {quantity.solve_for} <= declared
    # a parameter no target responds to is declared, never fitted (issue 15)
    assert "share_family_pickup_at_border" in declared
    for d in priors.dimensions:
        assert d.reason and 0 < d.low < d.high


@pytest.mark.parametrize(("text", "key", "says"), [
    ("[fitted.x]\nlow = 1\nhigh = 2\nreason = 'r'\n", "fitted.x", "not a model parameter"),
    ("[fitted.p]\nproduct = ['mexican_departures_per_year', 'share_apprehended_in_transit']\n"
     "solve_for = 'mexican_departures_per_year'\nlow = 1\nhigh = 2\nreason = 'r'\n",
     "fitted.p.product", "must be declared"),
    ("[fitted.p]\nproduct = ['mexican_departures_per_year', 'share_apprehended_in_transit']\n"
     "solve_for = 'share_unaccompanied_north'\nlow = 1\nhigh = 2\nreason = 'r'\n", "fitted.p.solve_for",
     "must be one of"),
    ("[fitted.share_unaccompanied_north]\nlow = 0.4\nhigh = 1.5\nreason = 'r'\n",
     "fitted.share_unaccompanied_north.high", "1"),
    ("[fitted.share_unaccompanied_north]\nlow = 0.4\nhigh = 0.6\nreason = 'r'\nstep = 2\n",
     "fitted.share_unaccompanied_north.step", "not a key"),
    ("[declared.share_unaccompanied_north]\nlow = 0.4\nhigh = 0.6\nreason = 'r'\n", "fitted",
     "no quantity to fit"),
])
def test_a_wrong_prior_is_one_clear_error(tmp_path, text, key, says):
    path = tmp_path / "priors.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load_priors(path)
    assert key in str(error.value) and says in str(error.value) and str(path) in str(error.value)


def _toy_table(priors: Priors, runs: int, noise: float, seed: int) -> ReferenceTable:
    """A reference table of a simulator known in closed form: each figure is its quantity times
    log-normal noise (as a count is a rate times Poisson noise), declared factors do nothing."""
    from calibration.fit import prior_design

    values = prior_design(priors, Settings(budget=runs, seed=seed))
    rng = np.random.default_rng(seed)
    fitted = [j for j, d in enumerate(priors.dimensions) if d.fitted]
    simulated = values[:, fitted] * np.exp(noise * rng.standard_normal((runs, len(fitted))))
    return ReferenceTable(priors.names, values, list(range(runs)), [{}] * runs, simulated)


TOY = Priors((Prior("handed_back_per_year", 20000, 45000, "toy", True,
                    ("mexican_departures_per_year", "share_of_mexican_departures_returned_by_united_states"),
                    "mexican_departures_per_year"),
              Prior("share_unaccompanied_north", 0.45, 0.7, "toy", True),
              Prior("share_of_mexican_departures_returned_by_united_states", 0.35, 0.7, "toy", False)))


@pytest.mark.slow
def test_coverage_check_finds_calibrated_intervals_calibrated_and_overconfident_ones_not():
    """On a simulator whose posterior is known to be well approximated, 90% intervals cover the
    truth in 85-95% of synthetic truths; the same check catches a method that ignores the noise
    (intervals from a table without noise, judged on noisy truths)."""
    table = _toy_table(TOY, 4000, noise=0.03, seed=5)
    checked = coverage(table, TOY, Settings(budget=4000, accepted=400, truths=200))
    assert checked.truths == 200
    assert np.all((checked.covered >= 0.85) & (checked.covered <= 0.95)), checked.covered
    assert checked.ranks.sum(axis=1).tolist() == [200, 200]
    # an overconfident method: the posterior is built from noiseless runs, but truths are noisy
    quiet = _toy_table(TOY, 4000, noise=0.0, seed=5)
    missed = 0
    for truth in range(0, 4000, 20):
        result = posterior(quiet, table.simulated[truth], TOY, 400, leave_out=truth)
        low, high = weighted_quantile(result.values[:, 0], result.weights, [0.05, 0.95])
        missed += not low <= table.values[truth, 0] <= high
    assert missed / 200 > 0.3


def test_regression_adjustment_moves_particles_onto_the_reported_product():
    """Where a figure is exactly the fitted product, the adjusted product reproduces it exactly, and
    the declared factor keeps its prior spread: which product, not which factors."""
    table = _toy_table(TOY, 600, noise=0.0, seed=3)
    result = posterior(table, np.array([32075.0, 0.5652]), TOY, 60)
    assert np.allclose(result.values[:, 0], 32075.0, rtol=1e-6)
    assert np.allclose(result.values[:, 1], 0.5652, rtol=1e-6)
    assert np.ptp(result.values[:, 2]) > 0.5 * (0.7 - 0.35)  # the declared factor is not pinned
    assert result.effective_sample_size > 0.5 * 60
    model = TOY.model_values(dict(zip(TOY.names, result.values[0], strict=True)), Parameters())
    assert model["mexican_departures_per_year"] * model[
        "share_of_mexican_departures_returned_by_united_states"] == pytest.approx(32075.0)


@pytest.mark.slow
def test_calibration_recovers_known_values_from_the_model():
    """Synthetic data from the model itself at known values: the posterior covers them, narrowly."""
    known = {"share_unaccompanied_north": 0.62, "unaccompanied_apprehended_per_year": 5000.0}
    priors = Priors((Prior("share_unaccompanied_north", 0.40, 0.80, "test", True),
                     Prior("unaccompanied_apprehended_per_year", 2500, 9000, "test", True,
                           ("central_american_departures_per_year", "share_apprehended_in_transit"),
                           "central_american_departures_per_year"),
                     Prior("share_apprehended_in_transit", 0.2, 0.5, "test", False)))
    base = Parameters(warmup_days=60, arrival_multiplier=0.2)  # a fifth of the children: fast
    truth_values = priors.model_values({**known, "share_apprehended_in_transit": 0.3}, base)
    truth = run_replications(base.replace(**truth_values), 4, base_seed=99, years=0.2, keep_tables=False)
    targets = []
    for figure, outcome in (("F02", "new_children_repatriated_north_unaccompanied"),
                            ("F03", "new_returned_south_unaccompanied")):
        value = float(np.mean([r.outcomes[outcome] for r in truth]))
        targets.append(Target(figure, value, outcome, "count per year", "synthetic", "-", "-", 0.05))
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(budget=200, accepted=50, seed=7, years=0.2, warmup_days=60)
        table = reference_table(base, priors, targets, Path(folder), settings)
    result = posterior(table, np.array([t.value for t in targets]), priors, settings.accepted)
    for j, dimension in enumerate(priors.fitted):
        low, high = weighted_quantile(result.values[:, j], result.weights, [0.05, 0.95])
        assert low <= known[dimension.name] <= high, (dimension.name, low, high)
        assert (high - low) < 0.5 * (dimension.high - dimension.low), dimension.name


def test_calibrated_baseline_reproduces_the_targets():
    baseline = load_scenario(ROOT / "scenarios" / "baseline_2008.toml")
    calibrated = tomllib.loads((ROOT / "calibration" / "calibrated_2008.toml").read_text(encoding="utf-8"))
    assert any(path.name == "calibrated_2008.toml" for path in baseline.chain)
    for name, value in calibrated["uncertainties"].items():
        assert getattr(baseline.parameters, name) == pytest.approx(value)
    priors = load_priors()
    written = {q.solve_for or q.name for q in priors.fitted}
    written |= {f for q in priors.fitted for f in q.product}
    assert written == set(calibrated["uncertainties"])  # nothing no target informs is written
    # a whole year: part of one would hold more or less than its share of the seasons' arrivals
    results = run_replications(baseline.parameters, 2, base_seed=4242, years=1.0, keep_tables=False)
    targets, _, conflicts = load_ledger()
    # F01, rep10 and tot01 cannot all hold (the ledger's conflict): the repeat-crossing figures must
    # come within twice their tolerance, every other target within its own
    at_odds = {"rep10", "tot01"}
    assert any(at_odds <= set(conflict["figures"]) for conflict in conflicts)
    for target in targets:
        simulated = float(np.mean([target.simulated(r.outcomes) for r in results]))
        allowed = target.tolerance * (2 if target.figure in at_odds else 1)
        assert abs(simulated / target.value - 1) <= allowed, (target.figure, simulated)


def _read(folder: Path) -> dict[str, bytes]:
    names = ("posterior.csv", "particles.csv", "reference_table.csv", "coverage.csv", "fit.csv",
             "validation.csv", "identification.csv", "hindcast.csv", "calibrated_2008.toml")
    return {name: (folder / name).read_bytes() for name in names}


@pytest.mark.slow
def test_calibrate_resumes_after_a_kill_to_identical_results(tmp_path):
    whole = tmp_path / "whole"
    result = CliRunner().invoke(cli.main, ["calibrate", *TINY, "--workers", "2", "--out", str(whole)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    manifest = json.loads((whole / "manifest.json").read_text())
    assert manifest["kind"] == "calibration" and manifest["complete"] is True
    assert (whole / "report.md").read_text().count("| F0") >= 4
    assert {p.name for p in (whole / "charts").iterdir()} >= {"fit.png", "fit.svg", "posterior_marginals.png",
                                                             "posterior_correlations.svg", "coverage.png",
                                                             "captions.md"}
    assert len((whole / "runs.jsonl").read_text().splitlines()) == 12 + 4 + 2 + 3 * 2  # hindcast: 3 years
    assert "## Hindcast" in (whole / "report.md").read_text() and len(manifest["hindcast"]) == 4
    assert "Coverage" in (whole / "report.md").read_text() and manifest["effective_sample_size"] > 1

    killed = tmp_path / "killed"
    command = [*amparo_command(), "calibrate", *TINY, "--workers", "1", "--out", str(killed)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    runs = killed / "runs.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if runs.exists() and len(runs.read_text().splitlines()) >= 4:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the calibration finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    done_before = len(runs.read_text().splitlines())
    assert 4 <= done_before < 24 and not (killed / "manifest.json").exists()

    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert len(runs.read_text().splitlines()) == 24  # nothing run twice
    assert _read(killed) == _read(whole)  # and identical to one uninterrupted run on two workers

    again = CliRunner().invoke(cli.main, ["calibrate", *TINY, "--out", str(killed)])
    assert again.exit_code != 0 and "--resume" in again.output and "Traceback" not in again.output
    changed = [arg if arg != "12" else "16" for arg in TINY]
    other = CliRunner().invoke(cli.main, ["calibrate", *changed, "--out", str(killed), "--resume"])
    assert other.exit_code != 0 and "other settings" in other.output


@pytest.mark.slow
def test_sensitivity_screens_the_uncertain_parameters(tmp_path):
    out = tmp_path / "sensitivity"
    result = CliRunner().invoke(cli.main, ["sensitivity", "--trajectories", "2", "--years", "0.05", "--base",
                                           str(SHORT), "--workers", "1", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "sensitivity" and manifest["complete"] is True
    assert manifest["runs"] == 2 * (len(manifest["parameters"]) + 1)
    with open(out / "morris.csv", newline="") as handle:
        rows = {(row["outcome"], row["parameter"]): float(row["mu_star"]) for row in csv.DictReader(handle)}
    # Families picking children up at the border empty northern shelters; nothing in the south can.
    assert rows[("occupancy_shelters", "share_family_pickup_at_border")] > 0
    assert rows[("occupancy_shelters", "share_unaccompanied_south")] == 0
    assert rows[("occupancy_shelters", "return_arrangement_days_mean")] == 0
    assert (out / "charts" / "morris_mu_star.png").exists() and (out / "charts" / "captions.md").exists()
    again = CliRunner().invoke(cli.main, ["sensitivity", "--out", str(out)])
    assert again.exit_code != 0 and "--overwrite" in again.output


def test_hindcast_years_change_what_their_sources_say():
    from calibration.hindcast import load_hindcast

    years, lines = load_hindcast()
    assert [y.year for y in years] == [2009, 2010, 2011]
    base = Parameters()
    year_2011 = years[-1].applied_to(base)
    assert year_2011.child_protection_officers == 362  # opi03
    assert year_2011.shelters == 23  # F15
    expected = base.mexican_departures_per_year * 11519 / 18129  # rep19 over F02
    assert year_2011.mexican_departures_per_year == pytest.approx(expected, rel=1e-3)
    assert year_2011.central_american_departures_per_year == base.central_american_departures_per_year
    for year in years:
        assert all(year.sources[name] for name in year.values)
    assert {line.figure for line in lines} >= {"opi05", "rep21", "rep17"}
    assert all(line.can_fail_because and line.pass_when for line in lines)


@pytest.mark.parametrize(("text", "key"), [
    ("[year.2009]\nofficers = { value = 1, source = 's' }\n", "year.2009.officers"),
    ("[year.2009]\nshelters = { value = -1, source = 's' }\n", "year.2009.shelters.value"),
    ("[year.2009]\nshelters = 3\n", "year.2009.shelters"),
    ("[year.2009]\nshelters = { value = 3, source = 's' }\n[[line]]\nyear = 2010\nfigure = 'x'\n"
     "reported = 1\noutcome = 'new_returned_south'\ndefinition = 'd'\npass_when = 'p'\n"
     "can_fail_because = 'c'\n", "line[0].year"),
    ("[year.2009]\nshelters = { value = 3, source = 's' }\n[[line]]\nyear = 2009\nfigure = 'x'\n"
     "reported = 1\noutcome = 'no_such'\ndefinition = 'd'\npass_when = 'p'\ncan_fail_because = 'c'\n",
     "line[0].outcome"),
])
def test_a_wrong_hindcast_file_is_one_clear_error(tmp_path, text, key):
    from calibration.hindcast import load_hindcast

    path = tmp_path / "hindcast.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load_hindcast(path)
    assert key in str(error.value) and str(path) in str(error.value)
