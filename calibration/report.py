"""Writing a calibration folder: the reference table, the posterior (as particles and as model
parameters for `--posterior`), the coverage check, the calibrated scenario file, fit and validation
tables, what the figures identify, and a Markdown report that links the charts.

Each file is written atomically; the manifest goes last with `"complete": true`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from calibration.fit import RANK_BINS, Coverage, Posterior, ReferenceTable, Settings, weighted_quantile
from calibration.priors import Priors
from calibration.targets import Target
from sim.model.parameters import Parameters
from sim.results.run_folder import write_csv

#: Posterior 90% width / prior width below which a fitted quantity counts as identified.
IDENTIFIED_BELOW = 0.5
#: Largest |elasticity| of any target below which no figure informs a dimension (given the others).
NO_INFLUENCE = 0.1
#: The coverage check passes when every fitted quantity's 90% intervals cover the truth this often.
COVERAGE_PASS = (0.85, 0.95)


def target_elasticities(table: ReferenceTable, targets: Sequence[Target]) -> np.ndarray:
    """targets x dimensions: the slope of log(simulated figure) on log(value) over the reference
    table, which spreads evenly over the whole prior box (least squares, all dimensions at once, so
    each slope holds the others fixed).

    A figure that is a fitted product has elasticity 1 for it and 0 for its declared factors; a
    declared dimension with a clear elasticity is one the figures do inform, and should be fitted.
    """
    logs = np.log(table.values)
    simulated = table.simulated
    usable = np.all(np.isfinite(simulated) & (simulated > 0), axis=1)
    design = np.column_stack([np.ones(int(usable.sum())), logs[usable]])
    coefficients = np.linalg.lstsq(design, np.log(simulated[usable]), rcond=None)[0]
    return coefficients[1:].T


def write_csv_atomically(path: Path, columns: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    write_csv(temporary, columns)
    temporary.replace(path)


def write_text_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def posterior_correlations(posterior: Posterior) -> np.ndarray:
    """Weighted correlations of the adjusted particles (zeros off the diagonal when fewer than two
    particles carry weight)."""
    if np.count_nonzero(posterior.weights) < 2:
        return np.eye(posterior.values.shape[1])
    covariance = np.atleast_2d(np.cov(posterior.values, rowvar=False, aweights=posterior.weights))
    scale = np.sqrt(np.clip(np.diag(covariance), 1e-300, None))
    return covariance / np.outer(scale, scale)


def identification_rows(priors: Priors, result: Posterior, elasticities: np.ndarray,
                        point: dict[str, float]) -> list[dict[str, Any]]:
    """Per dimension: prior range, the value the calibrated baseline uses, posterior median and 90%
    interval, the share of the prior range it spans, the largest elasticity of a target to it, and
    a verdict that can fail: a fitted quantity the figures barely narrow, or a declared one they
    respond to, says so."""
    rows = []
    for j, dimension in enumerate(priors.dimensions):
        low, median, high = weighted_quantile(result.values[:, j], result.weights, [0.05, 0.5, 0.95])
        width = (high - low) / (dimension.high - dimension.low)
        influence = float(np.max(np.abs(elasticities[:, j])))
        if dimension.fitted:
            verdict = ("fitted: identified" if width < IDENTIFIED_BELOW and influence >= NO_INFLUENCE
                       else "fitted, but the figures hardly narrow it")
        elif influence < NO_INFLUENCE:
            verdict = "declared: no target informs it (prior kept)"
        else:
            verdict = f"declared, but a target responds to it (elasticity {influence:.2f}): fit it"
        rows.append({"dimension": dimension.name, "kind": "fitted" if dimension.fitted else "declared",
                     "prior_low": dimension.low, "prior_high": dimension.high,
                     "calibrated": float(point[dimension.name]), "posterior_median": float(median),
                     "posterior_p5": float(low), "posterior_p95": float(high),
                     "share_of_prior_range": float(width), "largest_elasticity": influence,
                     "verdict": verdict})
    return rows


def posterior_model_values(priors: Priors, result: Posterior, defaults: Parameters) -> dict[str, np.ndarray]:
    """The posterior as model parameters, one array per parameter (one entry per particle): the
    solved factor of each product from the adjusted product and the particle's own declared factors."""
    rows = [priors.model_values(dict(zip(result.names, particle, strict=True)), defaults)
            for particle in result.values]
    return {name: np.array([row[name] for row in rows]) for name in rows[0]}


def write_tables(folder: Path, priors: Priors, targets: Sequence[Target], table: ReferenceTable,
                 result: Posterior, checked: Coverage, defaults: Parameters) -> None:
    """reference_table.csv (every run), particles.csv (the accepted runs: adjusted and simulated
    values, distance, figures), posterior.csv (the posterior as model parameters with weights: the
    file `--posterior` reads) and coverage.csv (the simulation-based calibration check)."""
    accepted = {int(i): k for k, i in enumerate(result.accepted)}
    every: dict[str, Any] = {"run": list(range(len(table.values))), "seed": table.seeds,
                             "accepted": [int(i in accepted) for i in range(len(table.values))],
                             "weight": [float(result.weights[accepted[i]]) if i in accepted else 0.0
                                        for i in range(len(table.values))]}
    for j, name in enumerate(table.names):
        every[name] = table.values[:, j]
    for k, target in enumerate(targets):
        every[f"simulated {target.figure}"] = table.simulated[:, k]
    write_csv_atomically(folder / "reference_table.csv", every)
    particles: dict[str, Any] = {"run": result.accepted.tolist(), "weight": result.weights,
                                 "distance": result.distances}
    for j, name in enumerate(result.names):
        particles[name] = result.values[:, j]
    for j, name in enumerate(result.names):
        particles[f"simulated with {name}"] = result.raw[:, j]
    for k, target in enumerate(targets):
        particles[f"simulated {target.figure}"] = table.simulated[result.accepted, k]
    write_csv_atomically(folder / "particles.csv", particles)
    write_csv_atomically(folder / "posterior.csv",
                         {"weight": result.weights, **posterior_model_values(priors, result, defaults)})
    rows: dict[str, Any] = {"quantity": list(checked.names), "truths": [checked.truths] * len(checked.names),
                            "covered_by_90_percent_interval": checked.covered}
    for b in range(RANK_BINS):
        rows[f"rank_{b / RANK_BINS:.1f}_{(b + 1) / RANK_BINS:.1f}"] = checked.ranks[:, b]
    write_csv_atomically(folder / "coverage.csv", rows)


def rows_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    write_csv_atomically(path, {key: [row[key] for row in rows] for key in rows[0]})


def _rounded(name: str, value: float) -> float:
    return round(value) if value >= 100 else round(value, 4)


def calibrated_scenario_text(priors: Priors, identification: Sequence[dict[str, Any]],
                             model_point: dict[str, float], settings: Settings) -> str:
    """The calibrated parameter file that the baseline extends: each parameter set from a fitted
    quantity, with its quantity's interval and prior, and each declared factor of a product at its
    code default, marked as not calibrated (tomlkit writes TOML with comments). Declared parameters
    outside every product are left out: the baseline keeps their code default."""
    import tomlkit

    document = tomlkit.document()
    document.add("title", "Calibrated values for 2008")
    document.add("description", tomlkit.string(
        "The values `amparo calibrate` fitted to the 2008 figures (see calibration/report.md): the\n"
        "posterior mean on the log scale of each fitted quantity, from a reference table of "
        f"{settings.budget} simulations of {settings.years:g} year(s),\nseed {settings.seed}. "
        "Written by the calibration; rerun it rather than editing by hand.\n", multiline=True))
    document.add(tomlkit.nl())
    uncertainties = tomlkit.table()
    rows = {row["dimension"]: row for row in identification}
    for quantity in priors.fitted:
        row = rows[quantity.name]
        name = quantity.solve_for or quantity.name
        value = tomlkit.item(float(_rounded(name, model_point[name])))
        what = f"{quantity.name} = {row['calibrated']:.4g}" if quantity.product else "fitted"
        value.comment(f"{what}; 90%: {row['posterior_p5']:.4g}-{row['posterior_p95']:.4g}; prior "
                      f"{quantity.low:g}-{quantity.high:g}; {row['verdict']}")
        uncertainties.add(name, value)
        for factor in quantity.product:
            if factor != quantity.solve_for:
                item = tomlkit.item(float(_rounded(factor, model_point[factor])))
                prior = next(d for d in priors.declared if d.name == factor)
                item.comment(f"declared, not calibrated: the code default; prior "
                             f"{prior.low:g}-{prior.high:g}")
                uncertainties.add(factor, item)
    document.add("uncertainties", uncertainties)
    return tomlkit.dumps(document)


def calibrated_point(priors: Priors, result: Posterior,
                     defaults: Parameters) -> tuple[dict[str, float], dict[str, float]]:
    """(value of every dimension, model parameters) of the calibrated baseline: each fitted quantity
    at its posterior mean on the log scale, each declared one at its code default; the model
    parameters of the fitted quantities rounded as the scenario file writes them."""
    from calibration.fit import point_estimate

    point = point_estimate(result, priors)
    point.update({d.name: float(getattr(defaults, d.name)) for d in priors.declared})
    model = priors.model_values(point, defaults)
    return point, {name: float(_rounded(name, value)) for name, value in model.items()}


def _number(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3f}"


def _hindcast_section(years: Sequence[Any], rows: Sequence[dict], checks: dict) -> list[str]:
    if not rows:
        return []
    out = ["## Hindcast: later years, never fitted", "",
           f"Each year is run for {checks['years']:g} year(s) at each of {checks['predictive']} posterior "
           "draws "
           "with that year's inputs (calibration/hindcast.toml); every rule was written before the run.", "",
           "| year | input | value | source |", "|---|---|---:|---|"]
    for year in years:
        for name, value in year.values.items():
            out.append(f"| {year.year} | `{name}` | {value:g} | {year.sources[name]} |")
    out += ["", "| year | figure | reported | predicted mean | predicted 90% | error of the mean | result "
            "| what could make it fail |", "|---|---|---:|---:|---:|---:|---|---|"]
    for row in rows:
        out.append(f"| {row['year']} | {row['figure']}: {row['definition']} | {_number(row['reported'])} | "
                   f"{_number(row['predicted_mean'])} | {_number(row['predicted_p5'])} - "
                   f"{_number(row['predicted_p95'])} | {row['relative_error']:+.0%} | **{row['result']}** | "
                   f"{row['can_fail_because']} |")
    return [*out, ""]


def report_markdown(manifest: dict[str, Any], fit: Sequence[dict], validation: Sequence[dict],
                    identification: Sequence[dict], conflicts: Sequence[dict], priors: Priors,
                    correlations: np.ndarray, elasticities: np.ndarray, targets: Sequence[Target],
                    checked: Coverage, hindcast_years: Sequence[Any] = (),
                    hindcast: Sequence[dict] = ()) -> str:
    """The calibration report in Markdown (charts are linked from `charts/`)."""
    settings = manifest["settings"]
    checks = manifest["checks"]
    all_hit = all(row["hit"] for row in fit)
    low, high = COVERAGE_PASS
    out = ["# Calibration report", "",
           f"Approximate Bayesian computation on a reference table: {settings['budget']:,} simulations of "
           f"{settings['years']:g} year(s) drawn from the prior (scrambled Sobol design), of which the "
           f"{settings['accepted']:,} closest to the figures are kept, weighted by an Epanechnikov kernel "
           "of their distance (root mean square relative error) and regression-adjusted on the log scale "
           f"(Beaumont, Zhang and Balding 2002); seed {settings['seed']}. One generation: tolerance "
           f"{manifest['tolerance']:.4f}; effective sample size {manifest['effective_sample_size']:,.0f} of "
           f"{settings['accepted']:,} accepted runs. {manifest['simulations']:,} simulations in all; wall "
           f"time of the last session {manifest['wall_seconds'] / 60:.1f} min on {manifest['workers']} "
           f"worker(s) ({manifest['machine']['cpus']} cores; a resumed calibration counts only its last "
           "session).", "",
           "## Fit to the calibration targets", "",
           f"The calibrated point (`calibrated_2008.toml`) run for {checks['replications']} replications of "
           f"{checks['years']:g} year(s) with fresh seeds: mean, 5th-95th percentile over replications and "
           "relative error of the mean. The posterior predictive interval is the 5th-95th percentile of "
           f"{checks['predictive']} runs of {checks['years']:g} year(s), each at parameters drawn from the "
           "posterior. A target is hit when the relative error is within its tolerance and the reported "
           "value is inside the posterior predictive interval.", "",
           "| figure | reported | simulated mean | 90% over replications | relative error | tolerance "
           "| posterior predictive 90% | hit |",
           "|---|---:|---:|---:|---:|---:|---:|---|"]
    for row in fit:
        out.append(f"| {row['figure']} | {_number(row['reported'])} | {_number(row['simulated_mean'])} | "
                   f"{_number(row['simulated_p5'])} - {_number(row['simulated_p95'])} | "
                   f"{row['relative_error']:+.2%} | {row['tolerance']:.0%} | "
                   f"{_number(row['posterior_p5'])} - {_number(row['posterior_p95'])} | "
                   f"{'yes' if row['hit'] else 'NO'} |")
    out += ["", "Every target is hit." if all_hit else "Not every target is hit: see the rows marked NO.", "",
            "![Fit](charts/fit.png)", "",
            "## Coverage: does the method give honest intervals?", "",
            f"Simulation-based calibration: {checked.truths} runs of the table, spread over it, each in turn "
            "taken as the truth: its figures are the observed ones, it is left out of the table, and the "
            "posterior is computed as for the real figures. A calibrated method covers the truth with its "
            f"90% interval in about 90% of cases; the check passes between {low:.0%} and {high:.0%}, and the "
            "truth's rank in its posterior is then uniform (the rank histograms in `coverage.csv` and the "
            "chart).", "",
            "| fitted quantity | truths | covered by the 90% interval | result |", "|---|---:|---:|---|"]
    for name, share in zip(checked.names, checked.covered, strict=True):
        out.append(f"| `{name}` | {checked.truths} | {share:.0%} | "
                   f"{'pass' if low <= share <= high else '**miss**'} |")
    out += ["", "![Coverage](charts/coverage.png)", "",
            "## Held-out validation (never fitted)", "",
            "F10 and F11 are predicted from the posterior predictive runs; F12 from the calibrated point "
            "with and without its officers, same seeds (paired).", "",
            "| figure | reported | predicted | 90% interval | calibrated point | rule | result |",
            "|---|---|---:|---:|---:|---|---|"]
    for row in validation:
        out.append(f"| {row['figure']} | {row['reported']} | {row['predicted']} | "
                   f"{_number(row['predicted_p5'])} - {_number(row['predicted_p95'])} | "
                   f"{_number(row['calibrated_point'])} | {row['rule']} | "
                   f"**{row['result']}** |")
    out += ["", "The calibrated point column is the mean of the calibrated point's own runs (for F12: "
            "detections a year with its officers). The predicted intervals carry the declared "
            "uncertainties, drawn from their priors: F10 depends on `share_family_pickup_at_border`, which "
            "no target constrains.", "",
            *_hindcast_section(hindcast_years, hindcast, checks),
            "## What the figures identify and what they leave open", "",
            "The figures pin products, not their factors: F01 fixes departures x the share handed back, "
            "F02/F01 the unaccompanied share in the north, F03 the product of Central American departures, "
            "apprehension and the southern unaccompanied share. So each product is fitted as one quantity, "
            "and its factors are declared uncertainties: drawn from their priors in the table and the "
            "posterior, and kept at their code defaults in the calibrated baseline (the factor named to be "
            "solved for takes whatever value makes the product). A declared dimension a target responds to "
            "would be flagged below.", "",
            "| dimension | kind | prior | calibrated baseline | posterior median | posterior 90% | share of "
            "prior range | largest elasticity | verdict |",
            "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for row in identification:
        out.append(f"| `{row['dimension']}` | {row['kind']} | {row['prior_low']:g} - {row['prior_high']:g} | "
                   f"{row['calibrated']:.4g} | {row['posterior_median']:.4g} | {row['posterior_p5']:.4g} - "
                   f"{row['posterior_p95']:.4g} | {row['share_of_prior_range']:.0%} | "
                   f"{row['largest_elasticity']:.2f} | {row['verdict']} |")
    out += ["", "Elasticity of each target to each dimension (slope of log figure on log value over the "
            "reference table, which covers the whole prior box; all dimensions at once):", "",
            "| dimension | " + " | ".join(t.figure for t in targets) + " |",
            "|---|" + "---:|" * len(targets)]
    for j, dimension in enumerate(priors.dimensions):
        out.append(f"| `{dimension.name}` | " + " | ".join(f"{elasticities[k, j]:+.2f}"
                                                          for k in range(len(targets))) + " |")
    out += ["", "![Posterior marginals](charts/posterior_marginals.png)", "",
            "![Pairwise correlations](charts/posterior_correlations.png)", "",
            "Posterior correlations:", "",
            "| | " + " | ".join(f"{j + 1}" for j in range(len(priors.dimensions))) + " |",
            "|---|" + "---:|" * len(priors.dimensions)]
    for j, dimension in enumerate(priors.dimensions):
        out.append(f"| {j + 1} `{dimension.name}` | " + " | ".join(
            f"{correlations[j, k]:+.2f}" for k in range(len(priors.dimensions))) + " |")
    out += ["", "## Priors", "", "| dimension | kind | prior (uniform) | product of | why |",
            "|---|---|---|---|---|"]
    for d in priors.dimensions:
        out.append(f"| `{d.name}` | {'fitted' if d.fitted else 'declared'} | {d.low:g} - {d.high:g} | "
                   f"{', '.join(f'`{p}`' for p in d.product) or '-'} | {d.reason} |")
    out += ["", "## Known conflicts between sources", ""]
    for conflict in conflicts:
        out.append(f"- {', '.join(conflict['figures'])}: {conflict['what']}. "
                   f"Treatment: {conflict['treatment']}.")
    out += ["", f"Produced by Amparo {manifest['amparo_version']} (commit {manifest['git_commit']}).", ""]
    return "\n".join(out)
