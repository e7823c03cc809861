"""Tables written in the ecosystem's formats: CSV with meaningful digits, Parquet at full precision
with coded columns as categories, and a codebook of every coded column.

CSV is for reading and spreadsheets: floats keep `CSV_SIGNIFICANT_DIGITS` significant digits
(65839.55, not 65839.550000000003). Parquet (pyarrow) keeps every bit, and stores the coded columns
of the per-child records (route, exit, stage, ...) as dictionary columns holding their labels, so
pandas, polars or DuckDB read them as categories.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sim.model.schema import CODEBOOK

#: Significant digits of floats in CSV files (Parquet keeps full precision).
CSV_SIGNIFICANT_DIGITS = 6
#: Rows of a table turned into text at a time when it is written as CSV: the text of a long run's
#: records (a Python string per cell) would take ten times the memory of the records themselves.
CSV_BLOCK_ROWS = 65_536


def rounded(values: np.ndarray, digits: int = CSV_SIGNIFICANT_DIGITS) -> np.ndarray:
    """`values` rounded to `digits` significant digits (NaN, infinities and zeros unchanged)."""
    values = np.asarray(values, dtype=float)
    out = values.copy()
    finite = np.isfinite(values) & (values != 0)
    if finite.any():
        magnitude = np.floor(np.log10(np.abs(values[finite])))
        scale = 10.0 ** (digits - 1 - magnitude)
        out[finite] = np.round(values[finite] * scale) / scale
    return out


def _as_text(array: np.ndarray) -> list[str]:
    if array.dtype.kind in "iub":
        return array.astype(np.int64).astype(str).tolist()
    if array.dtype.kind == "f":
        return rounded(array).astype(str).tolist()  # numpy prints the shortest text of each float
    return [str(value) for value in array]


def write_csv(path: Path, columns: dict[str, Sequence | np.ndarray]) -> None:
    """Write equal-length columns as CSV: integers without decimals, floats to
    `CSV_SIGNIFICANT_DIGITS` significant digits, text quoted where needed."""
    arrays = _arrays(path, columns)
    n_rows = len(arrays[0]) if arrays else 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(columns))
        for start in range(0, n_rows, CSV_BLOCK_ROWS):
            texts = [_as_text(array[start:start + CSV_BLOCK_ROWS]) for array in arrays]
            writer.writerows(zip(*texts, strict=True))


def write_parquet(path: Path, columns: dict[str, Sequence | np.ndarray]) -> None:
    """Write the columns as Parquet at full precision; coded integer columns named in the codebook
    become dictionary (categorical) columns of their labels."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = _arrays(path, columns)
    fields = {}
    for name, array in zip(columns, arrays, strict=True):
        labels = CODEBOOK.get(name)
        if labels is not None and array.dtype.kind in "iu":
            fields[name] = pa.DictionaryArray.from_arrays(pa.array(array.astype(np.int32)), pa.array(labels))
        elif array.dtype.kind == "O":
            fields[name] = pa.array([None if value is None else str(value) for value in array], pa.string())
        else:
            fields[name] = pa.array(array)
    temporary = path.with_name(f".{path.name}.tmp")
    pq.write_table(pa.table(fields), temporary, compression="zstd")
    os.replace(temporary, path)


def write_table(folder: Path, name: str, columns: dict[str, Sequence | np.ndarray]) -> None:
    """`name`.csv and `name`.parquet in `folder`, from the same columns."""
    write_csv(folder / f"{name}.csv", columns)
    write_parquet(folder / f"{name}.parquet", columns)


def write_codebook(path: Path) -> None:
    """Every coded column's codes and labels, one row per code."""
    rows = [(column, code, label) for column, labels in CODEBOOK.items() for code, label in enumerate(labels)]
    write_csv(path, {"column": np.array([r[0] for r in rows], dtype=object),
                     "code": np.array([r[1] for r in rows]),
                     "label": np.array([r[2] for r in rows], dtype=object)})


def write_outcome_definitions(path: Path) -> None:
    """Every outcome's unit, label, kind and family (from the outcome registry): the units of the
    wide tables whose columns are outcomes (outcomes_by_replication.csv, a sweep's outcomes.csv)."""
    from sim.analysis.outcome_registry import ALL_OUTCOMES

    better = {True: "higher", False: "lower", None: ""}
    write_csv(path, {
        "outcome": np.array([o.name for o in ALL_OUTCOMES], dtype=object),
        "label": np.array([o.label for o in ALL_OUTCOMES], dtype=object),
        "unit": np.array([o.unit for o in ALL_OUTCOMES], dtype=object),
        "kind": np.array([str(o.kind) for o in ALL_OUTCOMES], dtype=object),
        "family": np.array([str(o.family) for o in ALL_OUTCOMES], dtype=object),
        "better_when": np.array([better[o.higher_is_better] for o in ALL_OUTCOMES], dtype=object),
        "description": np.array([o.description for o in ALL_OUTCOMES], dtype=object),
    })


def _arrays(path: Path, columns: dict[str, Sequence | np.ndarray]) -> list[np.ndarray]:
    arrays = [np.asarray(values) for values in columns.values()]
    if any(len(array) != len(arrays[0]) for array in arrays):
        raise ValueError(f"{path.name}: the columns have different lengths")
    return arrays
