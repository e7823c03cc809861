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
