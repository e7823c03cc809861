"""One calibration from start to finished folder: fit, check runs, tables, report, charts, manifest.

The folder holds `calibration.json` (the settings, written first, so `--resume` can refuse a
different calibration), `runs.jsonl` (every simulation, streamed), then the final files, each
written atomically, and `manifest.json` last with `"complete": true`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from calibration.fit import Settings, coverage, posterior, reference_table, resampled
from calibration.hindcast import HindcastLine, HindcastYear, hindcast_runs, hindcast_table
from calibration.priors import Priors
from calibration.report import (
    COVERAGE_PASS,
    calibrated_point,
    calibrated_scenario_text,
    identification_rows,
    posterior_correlations,
    posterior_model_values,
    report_markdown,
    rows_csv,
    target_elasticities,
    write_tables,
    write_text_atomically,
)
from calibration.targets import Target
from calibration.validation import CheckSettings, check_runs, fit_table, predictive_runs, validation_table
from sim.model.parameters import Parameters
from sim.results.run_folder import parameters_as_dict, run_metadata, write_final_manifest, write_json

CALIBRATED_FILE = "calibrated_2008.toml"


class CalibrationMismatch(Exception):
    """`--resume` was asked for a folder that holds a different calibration."""


def start_record(base_file: str, settings: Settings, checks: CheckSettings, priors: Priors,
                 targets: Sequence[Target], base: Parameters) -> dict[str, Any]:
    """What defines a calibration: resuming is allowed only when this is unchanged. The base values
    of the parameters the calibration sets are left out: the fit replaces them."""
    fitted = set(priors.model_values({d.name: 1.0 for d in priors.dimensions}, base))
    return {"base": base_file, "settings": asdict(settings), "checks": asdict(checks),
            "priors": [asdict(d) for d in priors.dimensions], "targets": [asdict(t) for t in targets],
            "base_parameters": {k: v for k, v in parameters_as_dict(base).items() if k not in fitted}}


def begin(folder: Path, record: dict[str, Any], resume: bool) -> None:
    """Write (or, on resume, check) `calibration.json`."""
    path = folder / "calibration.json"
    if resume and path.exists():
        if json.loads(path.read_text(encoding="utf-8")) != json.loads(json.dumps(record, default=str)):
            raise CalibrationMismatch(f"{folder}: holds a calibration with other settings; resume it "
                                      "with the same options, or choose another --out")
        return
    folder.mkdir(parents=True, exist_ok=True)
    write_json(path, record)


def run_calibration(folder: Path, base: Parameters, record: dict[str, Any], priors: Priors,
                    targets: Sequence[Target], validation: Sequence[Target], conflicts: Sequence[dict],
                    settings: Settings, checks: CheckSettings,
                    hindcast: tuple[Sequence[HindcastYear], Sequence[HindcastLine]] = ((), ()),
                    executor: Executor | None = None, workers: int = 1,
                    on_done: Callable[[int], None] | None = None,
                    draw_charts: Callable[[Path], Any] | None = None) -> dict[str, Any]:
    """Fit, check, hindcast and write every result file into `folder`; return the manifest."""
    started = time.perf_counter()
    defaults = Parameters()
    table = reference_table(base, priors, targets, folder, settings, executor, on_done)
    result = posterior(table, np.array([t.value for t in targets]), priors, settings.accepted)
    checked = coverage(table, priors, settings)
    point, model_point = calibrated_point(priors, result, defaults)
    calibrated = base.replace(**model_point)
    calibrated_runs, no_officer_runs = check_runs(calibrated, settings.seed, checks, folder / "runs.jsonl",
                                                  executor, on_done)
    drawn = posterior_model_values(priors, result, defaults)
    draws = [base.replace(**{name: float(values[i]) for name, values in drawn.items()})
             for i in resampled(result, checks.predictive, settings.seed)]
    predictive = predictive_runs(draws, settings.seed, checks, folder / "runs.jsonl", executor, on_done)
    hindcast_years, hindcast_lines = hindcast
    later = hindcast_runs(hindcast_years, draws, settings.seed, checks, folder / "runs.jsonl", executor,
                          on_done)
    hindcasted = hindcast_table(hindcast_lines, later)
    fit = fit_table(targets, predictive, calibrated_runs)
    held_out = validation_table(validation, predictive, calibrated_runs, no_officer_runs)
    elasticities = target_elasticities(table, targets)
    identification = identification_rows(priors, result, elasticities, point)
    correlations = posterior_correlations(result)
    write_tables(folder, priors, targets, table, result, checked, defaults)
    rows_csv(folder / "fit.csv", fit)
    rows_csv(folder / "validation.csv", held_out)
    rows_csv(folder / "identification.csv", identification)
    if hindcasted:
        rows_csv(folder / "hindcast.csv", hindcasted)
    write_text_atomically(folder / CALIBRATED_FILE,
                          calibrated_scenario_text(priors, identification, model_point, settings))
    low, high = COVERAGE_PASS
    manifest = {
        "kind": "calibration", "title": "Calibration to " + ", ".join(t.figure for t in targets),
        "base": record["base"], "settings": asdict(settings), "checks": asdict(checks), "workers": workers,
        "tolerance": result.tolerance, "effective_sample_size": result.effective_sample_size,
        "simulations": settings.budget + 2 * checks.replications
        + checks.predictive * (1 + len(hindcast_years)),
        "dimensions": [{**asdict(d), "calibrated": point[d.name]} for d in priors.dimensions],
        "calibrated_values": model_point, "posterior_correlations": correlations.tolist(),
        "coverage": dict(zip(checked.names, checked.covered.tolist(), strict=True)),
        "coverage_passes": bool(all(low <= c <= high for c in checked.covered)),
        "all_targets_hit": all(row["hit"] for row in fit),
        "validation": {row["figure"]: row["result"] for row in held_out},
        "hindcast": {f"{row['year']} {row['figure']}": row["result"] for row in hindcasted},
        "wall_seconds": round(time.perf_counter() - started, 3), **run_metadata(),
    }
    report = report_markdown(manifest, fit, held_out, identification, conflicts, priors, correlations,
                             elasticities, targets, checked, hindcast_years, hindcasted)
    write_text_atomically(folder / "report.md", report)
    write_json(folder / "manifest.json", {**manifest, "complete": False})
    if draw_charts is not None:
        draw_charts(folder)
    return write_final_manifest(folder, manifest)


def rerun_calibration(original: Path, manifest: dict[str, Any], target: Path,
                      executor: Executor | None = None,
                      draw_charts: Callable[[Path], Any] | None = None) -> Path:
    """Make the calibration in `original` again into `target` from its `calibration.json` (the
    settings, priors, targets and base values it recorded); the held-out figures and source
    conflicts of the report are today's ledger's."""
    from calibration.priors import Prior
    from calibration.targets import Target, load_ledger
    from sim.results.run_folder import parameters_from_manifest

    record = json.loads((Path(original) / "calibration.json").read_text(encoding="utf-8"))
    settings, checks = Settings(**record["settings"]), CheckSettings(**record["checks"])
    priors = Priors(tuple(Prior(**{**d, "product": tuple(d["product"])}) for d in record["priors"]))
    targets = [Target(**t) for t in record["targets"]]
    _, validation, conflicts = load_ledger()
    base = parameters_from_manifest({"parameters": record["base_parameters"]})
    begin(target, record, resume=False)
    from calibration.hindcast import load_hindcast

    run_calibration(target, base, record, priors, targets, validation, conflicts, settings, checks,
                    load_hindcast(), executor, int(manifest.get("workers", 1)), draw_charts=draw_charts)
    return target
