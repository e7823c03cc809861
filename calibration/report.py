"""Writing a calibration folder: posterior sample, calibrated scenario file, fit and validation tables,
what the figures identify, and a Markdown report that links the charts.

Each file is written atomically; the manifest goes last with `"complete": true`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from calibration.fit import Generation, Posterior, Settings, point_estimate, weighted_quantile
from calibration.targets import FreeParameter, Target
from sim.results.run_folder import write_csv

#: Posterior 90% width / prior width below which a parameter counts as identified, and above which
#: it is left open (in between: narrowed).
IDENTIFIED_BELOW, OPEN_ABOVE = 0.5, 0.8
#: Posterior correlation beyond which two parameters are identified only together.
STRONG_CORRELATION = 0.5
#: Largest |elasticity| of any target below which no figure informs a parameter.
NO_INFLUENCE = 0.1


def target_elasticities(first: Generation, targets: Sequence[Target]) -> np.ndarray:
    """targets x parameters: the slope of log(simulated figure) on log(parameter) over the first
    generation's design, which spreads evenly over the whole prior box (least squares, all at once).

    A figure that is departures x share has elasticity 1 for both; a parameter with elasticity near
    0 for every figure is one the figures cannot inform, whatever the posterior sample shows.
    """
    logs = np.log(first.values)
    simulated = np.array([[t.simulated(o) for t in targets] for o in first.outcomes], dtype=float)
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


def identification_rows(free: Sequence[FreeParameter], posterior: Posterior,
                        elasticities: np.ndarray) -> list[dict[str, Any]]:
    """Per parameter: prior range, posterior median and 90% interval, the share of the prior range
    the interval still spans, the largest elasticity of a target to it, and a verdict in words:
    left open when no target responds to it, known only jointly when it sits on a ridge with
    another parameter, else identified or narrowed by the interval's width."""
    particles = posterior.values
    correlations = posterior_correlations(posterior)
    point = point_estimate(posterior)
    rows = []
    for j, parameter in enumerate(free):
        low, median, high = weighted_quantile(particles[:, j], posterior.weights, [0.05, 0.5, 0.95])
        width = (high - low) / (parameter.high - parameter.low)
        others = [(abs(correlations[j, k]), k) for k in range(len(free)) if k != j]
        strength, partner = max(others) if others else (0.0, j)
        influence = float(np.max(np.abs(elasticities[:, j])))
        if influence < NO_INFLUENCE:
            verdict = "left open: no target responds to it"
        elif strength >= STRONG_CORRELATION:
            verdict = f"only jointly with {free[partner].name} (r = {correlations[j, partner]:+.2f})"
        elif width < IDENTIFIED_BELOW:
            verdict = "identified"
        elif width <= OPEN_ABOVE:
            verdict = "narrowed"
        else:
            verdict = "left open"
        rows.append({"parameter": parameter.name, "prior_low": parameter.low, "prior_high": parameter.high,
                     "calibrated": float(point[j]), "posterior_median": float(median),
                     "posterior_p5": float(low), "posterior_p95": float(high),
                     "share_of_prior_range": float(width), "largest_elasticity": influence,
                     "verdict": verdict})
    return rows


def write_tables(folder: Path, free: Sequence[FreeParameter], targets: Sequence[Target],
                 generations: Sequence[Generation], posterior: Posterior) -> None:
    """posterior.csv (the accepted sample of the last generation, regression-adjusted, with the raw
    values simulated) and generations.csv (every run)."""
    names = [p.name for p in free]
    final = generations[-1]
    sample: dict[str, Any] = {"generation": [final.index] * len(final.accepted),
                              "candidate": final.accepted.tolist(),
                              "seed": [final.seeds[i] for i in final.accepted],
                              "weight": posterior.weights, "importance_weight": final.weights,
                              "distance": final.distances[final.accepted]}
    for j, name in enumerate(names):
        sample[name] = posterior.values[:, j]
    for j, name in enumerate(names):
        sample[f"simulated with {name}"] = posterior.raw[:, j]
    for target in targets:
        sample[f"simulated {target.figure}"] = [target.simulated(final.outcomes[i]) for i in final.accepted]
    write_csv_atomically(folder / "posterior.csv", sample)
    every: dict[str, list] = {"generation": [], "candidate": [], "seed": [], "distance": [], "accepted": [],
                              "weight": [], **{name: [] for name in names}}
    for generation in generations:
        weight_of = dict(zip(generation.accepted.tolist(), generation.weights.tolist(), strict=True))
        for i in range(len(generation.values)):
            every["generation"].append(generation.index)
            every["candidate"].append(i)
            every["seed"].append(generation.seeds[i])
            every["distance"].append(generation.distances[i])
            every["accepted"].append(int(i in weight_of))
            every["weight"].append(weight_of.get(i, 0.0))
            for j, name in enumerate(names):
                every[name].append(generation.values[i, j])
    write_csv_atomically(folder / "generations.csv", every)


def rows_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    write_csv_atomically(path, {key: [row[key] for row in rows] for key in rows[0]})


def _rounded(name: str, value: float) -> float:
    return round(value) if value >= 100 else round(value, 4)


def calibrated_scenario_text(free: Sequence[FreeParameter], identification: Sequence[dict[str, Any]],
                             settings: Settings) -> str:
    """The calibrated parameter file: a scenario of the fitted values that the baseline extends,
    each value with its interval, prior and verdict as a comment (tomlkit writes TOML with comments)."""
    import tomlkit

    document = tomlkit.document()
    document.add("title", "Calibrated values for 2008")
    document.add("description", tomlkit.string(
        "The values `amparo calibrate` fitted to F01, F02 and F03 (see calibration/report.md): the\n"
        f"posterior mean on the log scale of an ABC-PMC calibration with {settings.budget} simulations of "
        f"{settings.years:g} year(s),\nseed {settings.seed}. Written by the calibration; rerun it rather "
        "than editing by hand.\n", multiline=True))
    document.add(tomlkit.nl())
    uncertainties = tomlkit.table()
    for parameter, row in zip(free, identification, strict=True):
        value = tomlkit.item(float(_rounded(parameter.name, row["calibrated"])))
        value.comment(f"90%: {row['posterior_p5']:.4g}-{row['posterior_p95']:.4g}; prior "
                      f"{parameter.low:g}-{parameter.high:g}; {row['verdict'].split(';')[0]}")
        uncertainties.add(parameter.name, value)
    document.add("uncertainties", uncertainties)
    return tomlkit.dumps(document)


def calibrated_values(free: Sequence[FreeParameter], posterior: Posterior) -> dict[str, float]:
    point = point_estimate(posterior)
    return {p.name: float(_rounded(p.name, float(v))) for p, v in zip(free, point, strict=True)}


def _number(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3f}"


def report_markdown(manifest: dict[str, Any], fit: Sequence[dict], validation: Sequence[dict],
                    identification: Sequence[dict], conflicts: Sequence[dict], free: Sequence[FreeParameter],
                    correlations: np.ndarray, final: Generation, elasticities: np.ndarray,
                    targets: Sequence[Target]) -> str:
    """The calibration report in Markdown (charts are linked from `charts/`)."""
    settings = manifest["settings"]
    checks = manifest["checks"]
    all_hit = all(row["hit"] for row in fit)
    out = ["# Calibration report", "",
           f"ABC-PMC (approximate Bayesian computation by population Monte Carlo): {settings['budget']} "
           f"simulations of {settings['years']:g} year(s) in {settings['generations']} generations of "
           f"{settings['budget'] // settings['generations']}, keeping the closest "
           f"{manifest['kept_per_generation']} of each; seed {settings['seed']}; the accepted particles are "
           "then regression-adjusted on the log scale (Beaumont, Zhang and Balding 2002). Final tolerance "
           f"(root mean square relative error) {manifest['final_tolerance']:.4f}; effective sample size "
           f"{manifest['effective_sample_size']:.1f} of {len(final.accepted)} accepted particles. "
           f"{manifest['simulations']} simulations in all; wall time of the last session "
           f"{manifest['wall_seconds'] / 60:.1f} min on {manifest['workers']} worker(s) "
           f"({manifest['machine']['cpus']} cores; a resumed calibration counts only its last session).", "",
           "## Fit to the calibration targets", "",
           f"The calibrated point (`calibrated_2008.toml`) run for {checks['replications']} replications of "
           f"{checks['years']:g} year(s) with fresh seeds: mean, 5th-95th percentile over replications and "
           "relative error of the mean. The posterior predictive interval is the 5th-95th weighted "
           f"percentile of the accepted particles' own runs ({settings['years']:g} year each). A target "
           "is hit when the relative error is within its tolerance and the reported value is inside the "
           "posterior predictive interval.", "",
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
            "## Held-out validation (never fitted)", "",
            "F10 and F11 are predicted from the posterior (the accepted particles' runs); F12 from the "
            "calibrated point with and without its 172 officers, same seeds (paired).", "",
            "| figure | reported | predicted | 90% interval | calibrated point | rule | result |",
            "|---|---|---:|---:|---:|---|---|"]
    for row in validation:
        out.append(f"| {row['figure']} | {row['reported']} | {row['predicted']} | "
                   f"{_number(row['predicted_p5'])} - {_number(row['predicted_p95'])} | "
                   f"{_number(row['calibrated_point'])} | {row['rule']} | "
                   f"**{row['result']}** |")
    out += ["", "The calibrated point column is the mean of the calibrated point's own runs (for F12: "
            "detections a year with its 172 officers). A pass on an interval is weak when the interval is "
            "wide: F10 averages 2002-2007 while the model is set to 2008, and shelter admissions depend on "
            "`share_family_pickup_at_border`, which no target constrains, so its interval carries that "
            "uncertainty; compare the calibrated point with the reported value as well.", "",
            "## What the figures identify and what they leave open", "",
            "| parameter | prior | calibrated | posterior median | posterior 90% | share of prior range "
            "| verdict |",
            "|---|---|---:|---:|---:|---:|---|"]
    for row in identification:
        out.append(f"| `{row['parameter']}` | {row['prior_low']:g} - {row['prior_high']:g} | "
                   f"{row['calibrated']:.4g} | {row['posterior_median']:.4g} | {row['posterior_p5']:.4g} - "
                   f"{row['posterior_p95']:.4g} | {row['share_of_prior_range']:.0%} | {row['verdict']} |")
    out += ["", "Elasticity of each target to each parameter (slope of log figure on log parameter over "
            "the first generation's design, which covers the whole prior box):", "",
            "| parameter | " + " | ".join(t.figure for t in targets) + " |",
            "|---|" + "---:|" * len(targets)]
    for j, parameter in enumerate(free):
        out.append(f"| `{parameter.name}` | " + " | ".join(f"{elasticities[k, j]:+.2f}"
                                                          for k in range(len(targets))) + " |")
    out += ["", "Three counts cannot pin down seven parameters: F01 fixes departures x returned share, "
            "F02/F01 the unaccompanied share in the north, F03 the product of Central American departures, "
            "apprehension and the unaccompanied share in the south. The pairwise correlations show those "
            "ridges; parameters on a ridge are known only together. With an effective sample size of "
            f"{manifest['effective_sample_size']:.0f}, the posterior intervals are rough, and a parameter no "
            "target responds to can look narrowed by chance of the particle population: the elasticities, "
            "not the interval, say whether the figures inform it.", "",
            "![Posterior marginals](charts/posterior_marginals.png)", "",
            "![Pairwise correlations](charts/posterior_correlations.png)", "",
            "Posterior correlations:", "",
            "| | " + " | ".join(f"{j + 1}" for j in range(len(free))) + " |",
            "|---|" + "---:|" * len(free)]
    for j, parameter in enumerate(free):
        out.append(f"| {j + 1} `{parameter.name}` | " + " | ".join(f"{correlations[j, k]:+.2f}"
                                                                  for k in range(len(free))) + " |")
    out += ["", "## Free parameters and their priors", "", "| parameter | prior (uniform) | why |",
            "|---|---|---|"]
    for parameter in free:
        out.append(f"| `{parameter.name}` | {parameter.low:g} - {parameter.high:g} | {parameter.reason} |")
    out += ["", "## Known conflicts between sources", ""]
    for conflict in conflicts:
        out.append(f"- {', '.join(conflict['figures'])}: {conflict['what']}. "
                   f"Treatment: {conflict['treatment']}.")
    out += ["", f"Produced by Amparo {manifest['amparo_version']} (commit {manifest['git_commit']}).", ""]
    return "\n".join(out)
