"""A brief a planner can send: result folders turned into one self-contained HTML file and its
Markdown twin, both rendered from the same data by Jinja2 templates (`sim/presentation/templates`).

The brief opens with a summary a minister reads in a minute (the question of each result, its
scenarios, the largest effects in plain words with their intervals, the capacity answer), then each
result's key figures, charts and methods, then the sources (figure id, verbatim quote, document).
It prints on A4 and reads on a phone. What it says about each kind of result is in
`sim.presentation.brief_content`; this module reads the folders safely and writes the files.

A kind it does not know still gets its manifest facts, charts and captions. Images are embedded in
the HTML as data URIs, so the file opens offline and can be attached to an email; the Markdown
version refers to copies of the PNG files in a folder next to it. Only regular files inside a
result folder are ever read (no symbolic links out, no special files).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from sim.inputs import regular_file
from sim.inputs.input_error import shown_path
from sim.presentation.brief_content import (
    KNOWN_KINDS,
    Content,
    ContentError,
    KeyTable,
    SourceFigure,
    content_of,
    format_number,
    parameter_figure_ids,
    read_figures,
    title_of,
)
from sim.presentation.charts.tables import ChartDataError, read_manifest

TEMPLATES = Path(__file__).resolve().parent / "templates"
FIGURE_ID = re.compile(r"\bF\d{2}\b")


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
class ResultSection:
    """What the report says about one result folder."""

    folder: Path
    kind: str
    title: str
    content: Content
    charts: list[Chart]

    @property
    def anchor(self) -> str:
        return _slug(self.folder.name)

    @property
    def tables(self) -> list[KeyTable]:
        return self.content.tables


@dataclass(frozen=True)
class Report:
    sections: list[ResultSection]
    sources: list[SourceFigure]
    missing_figures: list[str]
    created_at: str
    version: str


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
        raise ReportError(f'{path}: the result is incomplete ("complete" is not true); finish or rerun it')
    kind = str(manifest.get("kind", "result"))
    try:
        content = content_of(folder, kind, manifest, read_regular_file)
    except (ContentError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise ReportError(f"{folder}: its tables cannot be reported on ({error})") from None
    return ResultSection(
        folder, kind, title_of(kind, manifest, folder), content, read_charts(folder / "charts")
    )


def figure_ids(section: ResultSection, manifest_text: str = "") -> set[str]:
    """The reported figures a section cites: in its captions, tables and scenario texts, plus every
    parameter's source for the kinds that run the model."""
    texts = [manifest_text] + [chart.caption for chart in section.charts]
    texts += [cell for table in section.tables for row in table.rows for cell in row]
    texts += [finding.sentence for finding in section.content.findings]
    ids = set(FIGURE_ID.findall(" ".join(texts)))
    if section.kind in KNOWN_KINDS:
        ids |= parameter_figure_ids()
    return ids


def check_only_regular_files(folder: Path) -> None:
    """Raise ReportError if anything the brief could read in `folder` (its files and `charts/`) is a
    symbolic link or a special file: a brief embeds what it reads, so a folder received from someone
    else must not make it read (and leak) the recipient's own files. Amparo writes neither."""
    places = [Path(folder)]
    charts = Path(folder) / "charts"
    if charts.is_symlink():
        raise ReportError(
            f"{charts}: is a symbolic link; a brief reads only regular files inside the result folder"
        )
    if charts.is_dir():
        places.append(charts)
    for place in places:
        try:
            entries = list(os.scandir(place))
        except OSError as error:
            raise ReportError(f"{place}: cannot be read ({error.strerror})") from None
        for entry in entries:
            if entry.is_symlink():
                raise ReportError(
                    f"{entry.path}: is a symbolic link; a brief reads only regular files "
                    "inside the result folder, so remove the link (or copy the file in)"
                )
            if not (entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False)):
                raise ReportError(
                    f"{entry.path}: is not a regular file (a device, pipe or socket); a brief "
                    "reads only regular files inside the result folder"
                )


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
        charts.append(
            Chart(
                name,
                pngs[name],
                svg if svg.exists() else None,
                captions.get(name, "No caption was written for this chart."),
            )
        )
    return charts


def parse_captions(path: Path) -> dict[str, str]:
    """Chart name -> caption from a `captions.md` (sections headed `## name`).

    Lines that only show the image or list its files are not part of the caption.
    """
    if not path.exists():
        return {}
    captions: dict[str, list[str]] = {}
    current: list[str] | None = None
    text = read_regular_file(path).decode("utf-8", errors="replace")  # bounded, regular files only
    for line in text.splitlines():
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


# --- the report -----------------------------------------------------------------------------------
def build_report(folders: Sequence[Path]) -> Report:
    """Read every folder (ReportError on the first that is not a complete result)."""
    from sim.results.run_folder import package_versions

    sections = [read_result(Path(folder)) for folder in folders]
    figures = read_figures()
    cited: set[str] = set()
    for section in sections:
        manifest_text = read_regular_file(section.folder / "manifest.json").decode("utf-8", "replace")
        cited |= figure_ids(section, manifest_text)
    ids = sorted(cited, key=lambda i: int(i[1:]))
    return Report(
        sections,
        [figures[i] for i in ids if i in figures],
        [i for i in ids if i not in figures],
        datetime.now(UTC).isoformat(timespec="seconds"),
        package_versions()["amparo"],
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "result"


def _image_name(index: int, section: ResultSection, chart: Chart) -> str:
    return f"{index + 1}-{_slug(section.folder.name)}-{chart.name}.png"


def _markdown_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _environment(autoescape: bool) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    environment.filters["cell"] = _markdown_cell
    return environment


def render_html(report: Report) -> str:
    """The whole brief as one HTML page; PNG charts embedded as base64 data URIs."""

    def image(chart: Chart) -> str:
        return base64.b64encode(read_regular_file(chart.png)).decode("ascii")

    return _environment(autoescape=True).get_template("brief.html.j2").render(report=report, image=image)


def render_markdown(report: Report, image_folder: str) -> str:
    """The brief in Markdown; charts are PNG files in `image_folder` (relative to the .md file)."""
    template = _environment(autoescape=False).get_template("brief.md.j2")
    text = template.render(report=report, image_folder=image_folder, image_name=_image_name)
    return re.sub(r"\n{3,}", "\n\n", text)


def report_paths(html_path: Path) -> tuple[Path, Path, Path]:
    """The HTML file, its Markdown twin and the Markdown's image folder."""
    html_path = Path(html_path)
    return html_path, html_path.with_suffix(".md"), html_path.with_name(f"{html_path.stem}_charts")


def _check_report_replaceable(html_file: Path, markdown_file: Path, image_folder: Path) -> None:
    """--overwrite replaces a report's files only: regular files, and an image folder of PNGs."""
    for path in (html_file, markdown_file):
        if os.path.lexists(path) and (path.is_symlink() or not path.is_file()):
            raise ReportError(
                f"{path}: is not a report file (a folder, link or special file), so "
                "--overwrite will not replace it; choose another --out"
            )
    if not os.path.lexists(image_folder):
        return
    if (
        image_folder.is_symlink()
        or not image_folder.is_dir()
        or any(
            entry.suffix != ".png" or entry.is_symlink() or not entry.is_file()
            for entry in image_folder.iterdir()
        )
    ):
        raise ReportError(
            f"{image_folder}: is not a report's image folder (it holds more than the "
            "report's PNG images), so --overwrite will not replace it; choose another --out"
        )


def write_report(folders: Sequence[Path], html_path: Path, overwrite: bool = False) -> list[Path]:
    """Write the HTML brief, its Markdown twin and the Markdown's images; return their paths.

    Nothing is written unless every folder can be read; each file is written under a temporary name
    and renamed, the HTML last. Existing files are replaced only with `overwrite`.
    """
    html_file, markdown_file, image_folder = report_paths(html_path)
    existing = [p for p in (html_file, markdown_file, image_folder) if os.path.lexists(p)]
    if existing and not overwrite:
        raise ReportError(
            f"{existing[0]}: a report already exists here; choose another --out or add --overwrite"
        )
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


__all__ = [
    "Chart",
    "KeyTable",
    "Report",
    "ReportError",
    "ResultSection",
    "build_report",
    "format_number",
    "parse_captions",
    "read_charts",
    "read_figures",
    "read_result",
    "render_html",
    "render_markdown",
    "report_paths",
    "write_report",
]
