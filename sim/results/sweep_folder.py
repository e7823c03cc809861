"""Writing a sweep's folder in place, resumably: `sweep.json` first, runs as they finish, tables last.

    sweep.json        the sweep file's path and fingerprint (`--resume` refuses a different sweep)
    runs.jsonl        every finished run (`sim.experiments.run_journal`)
    experiments.csv   inputs and seed of every run, in (point, replication) order
    outcomes.csv      outcomes of every run, in the same order
    charts/           drawn by the caller's `draw_charts(folder)`
    manifest.json     the sweep's text and base values (so `amparo rerun` needs no other file),
                      sealed, with "complete": true, written last
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from sim.experiments.sweep import SweepSpec, design_points, run_sweep, tables
from sim.results.run_folder import (
    parameters_as_dict,
    run_metadata,
    write_csv,
    write_final_manifest,
    write_json,
)
from sim.results.table_files import write_outcome_definitions


def write_sweep_folder(spec: SweepSpec, sweep_file: Path, out: Path, executor: Executor | None = None,
                       on_done: Callable[[int, int], None] | None = None,
                       draw_charts: Callable[[Path], Any] | None = None,
                       on_step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every run of `spec` not yet in `out/runs.jsonl`, then write the tables, charts and the
    sealed manifest; return the manifest. `on_step` is told when the "Tables" and the "Charts" start."""
    started = time.perf_counter()
    write_json(out / "sweep.json", {"sweep_file": str(sweep_file), "fingerprint": spec.fingerprint})
    (out / "manifest.json").unlink(missing_ok=True)  # a resumed sweep is complete again only at the end
    runs = run_sweep(spec, out, executor, on_done)
    simulated = time.perf_counter() - started
    if on_step is not None:
        on_step("Tables")
    experiments, outcomes = tables(spec, runs)
    for name, table in (("experiments.csv", experiments), ("outcomes.csv", outcomes)):
        temporary = out / f".{name}.tmp"
        write_csv(temporary, table)
        os.replace(temporary, out / name)
    write_outcome_definitions(out / "outcome_definitions.csv")
    manifest = {"kind": "sweep", "title": spec.title, "sweep_file": str(sweep_file), "sweep_text": spec.text,
                "base": str(spec.base_file), "base_parameters": parameters_as_dict(spec.base),
                "design": spec.design, "points": len(design_points(spec)),
                "replications": spec.replications, "seed": spec.seed, "years": spec.years,
                "varied": [d.name for d in spec.dimensions], "runs": len(runs), "overrides": spec.overrides,
                "wall_seconds_this_session": round(simulated, 3), **run_metadata()}
    write_json(out / "manifest.json", {**manifest, "complete": False})
    if on_step is not None:
        on_step("Charts")
    if draw_charts is not None:
        draw_charts(out)
    return write_final_manifest(out, manifest)
