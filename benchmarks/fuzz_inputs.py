"""Fuzz the input files: at least 10,000 mutated scenario, sweep and standards files through the
loaders and at least 100 through the real `amparo` command, and print the counts.

    .venv/bin/python benchmarks/fuzz_inputs.py [--cases 10200] [--cli 120] [--seed 2008]

Each case (tests/input_mutations.py) must be accepted or one clean single-line error; the script
prints cases, accepted, clean errors, unhandled exceptions and hangs, with the mutation classes of
each, and exits 1 if any case was unhandled or hung. Same seed, same cases.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from input_mutations import (  # noqa: E402 - after the path set-up above
    case_for,
    classify_cli,
    cli_arguments,
    materialize,
    outcome,
)

RESULTS = ("accepted", "clean error", "unhandled", "hang")
CLI_TIMEOUT_SECONDS = 120


def _amparo() -> list[str]:
    script = Path(sys.executable).with_name("amparo")
    return [str(script)] if script.exists() else [sys.executable, str(ROOT / "cli.py")]


def run_loaders(count: int, seed: str, scratch: Path) -> tuple[Counter, dict, list[tuple[float, str]]]:
    counts: Counter = Counter()
    classes: dict[str, Counter] = defaultdict(Counter)
    seconds = []
    for index in range(count):
        case = case_for(seed, index)
        folder = scratch / f"loader-{index}"
        started = time.perf_counter()
        result, detail = outcome(case, folder)
        seconds.append((time.perf_counter() - started, f"{case.kind}:{case.mutation}"))
        counts[result] += 1
        classes[result][f"{case.kind}:{case.mutation}"] += 1
        if result in ("unhandled", "hang"):
            print(f"  {result}: case {index} {case.kind}:{case.mutation}: {detail}", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)
    return counts, classes, seconds


def run_cli(count: int, seed: str, scratch: Path) -> tuple[Counter, dict, list[tuple[float, str]]]:
    counts: Counter = Counter()
    classes: dict[str, Counter] = defaultdict(Counter)
    seconds = []
    index = 0
    done = 0
    while done < count:
        case = case_for(f"{seed}-cli", index)
        index += 1
        if "\0" in case.entry:  # a command line cannot hold a NUL
            continue
        folder = scratch / f"cli-{index}"
        path = materialize(case, folder / "case")
        started = time.perf_counter()
        try:
            done_process = subprocess.run([*_amparo(), *cli_arguments(case, path, folder / "out")],
                                          capture_output=True, text=True, timeout=CLI_TIMEOUT_SECONDS,
                                          cwd=folder, stdin=subprocess.DEVNULL)
            result, detail = classify_cli(done_process.returncode, done_process.stderr, done_process.stdout)
        except subprocess.TimeoutExpired:
            result, detail = classify_cli(None, "", "")
        seconds.append((time.perf_counter() - started, f"{case.kind}:{case.mutation}"))
        counts[result] += 1
        classes[result][f"{case.kind}:{case.mutation}"] += 1
        if result in ("unhandled", "hang"):
            print(f"  {result} (CLI): case {index} {case.kind}:{case.mutation}: {detail}", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)
        done += 1
    return counts, classes, seconds


def report(title: str, counts: Counter, classes: dict, seconds: list[tuple[float, str]]) -> None:
    total = sum(counts.values())
    times = [duration for duration, _ in seconds]
    slowest = ", ".join(f"{name} {duration:.2f} s" for duration, name in sorted(seconds, reverse=True)[:3])
    print(f"\n{title}: {total} cases, median {statistics.median(times) * 1000:.1f} ms, "
          f"total {sum(times):.0f} s; slowest: {slowest}")
    for result in RESULTS:
        kinds = classes.get(result, Counter())
        print(f"  {result:<12} {counts[result]:>6}   ({len(kinds)} classes)")
        for name, number in sorted(kinds.items()):
            print(f"      {number:>6}  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_200, help="cases through the loaders")
    parser.add_argument("--cli", type=int, default=120, help="cases through the amparo command")
    parser.add_argument("--seed", default="2008")
    arguments = parser.parse_args()
    from scipy.stats import qmc  # noqa: F401 - imported once here, not inside the first case's time

    with tempfile.TemporaryDirectory(prefix="amparo-fuzz-") as scratch:
        loader_counts, *loader_rest = run_loaders(arguments.cases, arguments.seed, Path(scratch))
        report("Loaders (load_scenario, load_sweep, load_standards)", loader_counts, *loader_rest)
        cli_counts, *cli_rest = run_cli(arguments.cli, arguments.seed, Path(scratch))
        report("CLI (amparo size / amparo sweep, real processes)", cli_counts, *cli_rest)
    bad = sum(counts[result] for counts in (loader_counts, cli_counts) for result in ("unhandled", "hang"))
    print(f"\nunhandled exceptions + hangs: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
