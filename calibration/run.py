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

from calibration.fit import Settings, adjusted_posterior, calibrate, effective_sample_size
from calibration.report import (
    calibrated_scenario_text,
    calibrated_values,
    identification_rows,
    posterior_correlations,
    report_markdown,
    rows_csv,
    target_elasticities,
    write_tables,
    write_text_atomically,
)
from calibration.targets import FreeParameter, Target
from calibration.validation import CheckSettings, check_runs, fit_table, validation_table
from sim.model.parameters import Parameters
from sim.results.run_folder import run_metadata, write_final_manifest, write_json

CALIBRATED_FILE = "calibrated_2008.toml"


class CalibrationMismatch(Exception):
    """`--resume` was asked for a folder that holds a different calibration."""


def start_record(base_file: str, settings: Settings, checks: CheckSettings, free: Sequence[FreeParameter],
                 targets: Sequence[Target], base: Parameters) -> dict[str, Any]:
    """What defines a calibration: resuming is allowed only when this is unchanged. The base values
    of the fitted parameters are left out: the fit replaces them."""
    fitted = {p.name for p in free}
    return {"base": base_file, "settings": asdict(settings), "checks": asdict(checks),
            "free_parameters": [asdict(p) for p in free], "targets": [asdict(t) for t in targets],
            "base_parameters": {k: (v if v == v and abs(v) != float("inf") else str(v))
                                if isinstance(v, float) else v
                                for k, v in vars(base).items() if k not in fitted}}


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


def run_calibration(folder: Path, base: Parameters, record: dict[str, Any], free: Sequence[FreeParameter],
                    targets: Sequence[Target], validation: Sequence[Target], conflicts: Sequence[dict],
                    settings: Settings, checks: CheckSettings, executor: Executor | None = None,
                    workers: int = 1, on_done: Callable[[int], None] | None = None,
                    draw_charts: Callable[[Path], Any] | None = None) -> dict[str, Any]:
    """Fit, check and write every result file into `folder`; return the manifest."""
    started = time.perf_counter()
    generations = calibrate(base, free, targets, folder, settings, executor, on_done)
    final = generations[-1]
    posterior = adjusted_posterior(final, targets, free)
    values = calibrated_values(free, posterior)
    calibrated = base.replace(**values)
    calibrated_runs, no_officer_runs = check_runs(calibrated, settings.seed, checks, folder / "runs.jsonl",
                                                  executor, on_done)
    fit = fit_table(targets, final, calibrated_runs)
    held_out = validation_table(validation, final, calibrated_runs, no_officer_runs)
    elasticities = target_elasticities(generations[0], targets)
    identification = identification_rows(free, posterior, elasticities)
    correlations = posterior_correlations(posterior)
    write_tables(folder, free, targets, generations, posterior)
    rows_csv(folder / "fit.csv", fit)
    rows_csv(folder / "validation.csv", held_out)
    rows_csv(folder / "identification.csv", identification)
    write_text_atomically(folder / CALIBRATED_FILE, calibrated_scenario_text(free, identification, settings))
    manifest = {
        "kind": "calibration", "title": "Calibration to F01, F02, F03", "base": record["base"],
        "settings": asdict(settings), "checks": asdict(checks), "workers": workers,
        "kept_per_generation": settings.keep, "final_tolerance": final.tolerance,
        "effective_sample_size": effective_sample_size(final.weights),
        "simulations": settings.batch * settings.generations + 2 * checks.replications,
        "free_parameters": [{**asdict(p), "calibrated": values[p.name]} for p in free],
        "calibrated_values": values, "posterior_correlations": correlations.tolist(),
        "all_targets_hit": all(row["hit"] for row in fit),
        "validation": {row["figure"]: row["result"] for row in held_out},
        "wall_seconds": round(time.perf_counter() - started, 3), **run_metadata(),
    }
    report = report_markdown(manifest, fit, held_out, identification, conflicts, free, correlations, final,
                             elasticities, targets)
    write_text_atomically(folder / "report.md", report)
    write_json(folder / "manifest.json", {**manifest, "complete": False})
    if draw_charts is not None:
        draw_charts(folder)
    return write_final_manifest(folder, manifest)


def rerun_calibration(original: Path, manifest: dict[str, Any], target: Path,
                      executor: Executor | None = None,
                      draw_charts: Callable[[Path], Any] | None = None) -> Path:
    """Make the calibration in `original` again into `target` from its `calibration.json` (the
    settings, free parameters, targets and base values it recorded); the held-out figures and source
    conflicts of the report are today's ledger's."""
    from calibration.targets import FreeParameter, Target, load_ledger
    from sim.results.run_folder import parameters_from_manifest

    record = json.loads((Path(original) / "calibration.json").read_text(encoding="utf-8"))
    settings, checks = Settings(**record["settings"]), CheckSettings(**record["checks"])
    free = [FreeParameter(**p) for p in record["free_parameters"]]
    targets = [Target(**t) for t in record["targets"]]
    _, validation, conflicts = load_ledger()
    base = parameters_from_manifest({"parameters": record["base_parameters"]})
    begin(target, record, resume=False)
    run_calibration(target, base, record, free, targets, validation, conflicts, settings, checks, executor,
                    int(manifest.get("workers", 1)), draw_charts=draw_charts)
    return target
