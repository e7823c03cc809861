"""What the brief says about each result folder: the summary a minister reads first, key-figure
tables in plain words, the methods box and the sources.

Reads only the tables and manifest of a result (text already checked to be regular files inside the
folder by `sim.presentation.report`); outcome labels and units come from the outcome registry.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.analysis.effects import effects_from_rows, largest_effects
from sim.analysis.outcome_registry import OUTCOME_BY_NAME, View, outcomes_in
from sim.analysis.reported_figures import REPORTED
from sim.inputs.input_error import ScenarioError
from sim.inputs.toml_file import parse_toml

DOCS = Path(__file__).resolve().parents[2] / "docs"
FIGURES_FILE = DOCS / "figures.csv"
DOCUMENTS_FILE = DOCS / "documents.csv"
FIGURE_ID = re.compile(r"\bF\d{2}\b")
#: Manifest keys never shown as facts: bulky, internal or shown elsewhere.
SKIPPED_FACTS = frozenset(
    {
        "complete",
        "packages",
        "machine",
        "parameters",
        "capacities",
        "seeds",
        "daily_columns",
        "text",
        "sweep_text",
        "scenario",
        "scenarios",
        "kind",
        "git_commit",
        "amparo_version",
        "created_at",
        "wall_seconds",
        "files",
        "seal",
    }
)
KNOWN_KINDS = ("run", "compare", "comparison", "sweep", "sizing", "sensitivity")


class ContentError(Exception):
    """A result's table cannot be read: the message names the file and what is wrong."""


@dataclass(frozen=True)
class KeyTable:
    """Key figures of a result, as text cells ready to print. `numeric` marks right-aligned columns."""

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""
    numeric: tuple[int, ...] = ()
    names: list[str] = field(default_factory=list)  # the outcome (or input) name of each row, if any


@dataclass(frozen=True)
class Finding:
    """One line of the summary: what it is about, and the sentence."""

    about: str
    sentence: str


@dataclass(frozen=True)
class Content:
    """What the brief says about one result: its question, findings, tables and methods."""

    question: str
    scenarios: list[str]
    findings: list[Finding]
    capacity_answer: str
    tables: list[KeyTable]
    methods: list[tuple[str, str]]
    figure_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class SourceFigure:
    """A reported figure from figures.csv, with the title of the document it is quoted from."""

    figure: str
    value: str
    unit: str
    what: str
    year: str
    quote: str
    document: str


# --- numbers and words -------------------------------------------------------------------------------
def format_number(value: Any, unit: str = "", signed: bool = False) -> str:
    """A number as a planner reads it: shares as percentages (differences of shares, `signed`, in
    percentage points), large counts with thousands separators."""
    if value is None or value == "":
        return "n/a"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "n/a"
    if math.isinf(number):
        return ("+" if signed and number > 0 else "") + ("∞" if number > 0 else "-∞")
    sign = "+" if signed else ""
    if unit in ("share", "probability"):
        return f"{100 * number:{sign},.1f}" + (" pp" if signed else "%")
    if abs(number) >= 100 or number == int(number):
        return f"{number:{sign},.0f}"
    if abs(number) >= 10:
        return f"{number:{sign},.1f}"
    return f"{number:{sign},.3g}" if number else f"{number:{sign}.0f}"


def label_of(name: str) -> str:
    """An outcome's plain-language label (the name itself for one the registry does not know)."""
    outcome = OUTCOME_BY_NAME.get(name)
    return outcome.label if outcome is not None else name.replace("_", " ").capitalize()


def shown_path(value: Any) -> str:
    """A file named in a manifest, without the machine's own folders: relative paths as written,
    absolute ones by their last two parts."""
    path = Path(str(value))
    return str(path) if not path.is_absolute() else str(Path(*path.parts[-2:]))


def describe(value: Any) -> str:
    """A manifest value in words: no Python `None`, lists shortened."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{key.replace('_', ' ')}: {describe(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(describe(item) for item in value[:20]) + (" …" if len(value) > 20 else "")
    if isinstance(value, float):
        return format_number(value)
    return str(value)


# --- reading tables ----------------------------------------------------------------------------------
def read_rows(
    path: Path, reader: Callable[[Path], bytes], columns: Sequence[str] = ()
) -> list[dict[str, str]]:
    """The rows of a CSV file read through `reader` (the brief's regular-file guard)."""
    try:
        text = reader(path).decode("utf-8")
        rows = list(csv.DictReader(text.splitlines()))
    except (OSError, csv.Error, UnicodeDecodeError) as error:
        raise ContentError(f"{path}: cannot be read ({error})") from None
    missing = [c for c in columns if rows and c not in rows[0]]
    if missing:
        raise ContentError(f"{path}: missing column(s) {', '.join(missing)}")
    return rows


def _floats(values: Iterable[str]) -> list[float]:
    result = []
    for value in values:
        try:
            result.append(float(value))
        except ValueError:
            result.append(math.nan)
    return result


def _median(values: list[float]) -> float:
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


# --- the calibration a result used --------------------------------------------------------------------
def calibration_used(manifest: dict) -> str:
    """Which calibration the scenarios rest on: recorded in the manifest, or read from the scenario
    text (`extends` of a file in a calibration folder), and whether parameter uncertainty is carried."""
    specs = [manifest.get("scenario")] + list(manifest.get("scenarios") or [])
    files: list[str] = []
    for spec in specs:
        if not isinstance(spec, dict):
            continue
        recorded = spec.get("calibration")
        if isinstance(recorded, str) and recorded:
            files.append(recorded)
            continue
        try:  # the text is the manifest's, which anyone may have edited: read within the input limits
            extends = parse_toml(str(spec.get("text", "")), "manifest.json").get("extends")
        except ScenarioError:
            extends = None
        if isinstance(extends, str) and "calibrat" in extends:
            files.append(Path(extends).as_posix().split("../")[-1])
    posterior = manifest.get("posterior")
    if isinstance(posterior, dict):
        sha = str(posterior.get("sha256", ""))[:12]
        posterior = (f"{describe(posterior.get('draws', '?'))} draws from the posterior "
                     f"{shown_path(str(posterior.get('file', '?')))} (SHA-256 {sha}), each with every "
                     "replication; the intervals marked as including parameter uncertainty are "
                     f"{describe(posterior.get('estimator', 'quantiles over the draws'))}; the other "
                     "intervals are those of replications at the point values.")
    else:
        posterior = f"{posterior} posterior draws, so intervals include parameter uncertainty" \
            if posterior else None
    if not files:
        if posterior:
            return f"no calibration file in the scenarios' chain; {posterior[:1].lower()}{posterior[1:]}"
        return "none recorded: parameters as set in the scenario files and the code defaults"
    carried = posterior or (
        "its point values (posterior means); intervals show the variation between "
        "replications only, not parameter uncertainty"
    )
    return f"{', '.join(dict.fromkeys(files))}: {carried}"


# --- the content of each kind ----------------------------------------------------------------------
def content_of(folder: Path, kind: str, manifest: dict, reader: Callable[[Path], bytes]) -> Content:
    """What the brief says about one result folder."""
    builders = {
        "run": _run,
        "compare": _compare,
        "comparison": _compare,
        "sweep": _sweep,
        "sizing": _sizing,
        "sensitivity": _sensitivity,
    }
    build = builders.get(kind, _other)
    question, scenarios, findings, answer, tables = build(folder, manifest, reader)
    return Content(question, scenarios, findings, answer, tables, methods(kind, manifest))


def _run(folder: Path, manifest: dict, reader) -> tuple:
    scenario = manifest.get("scenario") or {}
    title = scenario.get("title") or folder.name
    rows = read_rows(folder / "summary.csv", reader, ("outcome", "mean", "ci_low", "ci_high"))
    by_name = {row["outcome"]: row for row in rows}
    body, findings = [], []
    names = [n for n in outcomes_in(View.RUN) if n in by_name]
    for name in names:
        row = by_name[name]
        unit = row.get("unit", "")
        reported = REPORTED.get(name)
        shown = f"{format_number(reported.value, unit)} ({reported.figure})" if reported else ""
        body.append(
            [
                label_of(name),
                unit,
                format_number(row["mean"], unit),
                f"{format_number(row['ci_low'], unit)} to {format_number(row['ci_high'], unit)}",
                shown,
            ]
        )
        if reported:
            findings.append(
                Finding(
                    label_of(name),
                    f"{format_number(row['mean'], unit)} {unit} (95% interval "
                    f"{format_number(row['ci_low'], unit)} to {format_number(row['ci_high'], unit)}"
                    f"); reported: {format_number(reported.value, unit)} ({reported.figure})",
                )
            )
    table = KeyTable(
        "Key figures",
        ["Outcome", "Unit", "Mean", "95% interval", "Reported"],
        body,
        "Means across replications with the 95% confidence interval of the mean (bootstrap for "
        "shares and counts, which keeps it within the values they can take). 'Reported' is the "
        "published figure the outcome is compared with.",
        numeric=(2, 3, 4),
        names=names,
    )
    years = manifest.get("years", "?")
    question = f"What does the scenario '{title}' give over {describe(years)} simulated year(s)?"
    return question, [title], findings, "", [table]


def _compare(folder: Path, manifest: dict, reader) -> tuple:
    rows = read_rows(
        folder / "comparison.csv",
        reader,
        ("outcome", "scenario", "mean", "difference", "difference_ci_low", "difference_ci_high"),
    )
    specs = [s for s in manifest.get("scenarios") or [] if isinstance(s, dict)]
    names = [s.get("name") for s in specs] or list(dict.fromkeys(r["scenario"] for r in rows))
    titles = {s.get("name"): s.get("title") or s.get("name") for s in specs}
    reference = names[0]
    by_key = {(row["outcome"], row["scenario"]): row for row in rows}
    key = [o for o in outcomes_in(View.COMPARE) if (o, reference) in by_key]
    levels = [
        [label_of(o), by_key[(o, reference)].get("unit", "")]
        + [
            format_number(by_key[(o, n)]["mean"], by_key[(o, n)].get("unit", ""))
            if (o, n) in by_key
            else "n/a"
            for n in names
        ]
        for o in key
    ]
    level_table = KeyTable(
        "Key figures by scenario",
        ["Outcome", "Unit", *(titles.get(n, n) for n in names)],
        levels,
        f"Means across {manifest.get('replications', '?')} replications of each scenario.",
        numeric=tuple(range(2, 2 + len(names))),
        names=key,
    )
    effects = effects_from_rows(rows, reference, key)
    effect_rows = [
        [
            titles.get(e.scenario, e.scenario),
            e.outcome.label,
            f"{format_number(e.difference, signed=True)} {e.display_unit}",
            f"{format_number(e.low, signed=True)} to {format_number(e.high, signed=True)}",
            {True: "better", False: "worse"}.get(
                e.better, "no clear change" if not e.significant else "changed"
            ),
        ]
        for e in sorted(effects, key=lambda e: names.index(e.scenario) if e.scenario in names else 0)
    ]
    effect_table = KeyTable(
        f"What changed against '{titles.get(reference, reference)}'",
        ["Scenario", "Outcome", "Change", "95% interval", "Verdict"],
        effect_rows,
        "Mean paired difference to the reference, in the outcome's own unit (shares in "
        "percentage points), with its 95% confidence interval; replication i of every "
        "scenario sees the same children (common random numbers).",
        numeric=(2, 3),
    )
    shown = set(outcomes_in(View.COMPARE)) | set(outcomes_in(View.RUN))
    clearest = largest_effects(effects_from_rows(rows, reference, shown), 6)
    findings = [Finding(titles.get(e.scenario, e.scenario), e.sentence()) for e in clearest]
    others = [titles.get(n, n) for n in names[1:]]
    question = (
        f"What changes, against '{titles.get(reference, reference)}', under "
        + ", ".join(f"'{title}'" for title in others)
        + "?"
    )
    scenarios = [f"{titles.get(n, n)}" + (" (the reference)" if n == reference else "") for n in names]
    return question, scenarios, findings, "", [level_table, effect_table]


def _sweep(folder: Path, manifest: dict, reader) -> tuple:
    tables = []
    varied = [str(name) for name in manifest.get("varied") or []]
    if (folder / "experiments.csv").exists() and varied:
        experiments = read_rows(folder / "experiments.csv", reader, varied)
        body = []
        for name in varied:
            values = _floats(row[name] for row in experiments)
            body.append([name, format_number(min(values)), format_number(max(values)), str(len(set(values)))])
        tables.append(
            KeyTable(
                "Inputs varied", ["Input", "Lowest", "Highest", "Distinct values"], body, numeric=(1, 2, 3)
            )
        )
    outcomes = read_rows(folder / "outcomes.csv", reader)
    body = []
    shown = [n for n in outcomes_in(View.COMPARE) if outcomes and n in outcomes[0]]
    for name in shown:
        unit = OUTCOME_BY_NAME[name].unit
        values = sorted(v for v in _floats(row[name] for row in outcomes) if not math.isnan(v))
        cells = (
            [format_number(v, unit) for v in (values[0], _median(values), values[-1])]
            if values
            else ["n/a"] * 3
        )
        body.append([label_of(name), unit, *cells])
    tables.append(
        KeyTable(
            "Key outcomes across runs",
            ["Outcome", "Unit", "Lowest", "Median", "Highest"],
            body,
            f"Over {len(outcomes)} runs (design points x replications); the spread mixes the "
            "effect of the inputs with the variation between replications.",
            numeric=(2, 3, 4),
            names=shown,
        )
    )
    question = f"How do the outcomes respond to {', '.join(varied) or 'the varied inputs'}?"
    return question, [describe(manifest.get("title", folder.name))], [], "", tables


def _sizing(folder: Path, manifest: dict, reader) -> tuple:
    standard = manifest.get("standard") or {}
    levers = [lever for lever in manifest.get("levers") or [] if isinstance(lever, dict)]
    lever = levers[0] if levers else {}
    confidence = manifest.get("confidence")
    share = (
        f"{100 * float(confidence):.0f}%" if isinstance(confidence, int | float) else "the stated share of"
    )
    answer = manifest.get("answer")
    unit = lever.get("unit", "")
    if answer is not None:
        capacity = (
            f"At least {describe(answer)} {unit} ({lever.get('label', lever.get('name', ''))}) so that "
            f"'{standard.get('title', standard.get('name', 'the standard'))}' holds in {share} runs "
            f"(the scenario has {describe(lever.get('scenario_value'))})."
        )
    elif manifest.get("frontier"):
        labels = ', '.join(describe(v.get('label')) for v in levers)
        capacity = f"A frontier of {len(manifest['frontier'])} combinations of {labels}: see the table."
    else:
        capacity = (
            f"No value of {lever.get('label', 'the lever')} up to {describe(lever.get('high'))} {unit} meets "
            f"'{standard.get('title', 'the standard')}' in {share} runs."
        )
    tables = []
    if (folder / "evaluations.csv").exists():
        rows = read_rows(
            folder / "evaluations.csv", reader, ("value", "share_met", "share_ci_low", "share_ci_high")
        )
        body = [
            [
                format_number(r["value"]),
                format_number(r["share_met"], "share"),
                f"{format_number(r['share_ci_low'], 'share')} to "
                f"{format_number(r['share_ci_high'], 'share')}",
                "yes" if r.get("meets_confidence") == "1" else "no",
                "chosen" if r.get("chosen") == "1" else "",
            ]
            for r in rows
        ]
        tables.append(
            KeyTable(
                f"Runs meeting the standard, by {lever.get('label', 'lever value')}",
                [
                    f"{lever.get('label', 'Value')} ({unit})",
                    "Runs meeting it",
                    "95% interval",
                    f"Meets {share}",
                    "",
                ],
                body,
                "Share of replications in which the standard held, with its Wilson 95% interval.",
                numeric=(0, 1, 2),
            )
        )
    if (folder / "frontier.csv").exists():
        rows = read_rows(folder / "frontier.csv", reader)
        if rows:
            header = list(rows[0])
            tables.append(
                KeyTable(
                    "Frontier",
                    [h.replace("_", " ").capitalize() for h in header],
                    [[format_number(r[h]) for h in header] for r in rows],
                    numeric=tuple(range(len(header))),
                )
            )
    question = (
        f"How much {lever.get('label', 'capacity')} is needed so that "
        f"'{standard.get('title', standard.get('name', 'the standard'))}' holds in {share} runs?"
    )
    scenario = manifest.get("scenario") or {}
    return question, [describe(scenario.get("title", scenario.get("file", "")))], [], capacity, tables


def _sensitivity(folder: Path, manifest: dict, reader) -> tuple:
    tables, findings = [], []
    if (folder / "morris.csv").exists():
        rows = read_rows(folder / "morris.csv", reader, ("outcome", "parameter", "mu_star"))
        by_outcome: dict[str, list[dict[str, str]]] = {}
        for row in rows:
            by_outcome.setdefault(row["outcome"], []).append(row)
        body = []
        for outcome, mine in by_outcome.items():
            ranked = sorted(mine, key=lambda r: -_floats([r["mu_star"]])[0])[:3]
            body.append(
                [
                    label_of(outcome),
                    ", ".join(r["parameter"] for r in ranked),
                    format_number(ranked[0]["mu_star"]) if ranked else "n/a",
                ]
            )
            if ranked:
                findings.append(Finding(label_of(outcome), f"most sensitive to {ranked[0]['parameter']}"))
        tables.append(
            KeyTable(
                "Most influential uncertain parameters",
                ["Outcome", "Top three (by mu*)", "Largest mu*"],
                body,
                "Morris elementary effects: mu* is the mean absolute change of the outcome per "
                "step of a parameter across its range.",
                numeric=(2,),
            )
        )
    question = "Which uncertain parameters move the key outcomes most?"
    return question, [shown_path(manifest.get("base", ""))], findings[:5], "", tables


def _other(folder: Path, manifest: dict, reader) -> tuple:
    title = describe(manifest.get("title", folder.name))
    tables = []
    if (folder / "summary.csv").exists():
        rows = read_rows(folder / "summary.csv", reader, ("outcome", "mean", "ci_low", "ci_high"))
        tables.append(
            KeyTable(
                "Key figures",
                ["Outcome", "Unit", "Mean", "95% interval"],
                [
                    [
                        label_of(r["outcome"]),
                        r.get("unit", ""),
                        format_number(r["mean"], r.get("unit", "")),
                        f"{format_number(r['ci_low'], r.get('unit', ''))} to "
                        f"{format_number(r['ci_high'], r.get('unit', ''))}",
                    ]
                    for r in rows
                ],
                numeric=(2, 3),
            )
        )
    return f"{title}", [title], [], "", tables


def title_of(kind: str, manifest: dict, folder: Path) -> str:
    """The heading of a result's section."""
    if kind == "run":
        return f"Run: {(manifest.get('scenario') or {}).get('title', folder.name)}"
    if kind in ("compare", "comparison"):
        names = [
            s.get("title") or s.get("name", "?") for s in manifest.get("scenarios", []) if isinstance(s, dict)
        ]
        return "Comparison: " + " vs ".join(names)
    return f"{kind.capitalize()}: {describe(manifest.get('title', folder.name))}"


def methods(kind: str, manifest: dict) -> list[tuple[str, str]]:
    """The methods box: model version, scenario files, seeds, replications, the calibration used."""
    commit = str(manifest.get("git_commit", "unknown"))
    version = f"Amparo {manifest.get('amparo_version', '?')} (git {commit[:12]})"
    packages = manifest.get("packages") or {}
    if isinstance(packages, dict) and packages.get("mesa"):
        version += f", Mesa {packages['mesa']}"
    facts = [("Result kind", kind), ("Model version", version)]
    scenario = manifest.get("scenario")
    if isinstance(scenario, dict):
        facts.append(
            ("Scenario file", f"{shown_path(scenario.get('file', '?'))} ({scenario.get('title', '')})")
        )
    elif kind in ("compare", "comparison"):
        files = [
            f"{shown_path(s.get('file', '?'))} ({s.get('name', '')})"
            for s in manifest.get("scenarios", [])
            if isinstance(s, dict)
        ]
        facts.append(("Scenario files", "; ".join(files) + " (the first is the reference)"))
    if kind == "sweep":
        facts.append(
            (
                "Sweep file",
                f"{shown_path(manifest.get('sweep_file', '?'))} on base "
                f"{shown_path(manifest.get('base', '?'))}",
            )
        )
        facts.append(
            (
                "Design",
                f"{manifest.get('design', '?')}, {manifest.get('points', '?')} points, "
                f"varying {', '.join(map(str, manifest.get('varied', [])))}",
            )
        )
    if kind == "sizing" and isinstance(manifest.get("standard"), dict):
        standard = manifest["standard"]
        facts.append(
            (
                "Standard",
                f"{standard.get('title', standard.get('name', ''))}: "
                f"{standard.get('condition', '')} (source: {standard.get('source', 'not given')})",
            )
        )
    if kind == "sensitivity":
        facts.append(
            (
                "Method",
                f"{manifest.get('method', 'Morris')}, {manifest.get('trajectories', '?')} "
                f"trajectories, {manifest.get('runs', '?')} runs",
            )
        )
    seed = manifest.get("base_seed", manifest.get("seed"))
    if seed is not None:
        facts.append(
            (
                "Seeds",
                f"base seed {seed}; replication i uses a seed derived from it and i "
                "(common random numbers across scenarios)",
            )
        )
    if "replications" in manifest:
        facts.append(("Replications", describe(manifest["replications"])))
    if "years" in manifest:
        facts.append(("Measured years", f"{describe(manifest['years'])} per replication, after the warm-up"))
    facts.append(("Calibration used", calibration_used(manifest)))
    if kind not in KNOWN_KINDS:
        for key, value in manifest.items():
            shown = isinstance(value, str | int | float | bool | list) and value is not None
            if (
                shown
                and key not in SKIPPED_FACTS
                and key not in {"title", "base_seed", "seed", "replications", "years"}
            ):
                facts.append((key.replace("_", " ").capitalize(), describe(value)))
    if manifest.get("created_at"):
        facts.append(("Produced at", str(manifest["created_at"])))
    return facts


# --- sources -----------------------------------------------------------------------------------------
def parameter_figure_ids() -> set[str]:
    """Figure ids cited by the sources of the model's parameters (every run uses all of them)."""
    from sim.model.parameters import parameter_fields

    ids = {figure.figure for figure in REPORTED.values()}
    for f in parameter_fields():
        ids.update(FIGURE_ID.findall(f.metadata["source"]))
    return ids


def read_figures(path: Path = FIGURES_FILE, documents: Path = DOCUMENTS_FILE) -> dict[str, SourceFigure]:
    """Reported figures by id with their document's title, from the project's copies of figures.csv
    and documents.csv (empty if figures.csv is missing)."""
    if not path.exists():
        return {}
    titles = {}
    if documents.exists():
        with open(documents, newline="", encoding="utf-8") as handle:
            titles = {
                row["seed"]: f"{row['title']} ({row['publisher']}, {row['year']})"
                for row in csv.DictReader(handle)
            }
    with open(path, newline="", encoding="utf-8") as handle:
        return {
            row["id"]: SourceFigure(
                row["id"],
                row["value"],
                row["unit"],
                row["what"],
                row["year"],
                row["quote"],
                titles.get(row.get("seed", ""), row.get("seed", "")),
            )
            for row in csv.DictReader(handle)
        }
