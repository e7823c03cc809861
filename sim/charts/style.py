"""The one style every Amparo chart uses: readable in colour, for colour-blind readers and in grayscale.

Palette: Okabe-Ito colours, ordered so neighbours differ in lightness too, each paired with its own
line style and marker so series stay distinct when printed in gray. Charts are saved as PNG at
200 dpi and as SVG, each written to a temporary name and renamed, so a chart is never half-written.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: Okabe-Ito colours, dark and light alternating (black, orange, blue, yellow, green, sky, vermilion, purple).
PALETTE = ("#000000", "#E69F00", "#0072B2", "#F0E442", "#009E73", "#56B4E9", "#D55E00", "#CC79A7")
LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), "-", "--")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
DPI = 200
CAPACITY_COLOUR = "#555555"

RC = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
    "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": "#dddddd", "grid.linewidth": 0.6, "figure.dpi": 100,
    "savefig.dpi": DPI, "svg.fonttype": "none", "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
}


def series_style(index: int) -> dict:
    """Colour, line style and marker of the index-th series."""
    i = index % len(PALETTE)
    return {"color": PALETTE[i], "linestyle": LINE_STYLES[i], "marker": MARKERS[i], "markevery": 0.1}


def figure(width: float = 7.0, height: float = 4.0, **subplots) -> tuple[Figure, object]:
    """A figure and axes in the house style (sizes in inches)."""
    with plt.rc_context(RC):
        return plt.subplots(figsize=(width, height), **subplots)


def stamp(fig: Figure, text: str) -> None:
    """A small grey line in the bottom-right corner saying what produced the chart."""
    fig.text(0.995, 0.005, text, ha="right", va="bottom", fontsize=6, color="#777777")


def save(fig: Figure, folder: Path, name: str) -> list[Path]:
    """Write `name`.png (200 dpi) and `name`.svg into `folder`, atomically; close the figure."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with plt.rc_context(RC):
        for suffix in ("png", "svg"):
            final = folder / f"{name}.{suffix}"
            temporary = folder / f".{name}.tmp.{suffix}"
            fig.savefig(temporary, dpi=DPI, bbox_inches="tight", format=suffix)
            os.replace(temporary, final)
            paths.append(final)
    plt.close(fig)
    return paths
