"""A brief a planner can send: result folders turned into one self-contained HTML file and its Markdown twin.

The report reads result folders generically, by their `manifest.json` (`"kind"`: run, compare,
sweep, or any other kind), their key table, and their `charts/` (PNG files and `captions.md`).
A kind it does not know still gets its manifest facts, charts and captions, so new kinds of result
(calibration, sizing) appear without changes here. Images are embedded in the HTML as data URIs,
so the file opens offline and can be attached to an email; the Markdown version refers to copies
of the PNG files in a folder next to it.

Sources are the reported figures (F01…) the results rest on, with their verbatim quotes, read from
`docs/figures.csv` (a copy of the project's reference table, committed so a clean clone has it).
"""

from __future__ import annotations

import base64
import csv
import html
import math
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.inputs import regular_file
from sim.inputs.input_error import shown_path
from sim.presentation.charts.tables import ChartDataError, read_manifest

FIGURES_FILE = Path(__file__).resolve().parents[2] / "docs" / "figures.csv"
FIGURE_ID = re.compile(r"\bF\d{2}\b")
#: Manifest keys shown in a result's facts when the kind is not one the report knows.
SKIPPED_FACTS = frozenset({"complete", "packages", "machine", "parameters", "capacities", "seeds",
                           "daily_columns", "text", "sweep_text", "scenario", "scenarios"})
KNOWN_KINDS = ("run", "compare", "comparison", "sweep")


class ReportError(Exception):
    """A folder cannot be reported on: the message names the folder and what is wrong."""


@dataclass(frozen=True)
class Chart:
    """One chart of a result folder: its PNG (and SVG when present) and its caption."""

    name: str
    png: Path
    svg: Path | None
    caption: str


@dataclass(frozen=True)
class KeyTable:
    """The key figures of a result, as text cells ready to print."""

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass(frozen=True)
class ResultSection:
    """What the report says about one result folder."""

    folder: Path
    kind: str
    title: str
    methods: list[tuple[str, str]]
    tables: list[KeyTable]
    charts: list[Chart]
    figure_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class SourceFigure:
    """A reported figure from figures.csv."""

    figure: str
    value: str
    unit: str
    what: str
    year: str
    quote: str


# --- reading result folders ---------------------------------------------------------------------
def read_result(folder: Path) -> ResultSection:
    """The report section of one complete result folder (ReportError if it is not one)."""
    folder = Path(folder)
    path = folder / "manifest.json"
    if problem := regular_file.path_problem(folder):
        raise ReportError(f"{shown_path(str(folder))}: {problem}")
    if not folder.is_dir():
        raise ReportError(f"{folder}: no such folder")
    check_only_regular_files(folder)
    try:
        manifest = read_manifest(folder)
    except ChartDataError as error:
        raise ReportError(str(error)) from None
    if not isinstance(manifest, dict) or manifest.get("complete") is not True:
        raise ReportError(f"{path}: the result is incomplete (\"complete\" is not true); finish or rerun it")
    kind = str(manifest.get("kind", "result"))
    tables = _key_tables(folder, kind, manifest)
    charts = read_charts(folder / "charts")
    texts = [_scenario_texts(manifest)] + [chart.caption for chart in charts]
    texts += [cell for table in tables for row in table.rows for cell in row]
    ids = set(FIGURE_ID.findall(" ".join(texts)))
    if kind in KNOWN_KINDS:
        ids |= parameter_figure_ids()
    return ResultSection(folder, kind, _title(kind, manifest, folder), _methods(kind, manifest), tables,
                         charts, ids)


def check_only_regular_files(folder: Path) -> None:
    """Raise ReportError if anything the brief could read in `folder` (its files and `charts/`) is a
    symbolic link or a special file: a brief embeds what it reads, so a folder received from someone
    else must not make it read (and leak) the recipient's own files. Amparo writes neither."""
    places = [Path(folder)]
    charts = Path(folder) / "charts"
    if charts.is_symlink():
        raise ReportError(f"{charts}: is a symbolic link; a brief reads only regular files inside the "
                          "result folder")
    if charts.is_dir():
        places.append(charts)
    for place in places:
        try:
            entries = list(os.scandir(place))
        except OSError as error:
            raise ReportError(f"{place}: cannot be read ({error.strerror})") from None
        for entry in entries:
            if entry.is_symlink():
                raise ReportError(f"{entry.path}: is a symbolic link; a brief reads only regular files "
                                  "inside the result folder, so remove the link (or copy the file in)")
            if not (entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False)):
                raise ReportError(f"{entry.path}: is not a regular file (a device, pipe or socket); a brief "
                                  "reads only regular files inside the result folder")


#: Largest chart image a brief embeds; Amparo's charts are under 1 MB.
MAX_CHART_BYTES = 64 * 1024 * 1024


def read_regular_file(path: Path) -> bytes:
    """The bytes of `path`, refusing a symbolic link or special file swapped in since the check."""
    try:
        return regular_file.read_regular_file(path, MAX_CHART_BYTES, follow_symlinks=False).data
    except regular_file.UnreadableFile as error:
        raise ReportError(f"{path}: {error.reason}; a brief reads only regular files inside the result "
                          "folder") from None


def read_charts(charts_folder: Path) -> list[Chart]:
    """Every PNG chart in `charts_folder`, in the order `captions.md` lists them, with its caption."""
    if not charts_folder.is_dir():
        return []
    captions = parse_captions(charts_folder / "captions.md")
    pngs = {path.stem: path for path in sorted(charts_folder.glob("*.png")) if not path.name.startswith(".")}
    order = [name for name in captions if name in pngs] + [name for name in pngs if name not in captions]
    charts = []
    for name in order:
        svg = pngs[name].with_suffix(".svg")
        charts.append(Chart(name, pngs[name], svg if svg.exists() else None,
                            captions.get(name, "No caption was written for this chart.")))
    return charts


def parse_captions(path: Path) -> dict[str, str]:
    """Chart name -> caption from a `captions.md` (sections headed `## name`).

    Lines that only show the image or list its files are not part of the caption.
    """
    if not path.exists():
        return {}
    captions: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("## "):
            current = captions.setdefault(stripped[3:].strip(), [])
        elif current is not None and stripped and not _is_file_line(stripped):
            current.append(stripped)
    return {name: " ".join(lines) for name, lines in captions.items()}


def _is_file_line(line: str) -> bool:
    if line.startswith("![") or line.startswith("Files:"):
        return True
    return all(re.fullmatch(r"[\w.-]+\.(png|svg|pdf)", part.strip()) for part in line.split(","))


def _title(kind: str, manifest: dict, folder: Path) -> str:
    if kind == "run":
        return f"Run: {manifest.get('scenario', {}).get('title', folder.name)}"
    if kind in ("compare", "comparison"):
        names = [s.get("title") or s.get("name", "?") for s in manifest.get("scenarios", [])]
        return "Comparison: " + " vs ".join(names)
    if kind == "sweep":
        return f"Sweep: {manifest.get('title', folder.name)}"
    return f"{kind.capitalize()}: {manifest.get('title', folder.name)}"


def _scenario_texts(manifest: dict) -> str:
    parts = [manifest.get("sweep_text", "")]
    scenario = manifest.get("scenario")
    if isinstance(scenario, dict):
        parts.append(str(scenario.get("text", "")))
    for spec in manifest.get("scenarios", []) or []:
        if isinstance(spec, dict):
            parts.append(str(spec.get("text", "")))
    return " ".join(str(part) for part in parts)


def _methods(kind: str, manifest: dict) -> list[tuple[str, str]]:
    """The methods box: model version, scenario files, seeds, replications, calibration used."""
    commit = str(manifest.get("git_commit", "unknown"))
    version = f"Amparo {manifest.get('amparo_version', '?')} (git {commit[:12]})"
    packages = manifest.get("packages") or {}
    if isinstance(packages, dict) and packages.get("mesa"):
        version += f", Mesa {packages['mesa']}"
    facts = [("Result kind", kind), ("Model version", version)]
    if kind == "run":
        scenario = manifest.get("scenario", {})
        facts.append(("Scenario file", f"{scenario.get('file', '?')} ({scenario.get('title', '')})"))
    elif kind in ("compare", "comparison"):
        files = [f"{s.get('file', '?')} ({s.get('name', '')})" for s in manifest.get("scenarios", [])]
        facts.append(("Scenario files", "; ".join(files) + " (the first is the reference)"))
    elif kind == "sweep":
        facts.append(("Sweep file", f"{manifest.get('sweep_file', '?')} on base {manifest.get('base', '?')}"))
        facts.append(("Design", f"{manifest.get('design', '?')}, {manifest.get('points', '?')} points, "
                                f"varying {', '.join(manifest.get('varied', []))}"))
    seed = manifest.get("base_seed", manifest.get("seed"))
    if seed is not None:
        facts.append(("Seeds", f"base seed {seed}; replication i uses a seed derived from it and i "
                               "(common random numbers across scenarios)"))
    if "replications" in manifest:
        facts.append(("Replications", str(manifest["replications"])))
    if "years" in manifest:
        facts.append(("Measured years", f"{float(manifest['years']):g} per replication, after the warm-up"))
    calibration = manifest.get("calibration")
    facts.append(("Calibration used", _describe(calibration) if calibration else
                  "none recorded: parameters as set in the scenario files and the code defaults"))
    if kind not in KNOWN_KINDS:
        for key, value in manifest.items():
            shown = isinstance(value, str | int | float | bool | list)
            if shown and key not in SKIPPED_FACTS and key not in dict(facts):
                facts.append((key.replace("_", " ").capitalize(), _describe(value)))
    if manifest.get("created_at"):
        facts.append(("Produced at", str(manifest["created_at"])))
    return facts


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_describe(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_describe(item) for item in value[:20]) + (" …" if len(value) > 20 else "")
    return str(value)


# --- key tables -----------------------------------------------------------------------------------
def _key_tables(folder: Path, kind: str, manifest: dict) -> list[KeyTable]:
    if kind in ("compare", "comparison") and (folder / "comparison.csv").exists():
        return [_comparison_table(folder / "comparison.csv", manifest)]
    if kind == "sweep" and (folder / "outcomes.csv").exists():
        return _sweep_tables(folder, manifest)
    if (folder / "summary.csv").exists():
        return [_summary_table(folder / "summary.csv", only_key=kind == "run")]
    return []


def _read_rows(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    except (OSError, csv.Error, UnicodeDecodeError) as error:
        raise ReportError(f"{path}: cannot be read ({error})") from None


def _require(path: Path, rows: list[dict[str, str]], columns: Sequence[str]) -> None:
    missing = [c for c in columns if rows and c not in rows[0]]
    if missing:
        raise ReportError(f"{path}: missing column(s) {', '.join(missing)}")


def _summary_table(path: Path, only_key: bool) -> KeyTable:
    from sim.analysis.reported_figures import KEY_OUTCOMES, REPORTED

    rows = _read_rows(path)
    _require(path, rows, ("outcome", "mean", "ci_low", "ci_high"))
    by_name = {row["outcome"]: row for row in rows}
    names = [n for n in KEY_OUTCOMES if n in by_name] if only_key else list(by_name)
    body = []
    for name in names:
        row = by_name[name]
        unit = row.get("unit", "")
        reported = REPORTED.get(name)
        body.append([name, unit, format_number(row["mean"], unit),
                     f"{format_number(row['ci_low'], unit)} to {format_number(row['ci_high'], unit)}",
                     f"{format_number(reported.value, unit)} ({reported.figure})" if reported else ""])
    return KeyTable("Key figures", ["outcome", "unit", "mean", "95% confidence interval", "reported"], body,
                    "Means across replications; the interval is the 95% confidence interval of the mean "
                    "(Student's t). 'Reported' is the published figure the outcome is compared with.")


def _comparison_table(path: Path, manifest: dict) -> KeyTable:
    from sim.experiments.compare import KEY_OUTCOMES

    rows = _read_rows(path)
    _require(path, rows, ("outcome", "scenario", "mean", "difference", "difference_ci_low",
                          "difference_ci_high"))
    names = [s.get("name") for s in manifest.get("scenarios", [])] or list(dict.fromkeys(r["scenario"]
                                                                                         for r in rows))
    by_key = {(row["outcome"], row["scenario"]): row for row in rows}
    outcomes = [o for o in KEY_OUTCOMES if (o, names[0]) in by_key]
    body = []
    for outcome in outcomes:
        unit = by_key[(outcome, names[0])].get("unit", "")
        cells = [outcome, unit]
        for index, name in enumerate(names):
            row = by_key.get((outcome, name))
            if row is None:
                cells.append("n/a")
            elif index == 0:
                cells.append(format_number(row["mean"], unit))
            else:
                difference = [format_number(row[key], unit, signed=True)
                              for key in ("difference", "difference_ci_low", "difference_ci_high")]
                cells.append(f"{format_number(row['mean'], unit)} ({difference[0]}; {difference[1]} to "
                             f"{difference[2]})")
        body.append(cells)
    return KeyTable("Key figures by scenario", ["outcome", "unit", *names], body,
                    f"Means across {manifest.get('replications', '?')} replications. For each scenario after "
                    f"the reference ({names[0]}), the bracket gives the mean paired difference to the "
                    "reference and its 95% confidence interval; replication i of every scenario sees the "
                    "same children (common random numbers).")


def _sweep_tables(folder: Path, manifest: dict) -> list[KeyTable]:
    from sim.analysis.outcomes import ALL_OUTCOMES
    from sim.experiments.compare import KEY_OUTCOMES

    tables = []
    experiments_path = folder / "experiments.csv"
    varied = [name for name in manifest.get("varied", [])]
    if experiments_path.exists() and varied:
        experiments = _read_rows(experiments_path)
        _require(experiments_path, experiments, varied)
        body = []
        for name in varied:
            values = _floats(row[name] for row in experiments)
            body.append([name, format_number(min(values)), format_number(max(values)),
                         str(len(set(values)))])
        tables.append(KeyTable("Inputs varied", ["input", "lowest", "highest", "distinct values"], body))
    outcomes_path = folder / "outcomes.csv"
    outcomes = _read_rows(outcomes_path)
    present = [name for name in KEY_OUTCOMES if outcomes and name in outcomes[0]]
    units = {outcome.name: outcome.unit for outcome in ALL_OUTCOMES}
    body = []
    for name in present:
        values = sorted(v for v in _floats(row[name] for row in outcomes) if not math.isnan(v))
        if not values:
            body.append([name, units.get(name, ""), "n/a", "n/a", "n/a"])
            continue
        unit = units.get(name, "")
        body.append([name, unit, *(format_number(v, unit) for v in (values[0], _median(values), values[-1]))])
    header = ["outcome", "unit", "lowest", "median", "highest"]
    tables.append(KeyTable("Key outcomes across runs", header, body,
                           f"Over {len(outcomes)} runs (design points x replications); the spread mixes the "
                           "effect of the inputs with the variation between replications."))
    return tables


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
    if unit in ("share", "probability"):  # a difference of shares is in percentage points
        return f"{100 * number:{sign},.1f}" + (" pp" if signed else "%")
    if abs(number) >= 100 or number == int(number):
        return f"{number:{sign},.0f}"
    if abs(number) >= 10:
        return f"{number:{sign},.1f}"
    return f"{number:{sign},.3g}" if number else f"{number:{sign}.0f}"


# --- sources --------------------------------------------------------------------------------------
def parameter_figure_ids() -> set[str]:
    """Figure ids cited by the sources of the model's parameters (every run uses all of them)."""
    from sim.analysis.reported_figures import REPORTED
    from sim.model.parameters import parameter_fields

    ids = {figure.figure for figure in REPORTED.values()}
    for f in parameter_fields():
        ids.update(FIGURE_ID.findall(f.metadata["source"]))
    return ids


def read_figures(path: Path = FIGURES_FILE) -> dict[str, SourceFigure]:
    """Reported figures by id, from the project's copy of figures.csv (empty if it is missing)."""
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["id"]: SourceFigure(row["id"], row["value"], row["unit"], row["what"], row["year"],
                                        row["quote"]) for row in csv.DictReader(handle)}


# --- the report -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    sections: list[ResultSection]
    sources: list[SourceFigure]
    missing_figures: list[str]
    created_at: str
    version: str


def build_report(folders: Sequence[Path]) -> Report:
    """Read every folder (ReportError on the first that is not a complete result)."""
    from sim.results.run_folder import package_versions

    sections = [read_result(Path(folder)) for folder in folders]
    figures = read_figures()
    ids = sorted(set().union(*(section.figure_ids for section in sections)), key=lambda i: int(i[1:]))
    return Report(sections, [figures[i] for i in ids if i in figures], [i for i in ids if i not in figures],
                  datetime.now(UTC).isoformat(timespec="seconds"), package_versions()["amparo"])


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "result"


def _image_name(index: int, section: ResultSection, chart: Chart) -> str:
    return f"{index + 1}-{_slug(section.folder.name)}-{chart.name}.png"


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #222;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
h3 { margin-top: 1.6rem; } .lead { color: #555; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.number { text-align: right; white-space: nowrap; }
.note { font-size: 0.85rem; color: #444; }
aside.methods { background: #f6f6f6; border-left: 4px solid #0072B2; padding: 0.6rem 1rem; margin: 1rem 0; }
aside.methods dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0; }
aside.methods dt { font-weight: 600; } aside.methods dd { margin: 0; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85rem; color: #333; margin-top: 0.4rem; }
blockquote { margin: 0; font-style: italic; }
"""


def _lead(report: Report) -> str:
    return (f"Child migration through Mexico and the capacity that protects children: "
            f"{len(report.sections)} result(s). Produced {report.created_at} by Amparo {report.version}.")


def render_html(report: Report) -> str:
    """The whole brief as one HTML page; PNG charts embedded as base64 data URIs."""
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>Amparo brief: {e(', '.join(s.title for s in report.sections))}</title>",
             f"<style>{STYLE}</style></head><body>",
             "<h1>Amparo brief</h1>",
             f'<p class="lead">{e(_lead(report))}</p>']
    for section in report.sections:
        parts.append(f"<section><h2>{e(section.title)}</h2>")
        parts.append('<aside class="methods"><strong>Methods</strong><dl>')
        parts += [f"<dt>{e(label)}</dt><dd>{e(value)}</dd>" for label, value in section.methods]
        parts.append(f"<dt>Result folder</dt><dd>{e(str(section.folder))}</dd></dl></aside>")
        for table in section.tables:
            parts.append(f"<h3>{e(table.title)}</h3><table><thead><tr>"
                         + "".join(f"<th>{e(cell)}</th>" for cell in table.header) + "</tr></thead><tbody>")
            for row in table.rows:
                cells = "".join(f"<td>{e(row[0])}</td>" if i == 0 else f'<td class="number">{e(cell)}</td>'
                                for i, cell in enumerate(row))
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</tbody></table>")
            if table.note:
                parts.append(f'<p class="note">{e(table.note)}</p>')
        if section.charts:
            parts.append("<h3>Charts</h3>")
        for chart in section.charts:
            data = base64.b64encode(read_regular_file(chart.png)).decode("ascii")
            parts.append(f'<figure id="{e(_slug(section.folder.name))}-{e(chart.name)}">'
                         f'<img alt="{e(chart.name)}: {e(chart.caption[:150])}" '
                         f'src="data:image/png;base64,{data}">'
                         f"<figcaption><strong>{e(chart.name)}.</strong> {e(chart.caption)}</figcaption>"
                         "</figure>")
        parts.append("</section>")
    parts.append("<section><h2>Sources</h2>")
    parts.append('<p class="note">Reported figures the results rest on: the parameters\' sources, the '
                 "scenario files and the figures outcomes are compared with. Quotes are verbatim from the "
                 "source documents (docs/figures.csv).</p>")
    parts.append("<table><thead><tr><th>id</th><th>figure</th><th>what</th><th>year</th><th>quote</th></tr>"
                 "</thead><tbody>")
    for f in report.sources:
        parts.append(f"<tr><td>{e(f.figure)}</td><td>{e(f.value)} {e(f.unit)}</td><td>{e(f.what)}</td>"
                     f"<td>{e(f.year)}</td><td><blockquote>“{e(f.quote)}”</blockquote></td></tr>")
    parts.append("</tbody></table>")
    if report.missing_figures:
        missing = ", ".join(report.missing_figures)
        parts.append(f'<p class="note">Cited but not in docs/figures.csv: {e(missing)}</p>')
    parts.append("</section></body></html>")
    return "\n".join(parts) + "\n"


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report, image_folder: str) -> str:
    """The brief in Markdown; charts are PNG files in `image_folder` (relative to the .md file)."""
    lines = ["# Amparo brief", "", _lead(report), ""]
    for index, section in enumerate(report.sections):
        lines += [f"## {section.title}", "", "**Methods**", ""]
        lines += [f"- **{label}**: {value}" for label, value in section.methods]
        lines += [f"- **Result folder**: {section.folder}", ""]
        for table in section.tables:
            lines += [f"### {table.title}", "", "| " + " | ".join(_md_cell(c) for c in table.header) + " |",
                      "|" + "|".join("---" if i == 0 else "---:" for i in range(len(table.header))) + "|"]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
            lines += ["", table.note, ""] if table.note else [""]
        if section.charts:
            lines += ["### Charts", ""]
        for chart in section.charts:
            lines += [f"![{chart.name}]({image_folder}/{_image_name(index, section, chart)})", "",
                      f"**{chart.name}.** {chart.caption}", ""]
    lines += ["## Sources", "",
              "Reported figures the results rest on, with verbatim quotes (docs/figures.csv).", "",
              "| id | figure | what | year | quote |", "|---|---|---|---|---|"]
    lines += [f"| {f.figure} | {_md_cell(f.value)} {_md_cell(f.unit)} | {_md_cell(f.what)} | {f.year} | "
              f"“{_md_cell(f.quote)}” |" for f in report.sources]
    if report.missing_figures:
        lines += ["", f"Cited but not in docs/figures.csv: {', '.join(report.missing_figures)}"]
    return "\n".join(lines) + "\n"


def report_paths(html_path: Path) -> tuple[Path, Path, Path]:
    """The HTML file, its Markdown twin and the Markdown's image folder."""
    html_path = Path(html_path)
    return html_path, html_path.with_suffix(".md"), html_path.with_name(f"{html_path.stem}_charts")


def _check_report_replaceable(html_file: Path, markdown_file: Path, image_folder: Path) -> None:
    """--overwrite replaces a report's files only: regular files, and an image folder of PNGs."""
    for path in (html_file, markdown_file):
        if os.path.lexists(path) and (path.is_symlink() or not path.is_file()):
            raise ReportError(f"{path}: is not a report file (a folder, link or special file), so "
                              "--overwrite will not replace it; choose another --out")
    if not os.path.lexists(image_folder):
        return
    if image_folder.is_symlink() or not image_folder.is_dir() or any(
            entry.suffix != ".png" or entry.is_symlink() or not entry.is_file()
            for entry in image_folder.iterdir()):
        raise ReportError(f"{image_folder}: is not a report's image folder (it holds more than the "
                          "report's PNG images), so --overwrite will not replace it; choose another --out")


def write_report(folders: Sequence[Path], html_path: Path, overwrite: bool = False) -> list[Path]:
    """Write the HTML brief, its Markdown twin and the Markdown's images; return their paths.

    Nothing is written unless every folder can be read; each file is written under a temporary name
    and renamed, the HTML last. Existing files are replaced only with `overwrite`.
    """
    html_file, markdown_file, image_folder = report_paths(html_path)
    existing = [p for p in (html_file, markdown_file, image_folder) if os.path.lexists(p)]
    if existing and not overwrite:
        raise ReportError(f"{existing[0]}: a report already exists here; choose another --out or add "
                          "--overwrite")
    _check_report_replaceable(html_file, markdown_file, image_folder)
    report = build_report(folders)
    page = render_html(report)
    markdown = render_markdown(report, image_folder.name)
    parent = html_file.parent
    staging = parent / f".{image_folder.name}.partial-{os.getpid()}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for index, section in enumerate(report.sections):
            for chart in section.charts:
                (staging / _image_name(index, section, chart)).write_bytes(read_regular_file(chart.png))
        if image_folder.exists():
            shutil.rmtree(image_folder)
        os.replace(staging, image_folder)
        for path, text in ((markdown_file, markdown), (html_file, page)):
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, path)
    except OSError as error:
        raise ReportError(f"{parent}: cannot write the report here ({error.strerror})") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [html_file, markdown_file, image_folder]


__all__ = ["Chart", "KeyTable", "Report", "ReportError", "ResultSection", "build_report", "format_number",
           "parse_captions", "read_charts", "read_figures", "read_result", "render_html", "render_markdown",
           "report_paths", "write_report"]
