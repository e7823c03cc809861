"""The bookkeeping ledger: how many children are where, and every row of the run's tables.

Stages tell the ledger what happens (a child enters a stage, exits, children move in bulk); the
ledger keeps the counts (children in each stage, created, exited, the day's flows) and the rows
(`sim.model.records.Records`, fed one row at a time through `sim.model.row_buffer.RowBuffer` or a
batch at a time as columns). Moves of children counted in bulk are counted at the end of the day
they happen, and their stage rows wait apart until they have happened (tables never show what has
not happened yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.codes import Exit, Stage
from sim.model.parameters import DAYS_PER_YEAR, Parameters, children_per_year
from sim.model.records import CHUNK_ROWS, ColumnStorage, Records, column_type
from sim.model.row_buffer import RowBuffer
from sim.model.rows import ChildRow, StageRow
from sim.model.schema import CHILD_COLUMNS, STAGE_COLUMNS, VISIT_COLUMNS

if TYPE_CHECKING:
    from sim.model.departures import Departures
    from sim.model.resources import Resource

#: How often the stage rows of children counted in bulk are moved into the stage records.
MOVES_RECORDED_EVERY_DAYS = 30


class Ledger:
    """Counts and records of one run of `end_day` days."""

    def __init__(self, p: Parameters, end_day: int, record_storage: ColumnStorage | None = None) -> None:
        self.end_day = end_day
        # records, one row each (see AmparoModel.tables), with room for the rows expected
        per_day = children_per_year(p) / DAYS_PER_YEAR
        expected = int(per_day * end_day * 1.1) + CHUNK_ROWS
        self.visits = Records(VISIT_COLUMNS, expected * 2, record_storage)
        self.stages = Records(STAGE_COLUMNS, expected * 4, record_storage)
        self.children = Records(CHILD_COLUMNS, expected, record_storage)
        # rows written one at a time (agents' stage entries, visits and exits) gather here first
        self.visit_rows = RowBuffer(self.visits)
        self.stage_rows = RowBuffer(self.stages)
        self.child_rows = RowBuffer(self.children)
        self.daily_records: list[tuple] = []
        self.n_in_stage = [0] * len(Stage)
        self.n_created = 0
        self.n_exited = 0
        self._moves_to_record: list[StageRow] = []  # stage rows of bulk moves, see move_in_bulk
        self._exits_by_day: dict[int, list[tuple]] = {}  # exits to come, by day: see exit_later
        # moves of children counted in bulk, by the day they happen (applied at the day's end):
        # one column per stage, then exits, then accompanied handovers
        self._bulk_changes = np.zeros((end_day, len(Stage) + 1), dtype=np.int64)
        # departures drawn ahead, by day: Mexican, Mexican returned by the US, Central American
        self._departures = np.zeros((end_day, 3), dtype=np.int64)
        self._created = np.zeros(end_day, dtype=np.int64)  # children departing, by day
        self._next_child_id = 0
        self._departing: list[StageRow] = []  # departure rows not yet recorded (see depart)
        self._departing_day = np.empty(0, dtype=np.int64)
        self._handovers_today = [0, 0]  # accompanied, unaccompanied

    # --- departures ------------------------------------------------------------------------------
    def new_child_ids(self, n: int, day: int) -> np.ndarray:
        """Ids for `n` children departing on `day` (the ids of every table; agents keep theirs).
        They count as created at the end of that day."""
        first = self._next_child_id
        self._next_child_id += n
        self._created[day] += n
        return np.arange(first, first + n, dtype=np.int64)

    def new_crossing_ids(self, departed_at: np.ndarray) -> np.ndarray:
        """Ids for the records of children leaving again at `departed_at` (one each, in the order
        given); they count as created at the end of the day each leaves."""
        first = self._next_child_id
        self._next_child_id += departed_at.size
        np.add.at(self._created, departed_at.astype(np.int64), 1)
        return np.arange(first, first + departed_at.size, dtype=np.int64)

    def count_departures(self, first_day: int, departures: np.ndarray) -> None:
        """Departures of the days from `first_day` on, one row a day: Mexican, Mexican returned by
        the United States, Central American."""
        self._departures[first_day:first_day + len(departures)] = departures

    def depart(self, children: Departures, stage: Stage) -> None:
        """A batch of `children` leave home into `stage` (abroad or in transit), each at their
        `departed_at` (counted, like every move in bulk, at the end of that day)."""
        np.add.at(self._bulk_changes[:, stage], children.departed_at.astype(np.int64), 1)
        self._departing.append(StageRow(children.child_id, np.full(len(children), int(stage)),
                                        children.departed_at))

    def sort_departures(self) -> None:
        """Put the departure rows of the batch just drawn in the order children leave: day by day,
        a day's northern children first (each day's rows are written as the day starts, before
        anything else happens to its children)."""
        if not self._departing:
            return
        rows = StageRow(*(np.concatenate(column) for column in zip(*self._departing, strict=True)))
        day = rows.entered_at.astype(np.int64)
        order = np.lexsort((rows.entered_at, rows.stage, day))  # ABROAD (north) sorts before TRANSIT
        self._departing = [StageRow(*(column[order] for column in rows))]
        self._departing_day = day[order]

    def record_departures(self, day: int) -> None:
        """Write the stage rows of the children leaving home on `day`."""
        if not self._departing:
            return
        end = int(np.searchsorted(self._departing_day, day, side="right"))
        if end:
            rows = self._departing[0]
            self.stages.extend(StageRow(*(column[:end] for column in rows)))
            self._departing = [StageRow(*(column[end:] for column in rows))]
            self._departing_day = self._departing_day[end:]

    # --- children counted in bulk ---------------------------------------------------------------
    def record_moves(self, child_id: np.ndarray, entering: np.ndarray, times: np.ndarray) -> None:
        """Stage rows of children counted in bulk (their counts are kept by whoever moves them):
        held until they have happened, like those of `move_in_bulk`."""
        if child_id.size:
            self._moves_to_record.append(StageRow(child_id, entering, times))

    def count_moves(self, times: np.ndarray, leaving: Stage, entering: Stage) -> None:
        """Children counted in bulk move from `leaving` into `entering` (or exit) at `times`:
        counted at the end of the day each move happens."""
        day = times.astype(np.int64)
        day = day[day < self.end_day]
        changes = self._bulk_changes
        np.subtract.at(changes[:, leaving], day, 1)
        np.add.at(changes[:, entering], day, 1)  # the column of EXITED counts exits

    def move_in_bulk(self, child_id: np.ndarray, leaving: Stage, entering: Stage, times: np.ndarray) -> None:
        """Children counted in bulk move from stage `leaving` into `entering` (or exit) at `times`.

        The moves are counted at the end of the day they happen; their stage rows wait apart until
        the tables are read (`moves_due` gives those that have happened by then)."""
        self.count_moves(times, leaving, entering)
        self.record_moves(child_id, np.full(child_id.size, int(entering)), times)

    def record_moves_made(self, now: float) -> None:
        """Write now every stage row, held or buffered, of what has happened before `now` (rows
        written later, child by child, then follow them in the stage table)."""
        self.stage_rows.flush()
        self.stages.extend(self.moves_due(now))

    def moves_due(self, now: float) -> StageRow:
        """The stage rows of bulk moves made before `now`, as columns; later ones wait on."""
        if not self._moves_to_record:
            return StageRow(*(np.empty(0, dtype=kind) for kind in map(column_type, STAGE_COLUMNS)))
        moves = StageRow(*(np.concatenate(column) for column in zip(*self._moves_to_record, strict=True)))
        due = moves.entered_at < now
        self._moves_to_record = [StageRow(*(column[~due] for column in moves))]
        return StageRow(*(column[due] for column in moves))

    def count_handovers_in_bulk(self, times: np.ndarray) -> None:
        """Accompanied children handed over with their family at `times`."""
        day = times.astype(np.int64)
        np.add.at(self._bulk_changes[:, Stage.EXITED + 1], day[day < self.end_day], 1)

    def count_handovers_today(self, unaccompanied: int) -> None:
        """Unaccompanied children handed over today (accompanied ones: `count_handovers_in_bulk`)."""
        self._handovers_today[1] += unaccompanied

    def record_in_bulk(self, children: Departures, how: Exit, apprehended_at: np.ndarray | None,
                       exited_at: np.ndarray) -> None:
        """The children's rows, written at departure: times still in the future when the tables are
        read show as not yet happened."""
        n = len(children)
        no = np.zeros(n, dtype=np.int8)
        self.children.extend(ChildRow(
            child_id=children.child_id, person_id=children.person_id, crossing=children.crossing,
            first_departed_at=children.first_departed_at,
            route=np.full(n, int(children.route)), origin=children.origin,
            age=children.age, girl=children.girl, accompanied=children.accompanied,
            reason=children.reason, far_from_border=children.far_from_border,
            trafficking_victim=children.trafficking_victim,
            in_need_of_protection=children.in_need_of_protection,
            harmed_in_transit=children.harmed_in_transit, point=children.point, screened_by_officer=no,
            needs_detected=no, held_with_adults=no, detained=no, diverted_to_detention=no,
            departed_at=children.departed_at,
            apprehended_at=np.full(n, np.nan) if apprehended_at is None else apprehended_at,
            exit=np.full(n, int(how)), exited_at=exited_at))

    # --- agents ---------------------------------------------------------------------------------
    def enter_stage(self, child: Any, stage: Stage, now: float) -> None:
        """Move `child` into `stage` at time `now` and record it."""
        counts = self.n_in_stage
        counts[child.stage] -= 1
        counts[stage] += 1
        child.stage = stage
        self.stage_rows.add((child.unique_id, stage, now))  # a StageRow (see sim.model.rows)

    def exit(self, child: Any, how: Exit, now: float) -> None:
        """`child`'s journey ends: record them and remove them from the Mesa model."""
        self.n_in_stage[child.stage] -= 1
        self.n_exited += 1
        child.stage = Stage.EXITED
        child.exit = how
        child.exited_at = now
        self.stage_rows.add((child.unique_id, Stage.EXITED, now))
        self.child_rows.add(child.record())
        child.place_visit = child.transfer_visit = None  # no child <-> visit cycle outlives the child
        child.remove()

    def exit_later(self, child: Any, how: Exit, at: float) -> None:
        """`child`'s journey will end at `at` whatever happens meanwhile (they hold no place and
        wait for nothing): they leave the Mesa model now, and their exit counts, like a move in
        bulk, at the end of the day it happens (the tables show it only once it has happened)."""
        child.exit = how
        child.exited_at = at
        self.child_rows.add(child.record())
        day = int(at)
        later = self._exits_by_day.get(day)
        if later is None:
            self._exits_by_day[day] = [(child.unique_id, at, child.stage)]
        else:
            later.append((child.unique_id, at, child.stage))
        child.place_visit = child.transfer_visit = None
        child.remove()

    # --- the end of a day -----------------------------------------------------------------------
    def close_day(self, day: int, warmup_days: int, resources: Sequence[Resource]) -> None:
        """What children counted in bulk did on `day` is counted, exits announced for it happen,
        rows gathered so far are compacted if there are enough of them, and, once the warm-up is
        over, the day's stocks and flows are recorded (`sim.model.schema.daily_columns`)."""
        changes = self._bulk_changes[day].tolist()
        counts = self.n_in_stage
        for stage in range(Stage.EXITED):
            counts[stage] += changes[stage]
        self.n_exited += changes[Stage.EXITED]
        self._handovers_today[0] += changes[Stage.EXITED + 1]
        self.n_created += int(self._created[day])
        exits = self._exits_by_day.pop(day, None)
        if exits:
            add = self.stage_rows.add
            for child_id, at, leaving in exits:
                counts[leaving] -= 1
                add((child_id, Stage.EXITED, at))
            self.n_exited += len(exits)
        if day % MOVES_RECORDED_EVERY_DAYS == 0:
            self.stages.extend(self.moves_due(float(day)))
        for rows in (self.visit_rows, self.stage_rows, self.child_rows):
            rows.flush_if_full()
            rows.records.compact_if_full()
        if day >= warmup_days:
            row = [day - warmup_days, *counts[: Stage.EXITED]]
            for resource in resources:
                row.append(resource.in_use)
                row.append(resource.n_waiting)
            row.extend(self._departures[day].tolist())
            row.extend(self._handovers_today)
            self.daily_records.append(tuple(row))
        self._handovers_today = [0, 0]

    def flush(self) -> None:
        """Hand every row written one at a time to its table's records."""
        for rows in (self.visit_rows, self.stage_rows, self.child_rows):
            rows.flush()
