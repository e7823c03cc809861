"""Hostile and careless input files (tests/input_mutations.py) through the loaders and the CLI:
each is accepted or one clean single-line error, never another exception, never a hang.

A small deterministic sample runs here; `benchmarks/fuzz_inputs.py` runs more than 10,000.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from input_mutations import (
    Case,
    Special,
    case_for,
    classify_cli,
    cli_arguments,
    every_mutation,
    materialize,
    outcome,
    scenario_text,
    sweep_text,
)

import cli

BAD = ("unhandled", "hang")


@pytest.fixture(scope="module", autouse=True)
def warm_imports() -> None:
    """Import scipy's samplers once, so its first import is not counted against a case's time."""
    from scipy.stats import qmc  # noqa: F401


def test_every_mutation_is_accepted_or_one_clean_error(tmp_path: Path) -> None:
    results = Counter()
    for index, case in enumerate(every_mutation()):
        result, detail = outcome(case, tmp_path / str(index))
        assert result not in BAD, (case.kind, case.mutation, detail)
        results[result] += 1
    assert results["accepted"] >= 5 and results["clean error"] >= 30, results


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(index=st.integers(0, 10**9))
def test_drawn_cases_are_accepted_or_one_clean_error(tmp_path_factory, index: int) -> None:
    case = case_for("hypothesis", index)
    result, detail = outcome(case, tmp_path_factory.mktemp("case"))
    assert result not in BAD, (case.kind, case.mutation, detail)


def _case(kind: str, text: str, *others: tuple[str, bytes | Special]) -> Case:
    return Case(kind, "explicit", (("input.toml", text.encode("utf-8")), *others))


def _scenario(**changes: object) -> str:
    return scenario_text(random.Random(1), **changes)


def _sweep(**changes: object) -> str:
    return sweep_text(random.Random(1), **changes)


def _link(name: str, target: str) -> tuple[str, Special]:
    return name, Special("symlink", target)


STANDARD = '[x]\ntitle = "t"\nsource = "s"\noutcome = "detention_limit_breaches"\n'
# Each class the audit found (issue 18), with words the message must contain: the key and the limit.
CLASSES = [
    ("number over 4,300 digits", _case("scenario",
        _scenario(extra={"levers": ["shelters = 1" + "0" * 5000]})),
     ["levers.shelters", "too large", "100 digits"]),
    ("array nested 1,000 deep", _case("scenario", "x = " + "[" * 1000 + "]" * 1000 + "\n"),
     ["x", "nested more than 10"]),
    ("inline tables nested 1,000 deep", _case("standards", "x = " + "{a = " * 1000 + "1" + "}" * 1000),
     ["nested more than 10"]),
    ("dotted key 100,000 parts", _case("sweep", "[" + ".".join(["a"] * 100_000) + "]\n"),
     ["dotted key", "10"]),
    ("symlink loop in extends", _case("scenario", _scenario(extends="a.toml"), _link("a.toml", "b.toml"),
                                      _link("b.toml", "a.toml")),
     ["extends", "a.toml", "loop of symbolic links"]),
    ("symlink loop in base", _case("sweep", _sweep(base="a.toml"), _link("a.toml", "a.toml")),
     ["base", "loop of symbolic links"]),
    ("extends a symlink to itself",
     _case("scenario", _scenario(extends="me.toml"), _link("me.toml", "input.toml")),
     ["extends", "loops"]),
    ("name over 255 bytes in extends", _case("scenario", _scenario(extends="n" * 300)), ["extends", "255"]),
    ("name over 255 bytes in base", _case("sweep", _sweep(base="ñ" * 200)), ["base", "255"]),
    ("NUL in extends", _case("scenario", _scenario(extends="a\0b.toml")), ["extends", "NUL"]),
    ("FIFO as the file", Case("standards", "fifo", (("input.toml", Special("fifo")),)), ["pipe (FIFO)"]),
    ("FIFO as the base", _case("sweep", _sweep(base="pipe"), ("pipe", Special("fifo"))),
     ["base", "pipe (FIFO)"]),
    ("/dev/zero as the file", Case("scenario", "zero", (_link("input.toml", "/dev/zero"),)),
     ["character device"]),
    ("/dev/urandom as the base", _case("scenario", _scenario(extends="/dev/urandom")),
     ["extends", "character device"]),
    ("a folder as the file", Case("sweep", "folder", (("input.toml", Special("folder")),)), ["a folder"]),
    ("a 4 GB file", Case("standards", "sparse", (("input.toml", Special("sparse")),)),
     ["4,294,967,296 bytes", "262,144"]),
    ("sweep of 1,000,000 points", _case("sweep", _sweep(top={"points": "1000000"})), ["points", "10000"]),
    ("a 30,000-character title", _case("scenario", f'title = "{"T" * 30_000}"\ndescription = "d"\n'),
     ["title", "30,000 characters", "a title: 200"]),
    ("a 201-character title", _case("scenario", f'title = "{"T" * 201}"\ndescription = "d"\n'),
     ["title", "at most 200"]),
    ("NaN limit of a standard", _case("standards", STANDARD + "at_most = nan\n"),
     ["x.at_most", "finite number"]),
    ("infinite limit of a standard", _case("standards", STANDARD + "at_least = inf\n"),
     ["x.at_least", "finite number"]),
    ("NaN sweep years", _case("sweep", _sweep(top={"years": "nan"})), ["years", "1/365"]),
    ("an array where a number belongs", _case("scenario", _scenario(extra={"levers": ["shelters = [1, 2]"]})),
     ["levers.shelters", "one value", "not an array"]),
    ("raw NUL in the text", _case("standards", 'x = "a\0b"\n'), ["NUL", "line 1"]),
    ("not UTF-8", Case("scenario", "latin1", (("input.toml", "título = 1".encode("latin-1")),)), ["UTF-8"]),
]


@pytest.mark.parametrize(("case", "words"), [(case, words) for _, case, words in CLASSES],
                         ids=[name for name, _, _ in CLASSES])
def test_each_audited_class_is_one_error_naming_key_and_limit(tmp_path: Path, case: Case,
                                                              words: list[str]) -> None:
    result, message = outcome(case, tmp_path)
    assert result == "clean error", (result, message)
    for word in words:
        assert word in message, (word, message)


class _Timeout(Exception):
    pass


def _raise_timeout(signum: int, frame: object) -> None:
    raise _Timeout


ON_THE_CLI = ("number over 4,300 digits", "array nested 1,000 deep", "symlink loop in extends",
              "name over 255 bytes in base", "FIFO as the file", "/dev/zero as the file",
              "sweep of 1,000,000 points", "NaN limit of a standard")
CLI_CASES = [case for name, case, _ in CLASSES if name in ON_THE_CLI] + [
    Case("scenario", "valid", (("input.toml", _scenario().encode()),)),
    Case("sweep", "valid", (("input.toml", _sweep().encode()),))]


@pytest.mark.parametrize("case", CLI_CASES, ids=[f"{c.kind}-{i}" for i, c in enumerate(CLI_CASES)])
def test_through_the_cli_one_error_line_and_nothing_written(tmp_path: Path, case: Case) -> None:
    path = materialize(case, tmp_path / "case")
    out = tmp_path / "out"
    previous = signal.signal(signal.SIGALRM, _raise_timeout)
    signal.setitimer(signal.ITIMER_REAL, 60)
    try:
        result = CliRunner().invoke(cli.main, cli_arguments(case, path, out))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        pytest.fail(f"unhandled {type(result.exception).__name__}: {result.exception}")
    kind, detail = classify_cli(result.exit_code, result.stderr, result.stdout)
    assert kind in ("accepted", "clean error"), detail
    if kind == "clean error":
        assert not out.exists(), "a refused input wrote something"
    assert (kind == "accepted") == (case.mutation == "valid"), detail


MANIFESTS = [
    ("a FIFO", None, "pipe (FIFO)"),
    ("nested 100,000 deep", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("a 5,000-digit number", '{"kind": ' + "1" * 5000 + "}", "4,300 digits"),
    ("not JSON", "{kind: run", "not valid JSON"),
    ("a list", "[1, 2]", "not an Amparo manifest"),
    ("binary", "\udcff", "not UTF-8"),
]


@pytest.mark.parametrize(("content", "words"), [(content, words) for _, content, words in MANIFESTS],
                         ids=[name for name, _, _ in MANIFESTS])
@pytest.mark.parametrize("command", ["rerun", "report"])
def test_a_damaged_manifest_is_one_error_line(tmp_path: Path, command: str, content: str | None,
                                              words: str) -> None:
    folder = tmp_path / "result"
    folder.mkdir()
    if content is None:
        os.mkfifo(folder / "manifest.json")
    else:
        (folder / "manifest.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    brief = tmp_path / "brief.html"
    arguments = [command, str(folder), *(["--out", str(brief)] if command == "report" else [])]
    result = CliRunner().invoke(cli.main, arguments)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "manifest.json" in lines[0], result.stderr
    if not (command == "report" and content is None):  # `report` refuses a FIFO unread, in its own words
        assert words in lines[0], lines[0]
    assert not brief.exists()


LONG = "n" * 300
BASELINE_FILE = str(Path(__file__).resolve().parents[2] / "scenarios" / "baseline_2008.toml")


@pytest.mark.parametrize("arguments", [
    ["scenarios", LONG], ["report", LONG], ["run", LONG], ["sweep", LONG],
    ["run", BASELINE_FILE, "--out", LONG],
    ["size", BASELINE_FILE, "--lever", "officers",
     "--standard", "x", "--standards", LONG],
], ids=["scenarios", "report", "run", "sweep", "run --out", "size --standards"])
def test_a_name_over_255_bytes_on_the_command_line_is_one_error_line(tmp_path: Path, arguments: list[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.main, arguments)
    assert isinstance(result.exception, SystemExit) and result.exit_code in (1, 2), result.exception
    assert result.stderr.strip().splitlines()[-1].startswith("Error: "), result.stderr
    assert list(tmp_path.iterdir()) == [], "nothing is written"


RUN_MANIFEST = {"kind": "run", "complete": True, "amparo_version": "0", "replications": 1, "base_seed": 1,
                "years": 0.01, "git_commit": "abc", "records_replications": 1,
                "scenario": {"file": "s.toml", "title": "S", "text": ""}, "parameters": {}}
COMPARE_MANIFEST = {**{k: v for k, v in RUN_MANIFEST.items() if k not in ("scenario", "parameters")},
                    "kind": "compare", "scenarios": [{"name": "s", "file": "s.toml", "title": "S", "text": "",
                                                      "parameters": {}}]}
EDITS = [
    ("replications a text", RUN_MANIFEST, {"replications": "3"}, "replications"),
    ("replications negative", RUN_MANIFEST, {"replications": -1}, "replications"),
    ("replications huge", RUN_MANIFEST, {"replications": 10**12}, "replications"),
    ("years NaN", RUN_MANIFEST, {"years": math.nan}, "years"),
    ("years 10,000", RUN_MANIFEST, {"years": 10_000}, "years"),
    ("no seed", RUN_MANIFEST, {"base_seed": None}, "base_seed"),
    ("git commit a number", RUN_MANIFEST, {"git_commit": 5}, "git_commit"),
    ("more record replications than replications", RUN_MANIFEST, {"records_replications": 5},
     "records_replications"),
    ("no scenario", RUN_MANIFEST, {"scenario": None}, "scenario"),
    ("parameters a list", RUN_MANIFEST, {"parameters": [1]}, "parameters"),
    ("a parameter out of range", RUN_MANIFEST, {"parameters": {"shelters": -5}}, "parameters.shelters"),
    ("a parameter a word", RUN_MANIFEST, {"parameters": {"arrival_multiplier": "lots"}}, "parameters"),
    ("an unknown parameter", RUN_MANIFEST, {"parameters": {"no_such_parameter": 1}}, "parameters"),
    ("scenarios not a list", COMPARE_MANIFEST, {"scenarios": 3}, "scenarios"),
    ("a scenario without a name", COMPARE_MANIFEST, {"scenarios": [{"parameters": {}}]}, "scenarios[0]"),
    ("a compared parameter out of range", COMPARE_MANIFEST,
     {"scenarios": [{**COMPARE_MANIFEST["scenarios"][0], "parameters": {"shelters": 10**9}}]},
     "scenarios[0].shelters"),
]


@pytest.mark.parametrize(("manifest", "edit", "key"), [(m, e, k) for _, m, e, k in EDITS],
                         ids=[name for name, _, _, _ in EDITS])
def test_an_edited_manifest_is_one_error_naming_the_key(tmp_path: Path, manifest: dict, edit: dict,
                                                        key: str) -> None:
    folder = tmp_path / "result"
    folder.mkdir()
    edited = {name: value for name, value in {**manifest, **edit}.items() if value is not None}
    (folder / "manifest.json").write_text(json.dumps(edited), encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["rerun", str(folder)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    name = key.split(".")[-1].split("[")[0]  # the field, whichever check of rerun's names it first
    assert len(lines) == 1 and lines[0].startswith("Error: ") and name in lines[0], result.stderr


@pytest.mark.parametrize("text", ["x = " + "[" * 1000 + "]" * 1000, "x = 1" + "0" * 5000,
                                  "[" + ".".join(["a"] * 50_000) + "]", "x = [1"])
def test_a_scenario_text_kept_in_a_manifest_is_read_within_the_same_limits(text: str) -> None:
    """`report` reads the scenario text a manifest carries (anyone may have edited it) this way."""
    from sim.inputs.scenario import ScenarioError
    from sim.inputs.toml_file import parse_toml

    with pytest.raises(ScenarioError) as raised:
        parse_toml(text, "manifest.json")
    assert str(raised.value).startswith("manifest.json: ") and "\n" not in str(raised.value)
