"""The one style every Amparo chart uses: readable in colour, for colour-blind readers and in grayscale.

Palette: the Okabe-Ito colours, ordered so that neighbouring series differ in lightness as well as
hue, each paired with its own line style, marker and hatch so series stay apart when printed in gray.
Importing this module switches matplotlib to the Agg backend (files only, no windows) and sets the
house fonts and grid; it is imported only by the charts package, never by the model.

Conventions every chart follows:
- a title, axis labels with units, and a legend when there is more than one series;
- a small grey stamp (`stamp`) saying which scenario, how many replications and years, and which
  Amparo version produced the numbers;
- each chart function returns a caption (`caption`) saying what is drawn, what the bands or
  whiskers mean, and which files the numbers come from;
- charts are saved by `save` as PNG at 200 dpi and as SVG, each written to a temporary name and
  renamed, so a chart file is never half-written.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: Okabe-Ito colours, dark and light alternating (black, orange, blue, yellow, green, sky, vermilion,
#: purple), so that series 0/1, 2/3... also differ in grayscale.
PALETTE = ("#000000", "#E69F00", "#0072B2", "#F0E442", "#009E73", "#56B4E9", "#D55E00", "#CC79A7")
LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), "-", "--")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "--", "oo")
DPI = 200
PAD_INCHES = 0.08

#: Named roles, so that the same thing looks the same on every chart.
NORTH_COLOUR = PALETTE[2]  # blue, dark in grayscale
SOUTH_COLOUR = PALETTE[1]  # orange, light in grayscale
IN_USE_COLOUR = PALETTE[2]
WAITING_COLOUR = PALETTE[6]
CAPACITY_COLOUR = "#555555"
CAPACITY_LINE_STYLE = (0, (6, 3))
MEAN_COLOUR = PALETTE[6]
PERCENTILE_COLOUR = PALETTE[0]
STAMP_COLOUR = "#777777"
BAND_ALPHA = 0.25

RC = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
    "xtick.labelsize": 8, "ytick.labelsize": 8, "figure.titlesize": 11,
    "axes.spines.top": False, "axes.spines.right": False, "axes.axisbelow": True,
    "axes.grid": True, "grid.color": "#dddddd", "grid.linewidth": 0.6,
    "legend.framealpha": 0.9, "legend.edgecolor": "#cccccc",
    "figure.dpi": 100, "savefig.dpi": DPI, "svg.fonttype": "none", "svg.hashsalt": "amparo",
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
}
# Set once for the process: titles, labels and legends read these when they are drawn, not when the
# figure is made, so a context manager around `figure()` alone would not reach them.
matplotlib.rcParams.update(RC)


def series_style(index: int) -> dict:
    """Colour, line style and marker of the index-th series (for `Axes.plot`)."""
    i = index % len(PALETTE)
    return {"color": PALETTE[i], "linestyle": LINE_STYLES[i], "marker": MARKERS[i], "markevery": 0.1}


def figure(width: float = 7.0, height: float = 4.0, *, layout: str | None = None,
           **subplots) -> tuple[Figure, object]:
    """A figure and its axes in the house style; sizes in inches, `subplots` as for `plt.subplots`.

    `layout="constrained"` lets matplotlib keep titles, labels and legends from overlapping, and
    allows figure legends placed "outside" the axes.
    """
    return plt.subplots(figsize=(width, height), layout=layout, **subplots)


def mosaic(layout: list[list[str]], width: float, height: float, **kwargs) -> tuple[Figure, dict]:
    """A figure of named panels (`plt.subplot_mosaic`), in constrained layout; sizes in inches."""
    return plt.subplot_mosaic(layout, figsize=(width, height), layout="constrained", **kwargs)


def legend_row(ax, handles: list, columns: int) -> None:
    """Turn `ax` (a thin panel, usually a row spanning the figure) into a shared legend.

    Preferred to a figure legend: those are anchored to the figure's edge, which moves when `save`
    crops the image, so they can slide over the stamp or the axis labels.
    """
    ax.axis("off")
    ax.legend(handles=handles, loc="center", ncols=columns, frameon=False)


def stamp(fig: Figure, text: str) -> None:
    """A small grey line under the bottom-right corner saying what produced the chart.

    It sits just below the figure's edge; `save` crops to the drawn content, so the line is kept
    and never overlaps an axis label.
    """
    fig.text(0.995, -0.005, text, ha="right", va="top", fontsize=6, color=STAMP_COLOUR)


def caption(shows: str, intervals: str, source: str) -> str:
    """A chart's caption: what is drawn, what its bands or whiskers mean, where the numbers come from."""
    return " ".join(part.strip() for part in (shows, intervals, source) if part.strip())


def save(fig: Figure, folder: Path, name: str) -> list[Path]:
    """Write `name`.png (200 dpi) and `name`.svg into `folder`, each atomically; close the figure.

    The image is cropped to what is drawn (stamp included), with a small margin. The layout and the
    crop are worked out once and shared by both files.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    try:
        fig.canvas.draw()  # runs the layout engine, if any
        crop = fig.get_tightbbox(fig.canvas.get_renderer()).padded(PAD_INCHES)
        fig.set_layout_engine("none")  # keep the positions just worked out
        for suffix in ("png", "svg"):
            final = folder / f"{name}.{suffix}"
            temporary = folder / f".{name}.{os.getpid()}.tmp.{suffix}"
            # no creation date in the SVG, so redrawing the same results gives the same file
            metadata = {"Date": None} if suffix == "svg" else None
            try:
                fig.savefig(temporary, dpi=DPI, bbox_inches=crop, format=suffix, metadata=metadata)
                os.replace(temporary, final)
            finally:
                temporary.unlink(missing_ok=True)
            paths.append(final)
    finally:
        plt.close(fig)
    return paths


def write_text(path: Path, text: str) -> Path:
    """Write a text file next to the charts atomically (temporary name, then rename)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
