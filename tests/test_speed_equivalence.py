"""The fast model reproduces, bit for bit, the results the model gave before it was made fast.

`tests/data/speed_fingerprint.json` was written by the model as it stood before the speed work
(`python tests/test_speed_equivalence.py --write`, which should never be needed again): for a few
seeds and two parameter sets, the full parameter values, a hash of every table column and, for
reference, the outcomes. Any optimisation that changes a single number in a table for a given seed
fails here. Outcomes are a pure function of the tables, so they are compared only where a name is in
both (the outcome set itself may grow without touching the model).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from sim.experiment import run_replication, run_replications
from sim.parameters import Parameters

FINGERPRINT = Path(__file__).parent / "data" / "speed_fingerprint.json"
YEARS = 0.3
CASES = {"baseline": Parameters(), "fewer arrivals": Parameters(arrival_multiplier=0.2)}
SEEDS = (1, 2, 3)


def column_hash(values: np.ndarray) -> str:
    """A hash of a column's values and dtype kind (int64 or float64 bytes)."""
    kind = "f" if values.dtype.kind == "f" else "i"
    data = values.astype(np.float64 if kind == "f" else np.int64)
    return kind + hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()[:24]


def fingerprint(parameters: Parameters, seed: int) -> dict:
    result = run_replication(parameters, seed, YEARS)
    return {"parameters": dataclasses.asdict(parameters),
            "outcomes": {name: float(value) for name, value in result.outcomes.items()},
            "tables": {f"{table}.{column}": column_hash(values)
                       for table, columns in result.tables.items() for column, values in columns.items()}}


def all_fingerprints() -> dict:
    return {f"{case} seed {seed}": fingerprint(parameters, seed)
            for case, parameters in CASES.items() for seed in SEEDS}


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", SEEDS)
def test_tables_and_outcomes_are_bit_identical_to_the_stored_fingerprint(case: str, seed: int) -> None:
    stored = json.loads(FINGERPRINT.read_text())[f"{case} seed {seed}"]
    now = fingerprint(Parameters(**stored["parameters"]), seed)
    assert now["tables"] == stored["tables"]
    shared = stored["outcomes"].keys() & now["outcomes"].keys()
    assert len(shared) >= 10
    changed = [name for name in shared if not _same(now["outcomes"][name], stored["outcomes"][name])]
    assert not changed


def test_two_workers_give_the_same_numbers_as_one() -> None:
    parameters = Parameters(arrival_multiplier=0.2)
    serial = run_replications(parameters, 3, 11, YEARS, keep_tables=False)
    with ProcessPoolExecutor(2) as executor:
        parallel = run_replications(parameters, 3, 11, YEARS, executor, keep_tables=False)
    for one, two in zip(serial, parallel, strict=True):
        assert one.seed == two.seed
        assert all(_same(one.outcomes[k], two.outcomes[k]) for k in one.outcomes)


if __name__ == "__main__":
    if "--write" not in sys.argv:
        sys.exit("run with --write to overwrite the stored fingerprint")
    FINGERPRINT.parent.mkdir(exist_ok=True)
    FINGERPRINT.write_text(json.dumps(all_fingerprints(), indent=1, sort_keys=True) + "\n")
