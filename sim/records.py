"""A run's records: rows appended cheaply, kept compactly as one numpy column each.

The model appends rows (children, visits to resources, stage entries) as tuples, or a day's batch
as numpy columns; every `CHUNK_ROWS` rows they are moved into one growing numpy array per column,
in small types (identifiers int32, codes and flags int8, times float64), so memory grows by a few
dozen bytes per row, not by Python objects.
"""

from __future__ import annotations

import itertools

import numpy as np

Table = dict[str, np.ndarray]

TIME_COLUMNS = frozenset({"departed_at", "apprehended_at", "exited_at", "requested_at", "started_at",
                          "ended_at", "entered_at"})
#: Rows kept as Python tuples before they are compacted into numpy columns.
CHUNK_ROWS = 16_384


class Records:
    """One table's rows: appended one at a time as tuples to `rows` (cheap), or a batch at a time as
    numpy columns (`extend`), and moved every `CHUNK_ROWS` rows into one growing numpy array per
    column, in small types: identifiers int32, codes and flags int8, times float64 (`column_type`).

    `table()` returns the columns in those types. With `final=True` (no row will be added any
    more) the columns returned are the stored arrays themselves, so a finished run holds its
    records once, not twice.
    """

    def __init__(self, names: tuple[str, ...], expected_rows: int = CHUNK_ROWS) -> None:
        self.names = names
        self.rows: list[tuple] = []  # appended to directly by the model and the resources
        self._batches: list[list[np.ndarray]] = []
        self._n_batched = 0
        self._types = [column_type(name) for name in names]
        # room for the rows expected: memory never written to is never resident, and a column
        # that need not grow is never copied
        self._stored = [np.empty(max(expected_rows, CHUNK_ROWS), dtype=kind) for kind in self._types]
        self._n_stored = 0

    def extend(self, columns: list[np.ndarray]) -> None:
        """Add a batch of rows given as columns, in the order of `names`."""
        self._batches.append(columns)
        self._n_batched += columns[0].size

    def compact_if_full(self) -> None:
        if len(self.rows) + self._n_batched >= CHUNK_ROWS:
            self._store(self._recent(self.rows))
            self.rows.clear()  # the same list: the resources hold a reference to it
            self._batches.clear()
            self._n_batched = 0

    def _recent(self, rows: list[tuple], batches: list[list[np.ndarray]] = ()) -> list[np.ndarray]:
        matrix = rows_as_matrix(rows, self.names)
        batches = self._batches + list(batches)
        return [np.concatenate([batch[i] for batch in batches] + [matrix[:, i]], dtype=kind, casting="unsafe")
                for i, kind in enumerate(self._types)]

    def _store(self, columns: list[np.ndarray]) -> None:
        start, end = self._n_stored, self._n_stored + columns[0].size
        for i, column in enumerate(columns):
            stored = self._stored[i]
            if end > stored.size:
                # grow by half, in place (realloc: large arrays are remapped, not copied, so the
                # old and the new array are never resident at once); no view of it exists yet
                stored.resize(max(end, stored.size * 3 // 2), refcheck=False)
            stored[start:end] = column
        self._n_stored = end

    def table(self, extra_rows: list[tuple] = (), final: bool = False,
              extra_columns: list[np.ndarray] | None = None) -> Table:
        """The rows so far, `extra_rows` and `extra_columns` (rows given as columns), as columns.
        `final`: no row will be added any more."""
        recent = self._recent(self.rows + list(extra_rows), [extra_columns] if extra_columns else [])
        if final:
            self._store(recent)
            self.rows.clear()
            self._batches.clear()
            self._n_batched = 0
            return {name: stored[: self._n_stored] for name, stored in zip(self.names, self._stored,
                                                                           strict=True)}
        return {name: np.concatenate([stored[: self._n_stored], column])
                for name, stored, column in zip(self.names, self._stored, recent, strict=True)}


def column_type(name: str) -> type:
    """The numpy type a table column is kept and returned in."""
    if name in TIME_COLUMNS:
        return np.float64
    return np.int32 if name == "child_id" else np.int8



def rows_as_matrix(rows: list[tuple], names: tuple[str, ...]) -> np.ndarray:
    """Rows of numbers as a float matrix, one column per name."""
    flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=float, count=len(rows) * len(names))
    return flat.reshape(len(rows), len(names))
