"""Any sweep file or chain of scenario files, however malformed or extreme, is either one clean
`ScenarioError` (and one clean CLI error) or loads into parameters that run with their invariants
holding. Never an unhandled exception.

Hypothesis writes random keys, wrong types, huge and negative numbers, NaN and infinity, empty and
broken files, and `extends` chains up to 25 files deep (with loops and missing links). Each test
counts what happened and checks that both outcomes occurred, so it cannot pass vacuously; run with
`-s` to see the counts.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cli
from sim.experiments.replications import run_replication
from sim.experiments.sweep import DESIGNS, MAX_RUNS, load_sweep
from sim.inputs.scenario import ScenarioError, load_scenario
from sim.model.parameters import Parameters, field_by_name, is_scalar, validation_problems

ROOT = Path(__file__).resolve().parents[2]
BASELINE = (ROOT / "scenarios" / "baseline_2008.toml").as_posix()
SECTION_OF = {"lever": "levers", "uncertainty": "uncertainties", "setting": "settings"}
SECTIONS = sorted(SECTION_OF.values())
PARAMETERS = field_by_name()
FIELDS = {name: f for name, f in PARAMETERS.items() if is_scalar(name)}  # numbers and switches

SCALARS = st.one_of(
    st.booleans(), st.integers(-10**12, 10**12), st.integers(-10**400, 10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 0.5, 1e308, -1e308, 2**63, math.nan, math.inf, -math.inf]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=6))
ANY_VALUE = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["low", "high", "x"]), inner, max_size=3)),
    max_leaves=5)
RANDOM_NAME = st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True)


def toml_value(value: object) -> str:
    """`value` written as a TOML value (inline arrays and tables included)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) \
            else repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def toml_text(top: dict[str, object], sections: dict[str, object]) -> str:
    lines = [f"{key} = {toml_value(value)}" for key, value in top.items()]
    for section, table in sections.items():
        if isinstance(table, dict):
            lines.append(f"[{section}]")
            lines += [f"{name} = {toml_value(value)}" for name, value in table.items()]
        else:
            lines.insert(0, f"{section} = {toml_value(table)}")
    return "\n".join(lines) + "\n"


def near_range(name: str, margin_share: float = 1 / 20) -> st.SearchStrategy:
    """Values of parameter `name` mostly inside its allowed range, sometimes just outside."""
    f = FIELDS[name]
    if f.type == "bool":
        return st.booleans()
    low, high = f.metadata["low"], min(f.metadata["high"], 1e6)
    margin = (high - low) * margin_share
    if f.type == "int":
        return st.integers(int(low - margin) - 1, int(high + margin) + 1)
    return st.floats(low - margin, high + margin)


def mostly(good: st.SearchStrategy, bad: st.SearchStrategy, chance_bad: float = 0.07) -> st.SearchStrategy:
    """`good` most of the time, `bad` about `chance_bad` of the time (hypothesis's own choices lean
    to the edges, so a seeded uniform draw decides)."""
    return st.randoms(use_true_random=True).flatmap(lambda r: bad if r.random() < chance_bad else good)


def happens(draw: st.DrawFn, chance: float) -> bool:
    """True about `chance` of the time."""
    return draw(st.randoms(use_true_random=True)).random() < chance


@st.composite
def parameter_entry(draw: st.DrawFn, mistakes: float = 0.1) -> tuple[str, str]:
    """(section, name): mostly a real parameter in its own section."""
    if happens(draw, mistakes):
        return draw(st.sampled_from(SECTIONS)), draw(RANDOM_NAME)
    name = draw(st.sampled_from(sorted(PARAMETERS)))
    section = SECTION_OF[PARAMETERS[name].metadata["kind"]]
    return (draw(st.sampled_from(SECTIONS)) if happens(draw, mistakes) else section), name


@st.composite
def sweep_dimension(draw: st.DrawFn, name: str, design: object) -> object:
    """A list of values or a {low, high} range for `name` (mostly sensible), or anything."""
    values = mostly(near_range(name) if name in FIELDS else SCALARS, SCALARS, 0.04)
    if happens(draw, 0.04):
        return draw(ANY_VALUE)
    if design == "grid" or happens(draw, 0.5) or (name in FIELDS and FIELDS[name].type == "bool"):
        return draw(st.lists(values, min_size=0 if happens(draw, 0.03) else 1, max_size=3))
    low, high = draw(values), draw(values)
    if not happens(draw, 0.1) and all(isinstance(v, int | float) and v == v for v in (low, high)):
        low, high = min(low, high), max(low, high)  # mostly in order
    return {"low": low, "high": high}


@st.composite
def sweep_file(draw: st.DrawFn) -> str:
    """The text of a sweep file: mostly well-formed with a few mistakes, sometimes anything."""
    if happens(draw, 0.03):
        return draw(st.sampled_from(["", "\n", "[levers\n", "base = \n", "= 3\n",
                                     "base = 'x'\nbase = 'y'\n"]))
    design = draw(mostly(st.sampled_from(DESIGNS), st.sampled_from(["random", "", 5, True])))
    top: dict[str, object] = {
        "title": draw(mostly(st.just("fuzz"), ANY_VALUE, 0.05)),
        "base": draw(mostly(st.just(BASELINE), st.sampled_from(["missing.toml", "", 3, ROOT.as_posix()]),
                            0.05)),
        "design": design,
        "points": draw(mostly(st.integers(1, 8), st.sampled_from([0, -5, 10**7, 2**70, 1.5, math.nan]))),
        "replications": draw(mostly(st.integers(1, 2), st.sampled_from([0, -1, 10**6, 2**64, "2"]))),
        "seed": draw(mostly(st.integers(0, 2**63 - 1), st.sampled_from([-1, 2**64, 1.5, "s"]))),
        "years": draw(mostly(st.floats(0.003, 0.02), st.sampled_from([0, -1, 1e308, math.nan, math.inf, 101,
                                                                        "1", True]))),
    }
    top = {key: value for key, value in top.items() if key == "base" or not happens(draw, 0.05)}
    if happens(draw, 0.1):
        top[draw(RANDOM_NAME)] = draw(ANY_VALUE)
    sections: dict[str, object] = {}
    for _ in range(draw(mostly(st.integers(1, 3), st.just(0), 0.05))):
        section, name = draw(parameter_entry(mistakes=0.04))
        table = sections.setdefault(section, {})
        if isinstance(table, dict):
            table[name] = draw(sweep_dimension(name, design))
    if happens(draw, 0.05):
        sections[draw(st.sampled_from(SECTIONS))] = draw(SCALARS)
    return toml_text(top, sections)


def quick(parameters: Parameters) -> Parameters:
    """The same parameters with a short warm-up and a low volume of arrivals, to keep tests fast."""
    return parameters.replace(warmup_days=min(parameters.warmup_days, 5),
                              arrival_multiplier=min(parameters.arrival_multiplier, 0.05))


def assert_clean_cli_error(arguments: list[str], file: str) -> None:
    result = CliRunner().invoke(cli.main, arguments)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and file in result.output


@pytest.mark.slow
def test_any_sweep_file_is_a_clean_error_or_a_runnable_design(tmp_path):
    seen: Counter[str] = Counter()

    @settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=sweep_file(), seed=st.integers(0, 1000))
    def check(text: str, seed: int) -> None:
        path = tmp_path / "fuzz_sweep.toml"
        path.write_text(text, encoding="utf-8")
        try:
            spec = load_sweep(path)
        except ScenarioError as error:
            seen["clean error"] += 1
            assert error.message and error.file in (str(path), BASELINE, str(tmp_path / "missing.toml"))
            if seen["clean error"] % 10 == 1:  # the command says the same, cleanly
                assert_clean_cli_error(["sweep", str(path), "--out", str(tmp_path / "never")], path.name)
                assert not (tmp_path / "never").exists()
            return
        seen["loaded"] += 1
        assert 1 <= len(spec.point_parameters) * spec.replications <= MAX_RUNS
        for parameters in spec.point_parameters:
            assert validation_problems(parameters) == []
        run_replication(quick(spec.point_parameters[0]), seed, years=2 / 365)  # raises if an invariant breaks
        seen["ran"] += 1

    check()
    print(f"\nsweep files tried: {sum(seen.values()) - seen['ran']}, {dict(seen)}")
    assert seen["clean error"] >= 25 and seen["ran"] >= 25


@st.composite
def scenario_chain(draw: st.DrawFn) -> list[str]:
    """The texts of files f0.toml ... fN.toml, each extending the next: mostly well-formed."""
    depth = draw(mostly(st.integers(1, 20), st.integers(21, 25), 0.05))
    texts = []
    rate = 0.08 / depth  # the chance of each of ~8 kinds of mistake in each file: half the chains are valid
    for level in range(depth):
        if happens(draw, rate / 2):
            texts.append(draw(st.sampled_from(["", "title = \n", "[levers\n", "\x00",
                                               "title = 'a'\ntitle = 'b'\n"])))
            continue
        top: dict[str, object] = {"title": draw(mostly(st.just(f"level {level}"), ANY_VALUE, rate)),
                                  "description": draw(mostly(st.just("Fuzzed."), ANY_VALUE, rate))}
        top = {key: value for key, value in top.items() if not happens(draw, rate)}
        if level + 1 < depth:
            top["extends"] = draw(mostly(st.just(f"f{level + 1}.toml"), st.one_of(
                st.sampled_from([f"f{i}.toml" for i in range(level + 1)] + ["gone.toml", "", "../f0.toml"]),
                SCALARS), rate))
        if happens(draw, rate):
            top[draw(RANDOM_NAME)] = draw(ANY_VALUE)
        sections: dict[str, object] = {}
        for _ in range(draw(mostly(st.just(0), st.integers(1, 2), 0.3))):
            section, name = draw(parameter_entry(mistakes=rate))
            table = sections.setdefault(section, {})
            if isinstance(table, dict):
                value = mostly(near_range(name, 0), near_range(name), rate) if name in FIELDS else SCALARS
                table[name] = draw(mostly(value, ANY_VALUE, rate))
        if happens(draw, rate):
            sections[draw(st.sampled_from(SECTIONS))] = draw(SCALARS)
        texts.append(toml_text(top, sections))
    return texts


@pytest.mark.slow
def test_any_chain_of_scenario_files_is_a_clean_error_or_runs_with_its_invariants(tmp_path):
    seen: Counter[str] = Counter()

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(texts=scenario_chain(), seed=st.integers(0, 1000))
    def check(texts: list[str], seed: int) -> None:
        for old in tmp_path.glob("*.toml"):
            old.unlink()
        files = [tmp_path / f"f{level}.toml" for level in range(len(texts))]
        for path, text in zip(files, texts, strict=True):
            path.write_text(text, encoding="utf-8")
        try:
            scenario = load_scenario(files[0])
        except ScenarioError as error:
            seen["clean error"] += 1
            assert error.message
            assert Path(error.file).resolve().parent == tmp_path.resolve()
            if seen["clean error"] % 10 == 1:
                assert_clean_cli_error(["run", str(files[0]), "-r", "1", "--years", "0.01", "-w", "1",
                                        "--out", str(tmp_path / "never")], Path(error.file).name)
                assert not (tmp_path / "never").exists()
            return
        seen["loaded"] += 1
        assert len(scenario.chain) == len(texts) <= 20
        assert validation_problems(scenario.parameters) == []
        run_replication(quick(scenario.parameters), seed, years=2 / 365)  # raises if an invariant breaks
        seen["ran"] += 1

    check()
    print(f"\nscenario chains tried: {sum(seen.values()) - seen['ran']}, {dict(seen)}")
    assert seen["clean error"] >= 25 and seen["ran"] >= 25
