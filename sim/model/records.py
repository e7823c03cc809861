"""A run's records: rows appended cheaply, kept compactly as one numpy column each.

The model hands rows (children, visits to resources, stage entries) over a batch at a time, as
numpy columns (rows written one at a time gather first in `sim.model.row_buffer.RowBuffer`); every
`CHUNK_ROWS` rows they are compacted into numpy columns in small types
(identifiers int32, codes and flags int8, times float64) and handed to a column store: by default
one growing numpy array per column in memory (`InMemoryColumns`), so memory grows by a few dozen
bytes per row, not by Python objects; or a file on disk (`sim.experiments.record_spool.SpooledColumns`), so
memory stays flat however long the run.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

Table = dict[str, np.ndarray]

TIME_COLUMNS = frozenset({"departed_at", "apprehended_at", "exited_at", "requested_at", "started_at",
                          "ended_at", "entered_at"})
#: Rows kept as Python tuples before they are compacted into numpy columns.
CHUNK_ROWS = 16_384


class ColumnStore(Protocol):
    """Where one table's compacted rows are kept, column by column, in the types given."""

    n_rows: int

    def append(self, columns: Sequence[np.ndarray]) -> None:
        """Add rows given as columns (one array per column, of equal lengths)."""

    def copy_with(self, recent: Sequence[np.ndarray]) -> list[np.ndarray]:
        """New arrays: the rows stored so far followed by `recent`; the store is unchanged."""

    def finish(self) -> list[np.ndarray]:
        """The stored columns themselves (writable): no row will be appended any more."""


#: Makes the store of one table from its column types and the number of rows expected.
ColumnStorage = Callable[[list[type], int], ColumnStore]


class Records:
    """One table's rows: added a batch at a time as numpy columns (`extend`), and moved every
    `CHUNK_ROWS` rows into the column store made by `storage` (default `InMemoryColumns`), in small
    types: identifiers int32, codes and flags int8, times float64 (`column_type`). So at most about
    one chunk of rows is held here.

    `table()` returns the columns in those types. With `final=True` (no row will be added any
    more) the columns returned are the stored arrays themselves, so a finished run holds its
    records once, not twice.
    """

    def __init__(self, names: tuple[str, ...], expected_rows: int = CHUNK_ROWS,
                 storage: ColumnStorage | None = None) -> None:
        self.names = names
        self._batches: list[list[np.ndarray]] = []
        self._n_batched = 0
        self._types = [column_type(name) for name in names]
        self._stored = (storage or InMemoryColumns)(self._types, max(expected_rows, CHUNK_ROWS))

    def extend(self, columns: list[np.ndarray]) -> None:
        """Add a batch of rows given as columns, in the order of `names`."""
        self._batches.append(columns)
        self._n_batched += columns[0].size

    def compact_if_full(self) -> None:
        if self._n_batched >= CHUNK_ROWS:
            self._stored.append(self._recent([]))
            self._batches.clear()
            self._n_batched = 0

    def _recent(self, rows: list[tuple], batches: list[list[np.ndarray]] = ()) -> list[np.ndarray]:
        matrix = rows_as_matrix(rows, self.names)
        batches = self._batches + list(batches)
        return [np.concatenate([batch[i] for batch in batches] + [matrix[:, i]], dtype=kind, casting="unsafe")
                for i, kind in enumerate(self._types)]

    def table(self, extra_rows: list[tuple] = (), final: bool = False,
              extra_columns: list[np.ndarray] | None = None) -> Table:
        """The rows so far, `extra_rows` and `extra_columns` (rows given as columns), as columns.
        `final`: no row will be added any more."""
        recent = self._recent(list(extra_rows), [extra_columns] if extra_columns else [])
        if final:
            self._stored.append(recent)
            self._batches.clear()
            self._n_batched = 0
            return dict(zip(self.names, self._stored.finish(), strict=True))
        return dict(zip(self.names, self._stored.copy_with(recent), strict=True))


class InMemoryColumns:
    """A table's rows in one numpy array per column, grown by half when full (the default store)."""

    def __init__(self, types: list[type], expected_rows: int) -> None:
        # room for the rows expected: memory never written to is never resident, and a column
        # that need not grow is never copied
        self._arrays = [np.empty(expected_rows, dtype=kind) for kind in types]
        self.n_rows = 0

    def append(self, columns: Sequence[np.ndarray]) -> None:
        start, end = self.n_rows, self.n_rows + columns[0].size
        for stored, column in zip(self._arrays, columns, strict=True):
            if end > stored.size:
                # grow by half, in place (realloc: large arrays are remapped, not copied, so the
                # old and the new array are never resident at once); no view of it exists yet
                stored.resize(max(end, stored.size * 3 // 2), refcheck=False)
            stored[start:end] = column
        self.n_rows = end

    def copy_with(self, recent: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [np.concatenate([stored[: self.n_rows], column])
                for stored, column in zip(self._arrays, recent, strict=True)]

    def finish(self) -> list[np.ndarray]:
        return [stored[: self.n_rows] for stored in self._arrays]


def column_type(name: str) -> type:
    """The numpy type a table column is kept and returned in."""
    if name in TIME_COLUMNS:
        return np.float64
    return np.int32 if name in ("child_id", "person_id") else np.int8



def rows_as_matrix(rows: list[tuple], names: tuple[str, ...]) -> np.ndarray:
    """Rows of numbers as a float matrix, one column per name."""
    flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=float, count=len(rows) * len(names))
    return flat.reshape(len(rows), len(names))
