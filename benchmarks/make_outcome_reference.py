"""Write the statistical reference the speed equivalence test compares the model with.

    python benchmarks/make_outcome_reference.py

Runs the model as it stands for `SEEDS` seeds of each case in `tests/regression/test_speed_equivalence.py`
and stores, for every outcome, the mean, standard deviation and number of replications with a
value (shares can be NaN). It was run once, on the model as it stood before the event-driven speed
work (commit 59db663), and should not need to be run again: a faster model must reproduce these
numbers statistically, not be compared with itself.
"""

from __future__ import annotations

import json
import math
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.experiments.replications import run_replications  # noqa: E402
from tests.regression.test_speed_equivalence import BASE_SEED, CASES, REFERENCE, SEEDS, YEARS  # noqa: E402


def summarise(outcomes: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean, standard deviation (ddof 1) and count of the non-NaN values of every outcome."""
    summary = {}
    for name in outcomes[0]:
        values = np.array([row[name] for row in outcomes], dtype=float)
        values = values[~np.isnan(values)]
        summary[name] = {"mean": float(values.mean()) if values.size else math.nan,
                         "sd": float(values.std(ddof=1)) if values.size > 1 else math.nan,
                         "n": int(values.size)}
    return summary


def main() -> None:
    reference = {"years": YEARS, "seeds": SEEDS, "base_seed": BASE_SEED, "cases": {}}
    with ProcessPoolExecutor(2) as executor:
        for case, parameters in CASES.items():
            results = run_replications(parameters, SEEDS, BASE_SEED, YEARS, executor, keep_tables=False)
            reference["cases"][case] = summarise([result.outcomes for result in results])
            print(f"{case}: {len(results)} replications")
    REFERENCE.parent.mkdir(exist_ok=True)
    REFERENCE.write_text(json.dumps(reference, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {REFERENCE}")


if __name__ == "__main__":
    main()
