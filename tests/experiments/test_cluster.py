"""Runs on a Dask cluster: the same tables as local processes, even when a worker dies mid-sweep;
runs grouped into tasks without losing or reordering one; clear errors for every wrong set-up.

The cluster is a `LocalCluster` of process workers on this machine: it speaks to the CLI through
the same `--scheduler tcp://...` address as a cluster of many machines would.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from sim.experiments.execution import (
    MAX_RUNS_PER_TASK,
    ExecutionError,
    LocalProcesses,
    make_executor,
    map_as_finished,
    map_in_order,
    runs_per_task,
)

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "scenarios" / "baseline_2008.toml").as_posix()
TABLES = ("experiments.csv", "outcomes.csv")
needs_dask = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="Dask distributed is not installed: pip install -e '.[cluster]' "
                                       "(make test installs it)")


def write_sweep(folder: Path) -> Path:
    """24 tiny runs (12 points, 2 replications): 8 tasks of 3 runs on 2 workers."""
    path = folder / "sweep.toml"
    path.write_text(f'''title = "cluster sweep"
base = "{BASE}"
design = "latin_hypercube"
points = 12
replications = 2
seed = 11
years = 0.04
[levers]
child_protection_officers = {{ low = 10, high = 200 }}
[uncertainties]
arrival_multiplier = {{ low = 0.1, high = 0.2 }}
''', encoding="utf-8")
    return path


def invoke(*args: str):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def amparo(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    """The CLI as a user types it, in its own process: Dask's client threads stay out of this one,
    which later forks local worker pools."""
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory) -> tuple[Path, Path]:
    """The sweep file and its result run locally in this process: the reference tables."""
    folder = tmp_path_factory.mktemp("local")
    path = write_sweep(folder)
    result = invoke("sweep", path, "--out", folder / "result", "-w", "1")
    assert result.exit_code == 0, result.output
    return path, folder / "result"


CLUSTER = """
import sys
from distributed import LocalCluster
with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()  # until the test closes this process's input
"""


@pytest.fixture
def cluster():
    """The scheduler address of a LocalCluster of two process workers with one thread each, in a
    process of its own (so that no Dask thread stays in this one, which later forks local pools);
    always closed afterwards."""
    process = subprocess.Popen([sys.executable, "-c", CLUSTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        address = process.stdout.readline().strip()
        assert address.startswith("tcp://"), "the LocalCluster did not start"
        yield address
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the cluster and its worker processes
            process.wait()


def same_tables(first: Path, second: Path) -> bool:
    return all((first / name).read_bytes() == (second / name).read_bytes() for name in TABLES)


@pytest.mark.slow
@needs_dask
def test_a_sweep_on_the_cluster_gives_the_local_tables_and_resumes(local_sweep, cluster, tmp_path):
    path, reference = local_sweep
    result = amparo("sweep", path, "--out", tmp_path / "cluster", "--scheduler", cluster)
    assert result.returncode == 0, result.stderr
    assert f"the Dask cluster at {cluster}" in result.stdout
    assert same_tables(reference, tmp_path / "cluster")
    assert (tmp_path / "cluster" / "runs.jsonl").read_text().count("\n") == 24
    # A sweep stopped locally after 10 runs, resumed on the cluster: the same tables again.
    stopped = tmp_path / "stopped"
    stopped.mkdir()
    (stopped / "sweep.json").write_bytes((reference / "sweep.json").read_bytes())
    lines = (reference / "runs.jsonl").read_text().splitlines(keepends=True)
    (stopped / "runs.jsonl").write_text("".join(lines[:10]))
    resumed = amparo("sweep", path, "--out", stopped, "--resume", "--scheduler", cluster)
    assert resumed.returncode == 0, resumed.stderr
    assert same_tables(reference, stopped)
    assert (stopped / "runs.jsonl").read_text().count("\n") == 24


@pytest.mark.slow
@needs_dask
def test_a_worker_killed_mid_sweep_loses_nothing(local_sweep, cluster, tmp_path):
    from distributed import Client

    path, reference = local_sweep
    out = tmp_path / "cluster"
    command = [sys.executable, str(ROOT / "cli.py"), "sweep", str(path), "--out", str(out),
               "--scheduler", cluster]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with Client(cluster, set_as_default=False) as client:
            runs = out / "runs.jsonl"
            deadline = time.time() + 120
            busy = {}
            while time.time() < deadline and not busy:
                finished = runs.read_text().count("\n") if runs.exists() else 0
                if finished >= 3:  # one task back, the others under way
                    busy = {address: keys for address, keys in client.processing().items() if keys}
                time.sleep(0.02)
            assert busy, "no worker was busy part-way through the sweep"
            victim = sorted(busy)[0]
            os.kill(client.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)
            done_at_kill = runs.read_text().count("\n")
        output, _ = process.communicate(timeout=180)
    finally:
        process.kill()
    assert done_at_kill < 24, "the worker must die before the sweep ends"
    assert process.returncode == 0, output
    assert same_tables(reference, out)
    assert runs.read_text().count("\n") == 24  # every run written once


@pytest.mark.slow
@needs_dask
def test_a_run_on_the_cluster_gives_the_local_tables(cluster, tmp_path):
    from sim.results.run_folder import differing_tables

    scenario = tmp_path / "small.toml"
    scenario.write_text(f'title = "small"\ndescription = "Few arrivals, for speed."\nextends = "{BASE}"\n'
                        '[uncertainties]\narrival_multiplier = 0.1\n', encoding="utf-8")
    common = ["run", scenario, "-r", "3", "--years", "0.03", "--records", "1"]
    local = invoke(*common, "--out", tmp_path / "local", "-w", "1")
    assert local.exit_code == 0, local.output
    result = amparo(*common, "--out", tmp_path / "cluster", "--scheduler", cluster)
    assert result.returncode == 0, result.stderr
    assert differing_tables(tmp_path / "local", tmp_path / "cluster") == []
    compared = amparo("compare", scenario, BASE, "-r", "2", "--years", "0.02", "--out", tmp_path / "compare",
                      "--scheduler", cluster)
    assert compared.returncode == 0, compared.stderr


@pytest.mark.slow
@needs_dask
def test_workers_with_other_code_are_refused(cluster, tmp_path):
    from distributed import Client

    with Client(cluster, set_as_default=False) as client:  # workers now see other libraries
        client.run(exec, "import sim.experiments.cluster as cluster; cluster.NUMERIC_LIBRARIES += ('click',)")
    result = amparo("sweep", write_sweep(tmp_path), "--out", tmp_path / "refused",
                    "--scheduler", cluster)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "run different Amparo code" in result.stderr and "requirements.lock" in result.stderr
    assert not (tmp_path / "refused" / "runs.jsonl").exists()


@needs_dask
def test_no_scheduler_at_the_address_is_one_clear_error():
    started = time.perf_counter()
    with pytest.raises(ExecutionError, match="no Dask scheduler answered.*dask scheduler"), \
            make_executor(scheduler="tcp://127.0.0.1:1", connect_timeout=1):
        pass
    assert time.perf_counter() - started < 30


def test_without_dask_the_scheduler_option_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails
    monkeypatch.delitem(sys.modules, "sim.experiments.cluster", raising=False)
    result = CliRunner().invoke(cli.main, ["sweep", str(write_sweep(tmp_path)), "--out", str(tmp_path / "x"),
                                           "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "pip install -c requirements.lock -e '.[cluster]'" in result.output
    assert not (tmp_path / "x" / "sweep.json").exists()


@pytest.mark.parametrize(("address", "words"), [
    ("nonsense", "needs a host and a port"),
    ("tcp://localhost:99999", "out of range"),
    ("http://localhost:8786", "protocol must be one of tcp"),
])
def test_bad_scheduler_addresses_are_refused_before_any_work(tmp_path, address, words):
    result = CliRunner().invoke(cli.main, ["run", BASE, "--out", str(tmp_path / "r"), "--scheduler", address])
    assert result.exit_code == 1 and words in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r").exists()


def test_workers_and_a_scheduler_exclude_each_other(tmp_path):
    result = CliRunner().invoke(cli.main, ["sweep", str(write_sweep(tmp_path)), "-w", "2",
                                           "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 1 and "give one" in result.output


@pytest.mark.parametrize(("tasks", "slots", "expected"), [
    (1, 2, 1), (8, 2, 1), (20, 2, 3), (1000, 2, MAX_RUNS_PER_TASK), (150_000, 400, MAX_RUNS_PER_TASK),
    (500, 400, 1),
])
def test_runs_per_task_keeps_several_tasks_per_slot(tasks, slots, expected):
    assert runs_per_task(tasks, slots) == expected


@pytest.mark.parametrize("size", [None, 1, 3, 7, 1000])
def test_grouping_runs_each_item_once_in_order(size):
    items = list(range(-40, 41))
    expected = [abs(item) for item in items]
    with LocalProcesses(2) as pool:
        assert list(map_in_order(abs, items, pool, size)) == expected
        assert sorted(map_as_finished(abs, items, pool, size)) == sorted(expected)
    assert list(map_in_order(abs, items, None, size)) == expected


def test_parameter_sets_in_one_batch_give_what_each_gives_alone():
    from sim.experiments.replications import run_replications, run_replications_of_each
    from sim.model.parameters import Parameters

    sets = [Parameters(arrival_multiplier=0.1, warmup_days=10),
            Parameters(arrival_multiplier=0.1, warmup_days=10, child_protection_officers=20)]
    with LocalProcesses(2) as pool:
        batch = run_replications_of_each(sets, 3, base_seed=5, years=0.03, executor=pool, keep_tables=False)
    alone = [run_replications(parameters, 3, base_seed=5, years=0.03, keep_tables=False)
             for parameters in sets]
    assert repr([[(r.seed, r.outcomes) for r in results] for results in batch]) == \
        repr([[(r.seed, r.outcomes) for r in results] for results in alone])



@pytest.mark.slow
@needs_dask
def test_a_calibration_on_the_cluster_gives_the_local_posterior(cluster, tmp_path):
    short = (ROOT / "tests" / "data" / "short_warmup.toml").as_posix()
    tiny = ["--budget", "12", "--accepted", "4", "--truths", "4", "--predictive", "2", "--years", "0.05",
            "--table-warmup-days", "20",
            "--replications", "2", "--check-years", "0.05", "--base", short]
    local = amparo("calibrate", *tiny, "--workers", "2", "--out", tmp_path / "local")
    assert local.returncode == 0, local.stderr
    remote = amparo("calibrate", *tiny, "--out", tmp_path / "cluster", "--scheduler", cluster)
    assert remote.returncode == 0, remote.stderr
    assert f"the Dask cluster at {cluster}" in remote.stdout
    for name in ("posterior.csv", "reference_table.csv", "fit.csv", "hindcast.csv", "calibrated_2008.toml"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "cluster" / name).read_bytes(), name
