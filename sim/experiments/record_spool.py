"""A run's records kept on disk instead of in memory, so that memory stays flat in simulated time.

`SpooledColumns` is a column store for `sim.model.records.Records`: each compacted chunk of rows is
written to a temporary file and dropped from memory; when the run ends, the columns come back as
views of one memory map of that file. Pages of a mapped file belong to the kernel's page cache:
the process borrows them while it reads them, and the kernel can drop them at any time (they are
on disk), unlike the process's own (anonymous) memory.

The file is unnamed (`tempfile.TemporaryFile`: O_TMPFILE on Linux, unlinked at once elsewhere on
POSIX), so nothing is ever left behind, whatever stops the run (an exception, Ctrl-C, SIGKILL); its
disk space is freed when the last table of the run is dropped. It is made in Python's temporary
folder (the TMPDIR environment variable), which should be on a disk: on a tmpfs the records would
still be held in memory, only not counted as the process's own. A failure to write there (a full
disk) is a `RecordSpoolError` that says so.
"""

from __future__ import annotations

import contextlib
import mmap
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

#: Each column starts on a page of its own, so reading one column touches no page of another.
PAGE_BYTES = mmap.PAGESIZE
#: Bytes copied at a time when the file is laid out anew for more rows.
COPY_BLOCK_BYTES = 1 << 20


class RecordSpoolError(RuntimeError):
    """A run's records could not be kept on disk (the message names the folder and the cause)."""


class SpooledColumns:
    """One table's rows in an unnamed temporary file: one region per column, each with room for
    `capacity` rows (laid out anew, half as large again, when full), written chunk by chunk.

    Room never written takes no disk (the file is sparse). `finish()` maps the file once and
    returns the columns as plain numpy arrays viewing the map (one open file per table, not per
    column), so `check_invariants`, `compute_outcomes` and the model's last corrections work on
    them unchanged.
    """

    def __init__(self, types: list[type], expected_rows: int, folder: Path | None = None) -> None:
        self._types = [np.dtype(kind) for kind in types]
        self._folder = folder
        self.n_rows = 0
        self._file: BinaryIO | None = self._new_file(max(expected_rows, 1))

    def _new_file(self, capacity: int) -> BinaryIO:
        self._offsets: list[int] = []
        size = 0
        for kind in self._types:
            self._offsets.append(size)
            size += -(-capacity * kind.itemsize // PAGE_BYTES) * PAGE_BYTES
        self._capacity, self._size = capacity, size
        with self._saying_where():
            spool = tempfile.TemporaryFile(dir=self._folder)  # noqa: SIM115 (open until the run ends)
            spool.truncate(size)
        return spool

    def append(self, columns: Sequence[np.ndarray]) -> None:
        spool = self._open_file()
        end = self.n_rows + columns[0].size
        with self._saying_where():
            if end > self._capacity:
                spool = self._grow(max(end, self._capacity * 3 // 2))
            for column, kind, offset in zip(columns, self._types, self._offsets, strict=True):
                spool.seek(offset + self.n_rows * kind.itemsize)
                spool.write(np.ascontiguousarray(column, dtype=kind).data)
        self.n_rows = end

    @contextlib.contextmanager
    def _saying_where(self) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            folder = self._folder or tempfile.gettempdir()
            raise RecordSpoolError(f"{folder}: cannot keep a long run's records on disk here "
                                   f"({error.strerror or error}); make room there, or set TMPDIR to a "
                                   "folder on a disk with room") from error

    def _grow(self, capacity: int) -> BinaryIO:
        """Lay the file out anew with room for `capacity` rows, copying the rows stored so far."""
        old, old_offsets = self._file, self._offsets
        self._file = self._new_file(capacity)
        for kind, source, target in zip(self._types, old_offsets, self._offsets, strict=True):
            _copy_bytes(old, source, self._file, target, self.n_rows * kind.itemsize)
        old.close()
        return self._file

    def copy_with(self, recent: Sequence[np.ndarray]) -> list[np.ndarray]:
        spool = self._open_file()
        with self._saying_where():
            spool.flush()
        columns = []
        for column, kind, offset in zip(recent, self._types, self._offsets, strict=True):
            joined = np.empty(self.n_rows + column.size, dtype=kind)
            spool.seek(offset)
            wanted = self.n_rows * kind.itemsize
            if spool.readinto(joined[: self.n_rows].view(np.uint8)) != wanted:
                raise OSError(f"the records' temporary file lost data ({wanted} bytes expected)")
            joined[self.n_rows:] = column
            columns.append(joined)
        return columns

    def finish(self) -> list[np.ndarray]:
        spool = self._open_file()
        with self._saying_where():
            spool.flush()
            # the map keeps the file (and its disk space) alive as long as a column views it
            pages = mmap.mmap(spool.fileno(), self._size)
        self.close()
        return [np.frombuffer(pages, dtype=kind, count=self.n_rows, offset=offset)
                for kind, offset in zip(self._types, self._offsets, strict=True)]

    def close(self) -> None:
        """Give the file back (a finished table's map keeps what it views)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _open_file(self) -> BinaryIO:
        if self._file is None:
            raise ValueError("these records are finished (or closed): no rows can be added or read")
        return self._file


class RecordSpool:
    """Makes the spooled column stores of one run (pass it as the model's `record_storage`).

    Used as a context manager, it closes on exit the files of stores whose run did not finish
    (an exception, Ctrl-C), at once rather than whenever the garbage collector gets to the model.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._stores: list[SpooledColumns] = []

    def __call__(self, types: list[type], expected_rows: int) -> SpooledColumns:
        store = SpooledColumns(types, expected_rows, self.folder)
        self._stores.append(store)
        return store

    def close(self) -> None:
        for store in self._stores:
            store.close()
        self._stores.clear()

    def __enter__(self) -> RecordSpool:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()


def _copy_bytes(source: BinaryIO, source_at: int, target: BinaryIO, target_at: int, size: int) -> None:
    source.flush()
    source.seek(source_at)
    target.seek(target_at)
    while size > 0:
        block = source.read(min(COPY_BLOCK_BYTES, size))
        if not block:
            raise OSError("the records' temporary file ended early")
        target.write(block)
        size -= len(block)
