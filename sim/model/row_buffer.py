"""Rows of numbers appended one at a time, cheaply, on their way to a table's records.

The model writes a row each time something happens to a child who is an agent (a stage entered,
a place given back, an exit). Keeping each row as a Python tuple until it is compacted costs an
object per row and a slow conversion later; appending the row's numbers to one flat list costs
neither (a third of the time per row, measured), and the list becomes numpy columns in one pass.
Every `CHUNK_ROWS` rows (and before the tables are read) the buffer hands its rows to the table's
`Records` as one batch.
"""

from __future__ import annotations

import numpy as np

from sim.model.records import CHUNK_ROWS, Records


class RowBuffer:
    """A table's rows as they are written: `add((a, b, ...))` appends one row, in the table's
    column order (numbers, flags and codes, made float64 by `flush`)."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self.width = len(records.names)
        self._values: list = []
        self.add = self._values.extend  # bound once: the hot paths call it directly

    def flush_if_full(self) -> None:
        if len(self._values) >= CHUNK_ROWS * self.width:
            self.flush()

    def flush(self) -> None:
        """Hand the rows so far to the records, as one batch of columns."""
        if not self._values:
            return
        values = self._values
        matrix = np.fromiter(values, dtype=np.float64, count=len(values)).reshape(-1, self.width)
        values.clear()  # the same list: `add` is bound to it
        self.records.extend([matrix[:, i].copy() for i in range(self.width)])
