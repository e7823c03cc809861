"""Global sensitivity of the key outcomes to the uncertain parameters: Morris elementary effects (SALib).

Why Morris and not Sobol indices: Sobol needs N x (d + 2) runs for d parameters with N a power of
two in the hundreds to settle, thousands of runs for ten parameters; Morris screening ranks them
with r x (d + 1) runs (44 for ten parameters and four trajectories), which fits the shared 2-core
machine. mu* (mean absolute elementary effect) ranks influence; sigma large against mu* flags
non-linearity or interactions. Every run uses the same seed (common random numbers), so an
elementary effect is the parameter's effect, not a change of random numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from calibration.fit import run_streamed
from calibration.targets import FreeParameter
from sim.analysis.outcome_registry import View, outcomes_in
from sim.model.parameters import Parameters
from sim.model.random_streams import replication_seed

#: The outcomes screened: occupancy, waits, detention, detection.
KEY_OUTCOMES: tuple[str, ...] = outcomes_in(View.SENSITIVITY)


def _problem(uncertain: Sequence[FreeParameter]) -> dict[str, Any]:
    return {"num_vars": len(uncertain), "names": [p.name for p in uncertain],
            "bounds": [[p.low, p.high] for p in uncertain]}


def morris_design(uncertain: Sequence[FreeParameter], trajectories: int, levels: int,
                  seed: int) -> np.ndarray:
    """The Morris design: `trajectories` x (parameters + 1) rows of parameter values."""
    from SALib.sample import morris

    return morris.sample(_problem(uncertain), trajectories, num_levels=levels, seed=seed)


def run_design(base: Parameters, uncertain: Sequence[FreeParameter], design: np.ndarray, seed: int,
               years: float, runs_file: Path, executor: Executor | None = None,
               on_done: Callable[[int], None] | None = None) -> list[dict[str, float]]:
    """Every design row's outcomes, all with the same seed; streamed to `runs_file`."""
    names = [p.name for p in uncertain]
    run_seed = replication_seed(seed, 0)
    tasks = []
    for row, point in enumerate(design):
        inputs = dict(zip(names, (float(v) for v in point), strict=True))
        tasks.append((f"morris-{row}", base.replace(**inputs), run_seed, inputs))
    records = run_streamed(tasks, years, runs_file, executor, on_done)
    return [records[f"morris-{row}"]["outcomes"] for row in range(len(design))]


def morris_indices(uncertain: Sequence[FreeParameter], design: np.ndarray,
                   outcomes: Sequence[dict[str, float]], levels: int, seed: int,
                   outcome_names: Sequence[str] = KEY_OUTCOMES) -> list[dict[str, Any]]:
    """One row per (outcome, parameter): mu*, its 95% bootstrap half-width, mu, sigma, and mu*
    relative to the outcome's largest mu* (so outcomes of different units can share a chart)."""
    from SALib.analyze import morris

    rows = []
    for name in outcome_names:
        values = np.array([o[name] for o in outcomes], dtype=float)
        values = np.nan_to_num(values, nan=0.0)  # a share with nobody to share among counts as 0
        result = morris.analyze(_problem(uncertain), design, values, num_levels=levels, seed=seed)
        largest = float(np.max(result["mu_star"])) or 1.0
        for j, parameter in enumerate(uncertain):
            rows.append({"outcome": name, "parameter": parameter.name,
                         "mu_star": float(result["mu_star"][j]),
                         "mu_star_conf": float(result["mu_star_conf"][j]),
                         "mu": float(result["mu"][j]), "sigma": float(result["sigma"][j]),
                         "relative_mu_star": float(result["mu_star"][j]) / largest})
    return rows


def write_sensitivity_folder(out: Path, base: Parameters, base_file: str, uncertain: Sequence[FreeParameter],
                             trajectories: int, levels: int, seed: int, years: float, runs_file: Path,
                             executor: Executor | None = None, on_done: Callable[[int], None] | None = None,
                             draw_charts: Callable[[Path], Any] | None = None, overwrite: bool = False,
                             unique: bool = False) -> Path:
    """Run the Morris design (runs journaled in `runs_file`, so a killed screening resumes: the
    design depends only on the seed) and write the result folder atomically: morris.csv,
    design.csv, charts and the sealed manifest, which records the base values so that `amparo rerun`
    needs no other file. Return where the folder went."""
    import time

    from sim.results.run_folder import (
        parameters_as_dict,
        run_metadata,
        write_atomically,
        write_csv,
        write_final_manifest,
        write_json,
    )

    started = time.perf_counter()
    design = morris_design(uncertain, trajectories, levels, seed)
    outcomes = run_design(base, uncertain, design, seed, years, runs_file, executor, on_done)
    rows = morris_indices(uncertain, design, outcomes, levels, seed)

    def fill(folder: Path) -> None:
        write_csv(folder / "morris.csv", {key: [row[key] for row in rows] for key in rows[0]})
        write_csv(folder / "design.csv", {p.name: design[:, j] for j, p in enumerate(uncertain)})
        manifest = {"kind": "sensitivity", "method": "Morris (SALib)", "base": base_file,
                    "base_parameters": parameters_as_dict(base),
                    "parameters": [{"name": p.name, "low": p.low, "high": p.high, "reason": p.reason}
                                   for p in uncertain],
                    "trajectories": trajectories, "levels": levels, "runs": len(design), "years": years,
                    "seed": seed, "wall_seconds": round(time.perf_counter() - started, 3), **run_metadata()}
        write_json(folder / "manifest.json", {**manifest, "complete": False})
        if draw_charts is not None:
            draw_charts(folder)
        write_final_manifest(folder, manifest)

    return write_atomically(out, fill, overwrite, unique)


def rerun_sensitivity(manifest: dict[str, Any], target: Path, scratch: Path, executor: Executor | None = None,
                      draw_charts: Callable[[Path], Any] | None = None) -> Path:
    """Make the screening a sensitivity manifest records again into `target` (its runs journaled
    in `scratch`)."""
    from sim.results.run_folder import parameters_from_manifest

    base = parameters_from_manifest({"parameters": manifest["base_parameters"]})
    uncertain = [FreeParameter(p["name"], p["low"], p["high"], p["reason"]) for p in manifest["parameters"]]
    return write_sensitivity_folder(target, base, manifest["base"], uncertain, manifest["trajectories"],
                                    manifest["levels"], manifest["seed"], manifest["years"],
                                    scratch / "runs.jsonl", executor, draw_charts=draw_charts)
