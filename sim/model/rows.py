"""The rows of a run's tables, as named records.

Each table's row is a named tuple: the same record holds one row (numbers) or a batch of rows
(numpy columns, one per field), so a column is always found by its name, and a table's column
names are its record's fields (`sim.model.schema`). Imports nothing of the model: every module
that writes rows can use them. The rows written once per event of an agent (a stage entered, a
visit ended, a child's record) are plain tuples of the same fields in the same order: a named
tuple costs several times as much to make, and these are made a hundred thousand times a year
(`tests/unit/test_calendar_and_ledger.py` checks that they line up).
"""

from __future__ import annotations

from typing import Any, NamedTuple


class ChildRow(NamedTuple):
    """A row (or a batch of rows, as columns) of the children table. The first fields are the
    child's `who` (`sim.model.codes.WHO_COLUMNS`)."""

    child_id: Any
    person_id: Any
    crossing: Any
    first_departed_at: Any
    route: Any
    origin: Any
    age: Any
    girl: Any
    accompanied: Any
    reason: Any
    far_from_border: Any
    trafficking_victim: Any
    in_need_of_protection: Any
    harmed_in_transit: Any
    point: Any
    screened_by_officer: Any
    needs_detected: Any
    held_with_adults: Any
    detained: Any
    diverted_to_detention: Any
    departed_at: Any
    apprehended_at: Any
    exit: Any
    exited_at: Any


class VisitRow(NamedTuple):
    """A row (or rows) of the visits table: one request for a resource place (`resource` is the
    code, the index in `RESOURCE_NAMES`; started_at NaN: never served; ended_at NaN: still open;
    `place` the index of the northern repatriation point the resource is at, -1 for the south)."""

    child_id: Any
    resource: Any
    requested_at: Any
    started_at: Any
    ended_at: Any
    place: Any


class StageRow(NamedTuple):
    """A row (or rows) of the stages table: a stage entered."""

    child_id: Any
    stage: Any
    entered_at: Any
