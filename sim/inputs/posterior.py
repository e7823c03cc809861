"""Reading a posterior sample: the weighted particles a calibration leaves, one CSV a planner can open.

    weight,mexican_departures_per_year,share_unaccompanied_south
    0.8,65951.0,0.7348
    1.2,60210.0,0.7012

The header is `weight` and then one column per model parameter the calibration sets (each an
uncertainty of `sim.model.parameters`); each further line is one particle. Weights are non-negative
with a positive sum and are normalised on reading. Any mistake is one `ScenarioError` naming the
file, the line and column, and what is allowed; nothing is silently dropped or converted.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.inputs.input_error import ScenarioError
from sim.inputs.regular_file import UnreadableFile, read_regular_file
from sim.model.parameters import check_value, coerce, describe_allowed, field_by_name

#: Where `amparo calibrate` writes the posterior of the 2008 calibration (relative to the project).
DEFAULT_POSTERIOR_FILE = "calibration/posterior_2008.csv"
#: Largest posterior file read: 100,000 particles of a dozen parameters are about 15 MB.
MAX_POSTERIOR_BYTES = 64 * 1024 * 1024
WEIGHT_COLUMN = "weight"


@dataclass(frozen=True)
class Posterior:
    """Weighted particles: `values[k]` holds particle k's value of each parameter in `names`."""

    path: Path
    names: tuple[str, ...]
    values: tuple[tuple[float | int, ...], ...]
    weights: np.ndarray  # normalised to sum to 1
    sha256: str

    @property
    def particles(self) -> int:
        return len(self.values)

    def particle(self, index: int) -> dict[str, float | int]:
        """Particle `index` (0 = the first line after the header) as parameter name -> value."""
        return dict(zip(self.names, self.values[index], strict=True))

    def effective_sample_size(self) -> float:
        """Kish's effective sample size of the weights, 1 / sum(w^2)."""
        return float(1.0 / np.sum(self.weights ** 2))


def _number(path: Path, key: str, text: str, allowed: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(path, key, f"must be {allowed}, got {text.strip()!r}") from None
    if math.isnan(value):
        raise ScenarioError(path, key, f"must be {allowed}, got NaN")
    return value


def _header(path: Path, header: list[str]) -> tuple[str, ...]:
    names = [name.strip() for name in header]
    if not names or names[0] != WEIGHT_COLUMN:
        raise ScenarioError(path, "line 1", f"the header must start with {WEIGHT_COLUMN!r}, then one column "
                                            "per model parameter the calibration sets")
    fields = field_by_name()
    parameters = names[1:]
    if not parameters:
        raise ScenarioError(path, "line 1", "has no parameter column; after 'weight' give one column per "
                                            "model parameter the calibration sets")
    for position, name in enumerate(parameters, start=2):
        key = f"line 1, column {position} ({name!r})"
        if name not in fields:
            raise ScenarioError(path, key, "is not a model parameter; the allowed names are those of "
                                           "sim/model/parameters.py (the parameter table of docs/model.md)")
        if fields[name].metadata["kind"] != "uncertainty":
            raise ScenarioError(path, key, f"is a {fields[name].metadata['kind']}, not an uncertainty; a "
                                           "posterior holds only what nobody knows exactly, never what a "
                                           "planner decides or how the simulation runs")
        if parameters.index(name) != position - 2:
            raise ScenarioError(path, key, "appears twice; give each parameter once")
    return tuple(parameters)


def read_posterior(path: Path | str) -> Posterior:
    """The posterior sample in the CSV file at `path`, checked; `ScenarioError` naming the file, the
    line and column, and what is allowed otherwise."""
    path = Path(path)
    try:
        read = read_regular_file(path, MAX_POSTERIOR_BYTES)
        text = read.data.decode("utf-8-sig")
    except UnreadableFile as error:
        reason = "no such posterior file; run `amparo calibrate`, or give --posterior-file" \
            if error.missing else error.reason
        raise ScenarioError(path, None, reason) from None
    except UnicodeDecodeError:
        raise ScenarioError(path, None, "is not UTF-8 text; save the posterior as a UTF-8 CSV") from None
    if "\0" in text:
        raise ScenarioError(path, None, "holds a NUL character; a CSV file has none")
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise ScenarioError(path, None, "is empty; a posterior has a header (weight, then parameter names) "
                                        "and one line per particle")
    names = _header(path, rows[0])
    fields = field_by_name()
    weights, values = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(names) + 1:
            raise ScenarioError(path, f"line {line}", f"has {len(row)} values; the header has "
                                                      f"{len(names) + 1} columns")
        weight = _number(path, f"line {line}, column weight", row[0], "a non-negative number")
        if weight < 0 or math.isinf(weight):
            raise ScenarioError(path, f"line {line}, column weight",
                                f"must be a finite non-negative number, got {row[0].strip()!r}")
        particle = []
        for name, cell in zip(names, row[1:], strict=True):
            key = f"line {line}, column {name}"
            value = _number(path, key, cell, describe_allowed(fields[name]))
            problem = check_value(name, value)
            if problem:
                raise ScenarioError(path, key, problem)
            particle.append(coerce(name, value))
        weights.append(weight)
        values.append(tuple(particle))
    if not values:
        raise ScenarioError(path, None, "has a header but no particle; give one line per particle")
    total = math.fsum(weights)
    if total <= 0:
        raise ScenarioError(path, "column weight", "every weight is zero; weights must be non-negative "
                                                   "with a positive sum")
    return Posterior(path, names, tuple(values), np.asarray(weights, dtype=float) / total,
                     hashlib.sha256(read.data).hexdigest())
