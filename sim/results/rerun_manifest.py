"""What `amparo rerun` takes from a manifest, checked before anything runs.

A manifest is a file a user can edit. Every field `rerun` uses is checked for its type and range,
and the parameters are rebuilt with the model's own checks, so an edited manifest is one
`OutputError` naming the file, the key and what is allowed, never a traceback. (Whether the values
still describe the tables beside them is a separate question, answered by comparing the tables.)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sim.model.parameters import ParameterError
from sim.results.run_folder import OutputError, parameters_from_manifest

#: The ranges the commands that write run and compare folders allow.
MAX_REPLICATIONS = 100_000
MAX_SEED = 2**63 - 1
YEARS = (1 / 365, 100)
SCENARIO_KEYS = ("file", "title", "text")


def _whole(path: Path, manifest: dict, key: str, low: int, high: int) -> None:
    value = manifest.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise OutputError(f"{path}: {key}: must be a whole number from {low} to {high}, got {value!r:.60}")


def _parameters(path: Path, key: str, holder: Any) -> None:
    if not isinstance(holder, dict) or not isinstance(holder.get("parameters"), dict):
        raise OutputError(f"{path}: {key}: must be a table of parameter names and values")
    try:
        parameters_from_manifest(holder)
    except ParameterError as error:
        name, message = error.problems[0]
        raise OutputError(f"{path}: {key}.{name}: {message}") from None
    except (TypeError, ValueError) as error:  # an unknown name, or a text that is not a number
        raise OutputError(f"{path}: {key}: not the parameters of this version of Amparo ({error})") from None


def _texts(path: Path, key: str, holder: Any, names: tuple[str, ...]) -> None:
    if not isinstance(holder, dict) or any(not isinstance(holder.get(name), str) for name in names):
        raise OutputError(f"{path}: {key}: must be a table with the texts {', '.join(names)}")


def check_rerun_manifest(manifest: dict[str, Any], path: Path) -> None:
    """Raise OutputError unless `manifest` (of a run or compare folder) holds what rerun needs."""
    _whole(path, manifest, "replications", 1, MAX_REPLICATIONS)
    _whole(path, manifest, "base_seed", 0, MAX_SEED)
    years = manifest.get("years")
    if (isinstance(years, bool) or not isinstance(years, int | float) or not math.isfinite(years)
            or not YEARS[0] <= years <= YEARS[1]):
        raise OutputError(f"{path}: years: must be a number from 1/365 to {YEARS[1]:g}, got {years!r:.60}")
    if not isinstance(manifest.get("git_commit", ""), str):
        raise OutputError(f"{path}: git_commit: must be a text")
    if manifest.get("kind") == "run":
        _whole(path, manifest, "records_replications", 0, manifest["replications"])
        _texts(path, "scenario", manifest.get("scenario"), SCENARIO_KEYS)
        _parameters(path, "parameters", manifest)
        return
    scenarios = manifest.get("scenarios")
    if not isinstance(scenarios, list) or not scenarios:
        raise OutputError(f"{path}: scenarios: must be a list of the compared scenarios")
    for index, scenario in enumerate(scenarios):
        _texts(path, f"scenarios[{index}]", scenario, ("name", *SCENARIO_KEYS))
        _parameters(path, f"scenarios[{index}]", scenario)
