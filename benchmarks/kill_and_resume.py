"""Kill and resume every command that runs simulations, and measure what survives.

    python benchmarks/kill_and_resume.py [--trials 2] [--seed 1] [--commands run,compare,...]

For each command (run, compare, sweep, size, sensitivity, calibrate): one uninterrupted result,
then `--trials` times: start the real `amparo` command, SIGKILL its whole process group once a
random number of its runs (replications, points) is journaled, look at what is left, resume with
`--resume` and compare every file the uninterrupted result's manifest lists with the resumed one,
byte for byte (`sim.results.reproduction.file_differences`: journals in finishing order and a
calibration's report.md, which states its wall time, are left out). Prints one markdown table for
docs/reliability.md. Runs on one worker so that the kill lands between runs as planned.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline_2008.toml")
DOUBLE = str(ROOT / "scenarios" / "double_officers.toml")
SWEEP = f'''title = "killed sweep"
base = "{BASELINE}"
design = "latin_hypercube"
points = 4
replications = 2
seed = 5
years = 0.1
[levers]
child_protection_officers = {{ low = 10, high = 200 }}
'''


def commands(folder: Path) -> dict[str, list[str]]:
    sweep = folder / "sweep.toml"
    sweep.write_text(SWEEP, encoding="utf-8")
    one = ["-w", "1"]
    return {
        "run": ["run", BASELINE, "-r", "4", "--years", "0.1", *one],
        "compare": ["compare", BASELINE, DOUBLE, "-r", "3", "--years", "0.1", *one],
        "sweep": ["sweep", str(sweep), *one],
        "size": ["size", BASELINE, "--lever", "officers=0:60", "--standard",
                 "officer_interview_within_two_days", "-r", "3", "--years", "0.1", *one],
        "sensitivity": ["sensitivity", "--trajectories", "2", "--years", "0.05", "--base", BASELINE, *one],
        "calibrate": ["calibrate", "--budget", "8", "--accepted", "4", "--truths", "4", "--predictive", "2",
                      "--table-warmup-days", "20", "--years", "0.05", "-r", "2",
                      "--check-years", "0.05", "--base", BASELINE, *one],
    }


def amparo(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("amparo")
    return [str(script), *args] if script.exists() else [sys.executable, str(ROOT / "cli.py"), *args]


def journaled(out: Path) -> int:
    """Runs saved so far for the result `out`: in its work folders (run, compare, size,
    sensitivity) or in its own runs.jsonl (sweep, calibrate)."""
    count = 0
    for folder in [out, *out.parent.glob(f".{out.name}.resume-*")]:
        count += len(list((folder / "replications").glob("*.npz")))
        runs = folder / "runs.jsonl"
        count += runs.read_bytes().count(b"\n") if runs.exists() else 0
    return count


def total_runs(kind: str, manifest: dict, out: Path) -> int:
    if kind == "run":
        return manifest["replications"]
    if kind == "compare":
        return manifest["replications"] * len(manifest["scenarios"])
    if kind == "size":
        return (out / "by_replication.csv").read_text().count("\n") - 1
    if kind == "calibrate":
        return manifest["simulations"]
    return manifest["runs"]


def looks_complete(out: Path) -> bool:
    manifest = out / "manifest.json"
    try:
        return json.loads(manifest.read_text()).get("complete") is True
    except (OSError, ValueError):
        return False


def timed(command: list[str]) -> tuple[int, float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=1800)
    return done.returncode, time.perf_counter() - started, done.stderr


def trial(arguments: list[str], out: Path, wanted: int) -> dict:
    process = subprocess.Popen(amparo(*arguments, "--out", str(out)), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True, cwd=ROOT)
    while process.poll() is None and journaled(out) < wanted:
        time.sleep(0.005)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=120)
    killed = process.returncode == -signal.SIGKILL
    saved = journaled(out)
    complete = looks_complete(out)
    code, seconds, stderr = timed(amparo(*arguments, "--out", str(out), "--resume"))
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    return {"killed": killed, "saved": saved, "complete_after_kill": complete, "resume_code": code,
            "resume_seconds": seconds, "leftovers": leftovers, "error": stderr.strip().splitlines()[-1:]}


def main() -> None:
    from sim.results.manifest_seal import JOURNAL_FILES
    from sim.results.reproduction import TIMED_FILES, file_differences

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--commands", default="run,compare,sweep,size,sensitivity,calibrate")
    options = parser.parse_args()
    chance = random.Random(options.seed)
    rows = []
    print("| command | runs | kills | runs saved at the kill | what the kill left | resume exit | runs "
          "redone on resume (median) | uninterrupted s | resume s (median) | files identical to "
          "uninterrupted |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        table = commands(folder)
        for kind in options.commands.split(","):
            arguments = table[kind]
            whole = folder / f"{kind}-whole"
            code, whole_seconds, stderr = timed(amparo(*arguments, "--out", str(whole)))
            if code != 0:
                raise SystemExit(f"{kind}: the uninterrupted command failed: {stderr}")
            print(kind, f"uninterrupted: {whole_seconds:.1f} s", file=sys.stderr, flush=True)
            manifest = json.loads((whole / "manifest.json").read_text())
            total = total_runs(kind, manifest, whole)
            results = []
            for number in range(options.trials):
                out = folder / f"{kind}-killed-{number}"
                wanted = chance.randrange(1, total)
                result = trial(arguments, out, wanted)
                differing = file_differences(whole, out, manifest)[0] if looks_complete(out) else ["all"]
                result.update(wanted=wanted, differing=differing)
                results.append(result)
                print(kind, result, file=sys.stderr, flush=True)
                shutil.rmtree(out, ignore_errors=True)
            compared = len(set(manifest["files"]) - JOURNAL_FILES - TIMED_FILES)
            rows.append((kind, total, whole_seconds, compared, results))
            print_row(*rows[-1])


def print_row(kind: str, total: int, whole_seconds: float, files: int, results: list[dict]) -> None:
    """One command's line of the table."""
    saved = [r["saved"] for r in results]
    left = "a complete-looking result" if any(r["complete_after_kill"] for r in results) else (
        "no result under the name" if kind in ("run", "compare", "size", "sensitivity")
        else "the folder, manifest not complete")
    kills = sum(r["killed"] for r in results)
    codes = sorted({r["resume_code"] for r in results})
    identical = sum(not r["differing"] for r in results)
    print(f"| {kind} | {total} | {kills} of {len(results)} | {min(saved)}–{max(saved)} | {left} | "
          f"{', '.join(map(str, codes))} | {statistics.median(total - s for s in saved):g} | "
          f"{whole_seconds:.1f} | {statistics.median(r['resume_seconds'] for r in results):.1f} | "
          f"{files} of {files} in {identical} of {len(results)} |", flush=True)


if __name__ == "__main__":
    main()
