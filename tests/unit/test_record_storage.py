"""Where a run's records are kept: in memory or spooled to disk, with the same tables bit for bit.

Long runs keep their records in an unnamed temporary file (`sim.experiments.record_spool`) so
that their memory
stays flat in simulated time; these tests check that nothing else changes: the same tables (also
mid-way through a run), the same outcomes, no file or open file left behind after a run or an
error, and no records piling up in the process's memory.
"""

from __future__ import annotations

import errno
import gc
import math
import mmap
import os
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import cli
import sim.experiments.replications
from sim.analysis.invariants import InvariantViolation
from sim.experiments.record_spool import RecordSpool
from sim.experiments.replications import run_replication, run_replications
from sim.model.amparo_model import AmparoModel
from sim.model.parameters import Parameters, children_per_year
from sim.model.records import CHUNK_ROWS, Records

#: The baseline's arrivals with a short warm-up: 0.4 years fill several chunks of rows.
SMALL = Parameters(warmup_days=30)


@pytest.fixture
def spool_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Python's temporary folder, for this test only: where the spooled records' files are made."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def assert_same_tables(first: dict, second: dict) -> None:
    assert list(first) == list(second)
    for name in first:
        assert list(first[name]) == list(second[name]), name
        for column in first[name]:
            a, b = first[name][column], second[name][column]
            assert a.dtype == b.dtype and a.shape == b.shape, (name, column)
            assert a.tobytes() == b.tobytes(), (name, column)


def on_disk(column: np.ndarray) -> bool:
    """Whether a table column views a memory-mapped file (spooled records)."""
    return isinstance(getattr(column.base, "obj", None), mmap.mmap)


def open_files() -> int:
    gc.collect()
    return len(os.listdir("/proc/self/fd"))


def test_tables_on_disk_equal_tables_in_memory_mid_way_and_at_the_end(spool_folder: Path):
    in_memory = AmparoModel(SMALL, seed=7, years=0.4)
    spooled = AmparoModel(SMALL, seed=7, years=0.4, record_storage=RecordSpool())
    for _ in range(110):  # past the warm-up, with chunks stored already
        in_memory.step()
        spooled.step()
    middle = spooled.tables()
    assert middle["stages"]["child_id"].size > 2 * CHUNK_ROWS
    assert_same_tables(in_memory.tables(), middle)
    in_memory.run()
    spooled.run()
    final = spooled.tables()
    assert_same_tables(in_memory.tables(), final)
    assert all(on_disk(final[name]["child_id"]) for name in ("children", "visits", "stages"))
    assert final["children"]["child_id"].size > middle["children"]["child_id"].size
    assert spooled.tables() is final  # built once
    assert list(spool_folder.iterdir()) == []  # the files are unnamed


def test_outcomes_are_identical_whether_records_are_on_disk_or_in_memory(spool_folder: Path):
    parameters = SMALL.replace(shelters=2, migration_station_places=20)  # lines and waits too
    spooled = run_replication(parameters, seed=11, years=0.3, spool_records=True)
    in_memory = run_replication(parameters, seed=11, years=0.3, spool_records=False)
    assert on_disk(spooled.tables["visits"]["ended_at"])
    assert not on_disk(in_memory.tables["visits"]["ended_at"])
    assert_same_tables(in_memory.tables, spooled.tables)
    assert list(spooled.outcomes) == list(in_memory.outcomes)
    for name, value in in_memory.outcomes.items():
        assert value == spooled.outcomes[name] or (math.isnan(value) and math.isnan(spooled.outcomes[name]))
    assert list(spool_folder.iterdir()) == []


def test_long_runs_spool_their_records_and_short_runs_keep_them_in_memory(
        spool_folder: Path, monkeypatch: pytest.MonkeyPatch):
    years = 0.1
    monkeypatch.setattr(sim.experiments.replications, "SPOOL_RECORDS_ABOVE_CHILDREN",
                        years * children_per_year(SMALL) * 0.99)
    assert on_disk(run_replication(SMALL, seed=2, years=years).tables["children"]["departed_at"])
    monkeypatch.setattr(sim.experiments.replications, "SPOOL_RECORDS_ABOVE_CHILDREN",
                        years * children_per_year(SMALL))
    assert not on_disk(run_replication(SMALL, seed=2, years=years).tables["children"]["departed_at"])


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files in /proc (Linux)")
def test_no_file_is_left_open_or_behind_after_a_run_or_an_error(spool_folder: Path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    before = open_files()
    result = run_replication(SMALL, seed=3, years=0.1, keep_tables=("daily",), spool_records=True)
    assert result.outcomes["new_departures_mexico"] > 0
    assert open_files() == before

    def broken(*args, **kwargs):
        raise InvariantViolation("3 children were created but 2 have records")

    monkeypatch.setattr(sim.experiments.replications, "check_invariants", broken)
    with pytest.raises(InvariantViolation) as caught:
        run_replication(SMALL, seed=3, years=0.1, spool_records=True)
    monkeypatch.undo()
    monkeypatch.setattr(tempfile, "tempdir", str(spool_folder))
    del caught  # its traceback holds the finished tables, which view the file until dropped
    assert open_files() == before

    stepped = AmparoModel.step
    days = iter(range(1000))

    def interrupted(model: AmparoModel) -> None:
        if next(days) == 60:
            raise KeyboardInterrupt
        stepped(model)

    monkeypatch.setattr(AmparoModel, "step", interrupted)
    with pytest.raises(KeyboardInterrupt) as caught:
        run_replication(SMALL, seed=3, years=0.3, spool_records=True)
    # the traceback still holds the unfinished model: its files were closed all the same
    assert caught.value.__traceback__ is not None
    assert open_files() == before
    assert list(spool_folder.iterdir()) == []


def traced_records_bytes(storage: RecordSpool | None) -> tuple[int, int]:
    """Bytes allocated by the records' code and still held at the end of a run (before its tables are
    built), and the bytes of the rows stored by then."""
    tracemalloc.start()
    try:
        model = AmparoModel(SMALL, seed=4, years=0.4, record_storage=storage)
        model.run()
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    mine = [tracemalloc.Filter(True, "*/sim/model/records.py"),
            tracemalloc.Filter(True, "*/sim/experiments/record_spool.py")]
    held = sum(stat.size for stat in snapshot.filter_traces(mine).statistics("filename"))
    ledger = model.ledger
    stored = sum(records.table()[name].nbytes for records in (ledger.children, ledger.visits, ledger.stages)
                 for name in records.names)
    return held, stored


def test_spooled_records_hold_no_more_than_about_a_chunk_in_memory(spool_folder: Path):
    held, stored = traced_records_bytes(RecordSpool())
    one_chunk_of_each_table = CHUNK_ROWS * (4 + 15 + 3 * 8 + 4 + 1 + 3 * 8 + 4 + 1 + 8)
    assert stored > 1.5 * one_chunk_of_each_table
    assert held <= one_chunk_of_each_table
    held_in_memory, stored_in_memory = traced_records_bytes(None)
    assert stored_in_memory == stored
    assert held_in_memory >= stored  # the test can tell: in memory, the rows are held


@pytest.mark.parametrize("expected_rows", [1, 5 * CHUNK_ROWS])
def test_records_grow_beyond_the_rows_expected_and_read_back_the_same(spool_folder: Path,
                                                                      expected_rows: int):
    rng = np.random.default_rng(1)
    names = ("child_id", "stage", "entered_at")
    batches = [[rng.integers(0, 10**6, size), rng.integers(0, 9, size), rng.random(size) * 1000]
               for size in (100, CHUNK_ROWS, 3 * CHUNK_ROWS + 7, 1)]
    tables = []
    for storage in (None, RecordSpool()):
        records = Records(names, expected_rows, storage)
        for columns in batches:
            records.extend([column[:5] for column in columns])
            records.extend(columns)
            records.compact_if_full()
        middle = records.table([(1, 2, 3.5)])
        tables.append((middle, records.table(final=True)))
    (middle_in_memory, final_in_memory), (middle_on_disk, final_on_disk) = tables
    assert final_on_disk["child_id"].size == sum(min(5, ids.size) + ids.size for ids, _, _ in batches)
    assert_same_tables({"t": middle_in_memory}, {"t": middle_on_disk})
    assert_same_tables({"t": final_in_memory}, {"t": final_on_disk})
    assert middle_on_disk["entered_at"][-1] == 3.5
    assert final_on_disk["child_id"].dtype == np.int32 and final_on_disk["stage"].dtype == np.int8


class FillingFile:
    """A temporary file on a disk that fills up after `room` writes."""

    def __init__(self, file, room: int) -> None:
        self._file = file
        self._room = room

    def write(self, data) -> int:
        self._room -= 1
        if self._room < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._file.write(data)

    def __getattr__(self, name: str):
        return getattr(self._file, name)


def test_a_full_disk_under_a_long_runs_records_is_one_message_and_writes_nothing(
        tmp_path: Path, spool_folder: Path, monkeypatch: pytest.MonkeyPatch):
    import sim.experiments.record_spool

    monkeypatch.setattr(sim.experiments.replications, "SPOOL_RECORDS_ABOVE_CHILDREN", 0.0)
    made = tempfile.TemporaryFile
    monkeypatch.setattr(sim.experiments.record_spool.tempfile, "TemporaryFile",
                        lambda **options: FillingFile(made(**options), room=5))
    out = tmp_path / "never"
    scenario = Path(cli.__file__).parent / "scenarios" / "baseline_2008.toml"
    result = CliRunner().invoke(cli.main, ["run", str(scenario), "-r", "1", "--years", "0.3", "-w", "1",
                                           "--out", str(out)])
    assert result.exit_code == 1, result.output
    message = result.output.strip().splitlines()[-1]
    assert message.startswith(f"Error: {spool_folder}: cannot keep a long run's records on disk here "
                              "(No space left on device)")
    assert "TMPDIR" in message and "--resume" in message  # with --out, what finished is kept
    assert not out.exists()


def test_a_long_table_is_written_block_by_block_with_the_same_bytes(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch):
    import sim.results.table_files

    rng = np.random.default_rng(5)
    times = rng.random(1000) * 400
    times[::7] = np.nan
    times[3] = np.inf
    names = np.array(["shelters", "care, units", 'say "hi"'] * 333 + ["x"], dtype=object)
    columns = {"replication": np.repeat([0, 1], 500), "exited_at": times, "resource": names,
               "child_id": rng.integers(0, 10**6, 1000).astype(np.int32)}
    sim.results.table_files.write_csv(tmp_path / "whole.csv", columns)
    monkeypatch.setattr(sim.results.table_files, "CSV_BLOCK_ROWS", 7)
    sim.results.table_files.write_csv(tmp_path / "blocks.csv", columns)
    whole = (tmp_path / "whole.csv").read_bytes()
    assert whole.count(b"\n") == 1001
    assert (tmp_path / "blocks.csv").read_bytes() == whole
    with pytest.raises(ValueError, match="different lengths"):
        sim.results.table_files.write_csv(tmp_path / "bad.csv", {"a": [1, 2], "b": [1]})


def test_replications_whose_records_are_not_written_keep_only_their_daily_table():
    kept = run_replications(SMALL, 3, base_seed=9, years=0.05, records_replications=1)
    everything = run_replications(SMALL, 3, base_seed=9, years=0.05)
    assert list(kept[0].tables) == ["children", "visits", "stages", "daily"]
    assert [list(result.tables) for result in kept[1:]] == [["daily"], ["daily"]]
    for few, full in zip(kept, everything, strict=True):
        assert_same_tables({"daily": few.tables["daily"]}, {"daily": full.tables["daily"]})
        assert few.seed == full.seed and few.outcomes.keys() == full.outcomes.keys()
        assert all(few.outcomes[name] == value or math.isnan(value) for name, value in full.outcomes.items())
