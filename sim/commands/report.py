"""`amparo report`: result folders turned into one self-contained HTML brief and its Markdown twin."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from sim.commands.common import DEFAULT_OUTPUT_FOLDER, check_out_path, fail, remove_staging_left_beside
from sim.commands.options import overwrite_option


@click.command()
@click.argument("result_folders", nargs=-1, required=True, metavar="RESULT_DIR...",
                type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="The HTML file (default: outputs/report-DATE-TIME.html); the Markdown version and its "
                   "images are written next to it.")
@overwrite_option
def report(result_folders: tuple[Path, ...], out: Path | None, overwrite: bool) -> None:
    """Turn result folders of run, compare, sweep (and any other kind) into one self-contained HTML
    brief, with images embedded so it opens offline, plus a Markdown version."""
    from sim.presentation.report import ReportError, write_report

    check_out_path(out)
    if out is None:
        out = DEFAULT_OUTPUT_FOLDER / f"report-{datetime.now().strftime('%Y%m%d-%H%M%S')}.html"
    if out.suffix.lower() not in (".html", ".htm"):
        fail(f"{out}: --out names the HTML file and must end in .html")
    remove_staging_left_beside(out)
    try:
        html_file, markdown_file, image_folder = write_report(list(result_folders), out, overwrite)
    except ReportError as error:
        fail(str(error))
    click.echo(f"Report of {len(result_folders)} result(s): {html_file} (self-contained; attach it to an "
               f"email) and {markdown_file} (images in {image_folder})")
