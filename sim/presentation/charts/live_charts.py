"""The explorer's live charts, drawn in the house style from the numbers collected day by day.

Each function takes the explorer's history (a table with one row per simulated day, as
`ExplorerModel.history()` returns it: columns `day`, `n_<stage>`, `n_in_<resource>`,
`n_waiting_<resource>`, `capacity_<resource>` and the live outcomes) and returns a matplotlib
`Figure` that the page shows. Figures are made without pyplot, so redrawing them every step does
not accumulate open figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.presentation.charts.run_charts import RESOURCES
from sim.presentation.charts.style import (
    CAPACITY_COLOUR,
    CAPACITY_LINE_STYLE,
    IN_USE_COLOUR,
    PALETTE,
    WAITING_COLOUR,
    series_style,
)

#: Stages as drawn: column and label.
STAGE_LABELS = (
    ("n_abroad", "abroad (Mexican, until handed back)"),
    ("n_transit", "in transit through Mexico"),
    ("n_handover", "handover with family (north)"),
    ("n_care_unit", "care unit (north)"),
    ("n_shelter", "transitory shelter (north)"),
    ("n_return_travel", "travelling home (north)"),
    ("n_placement", "detention or alternative care (south)"),
    ("n_return_arrangement", "awaiting return (south)"),
    ("n_protection_route", "protection route"),
)
WARMUP_COLOUR = "#eeeeee"
#: The day axis spans at least this many days, so a fresh run's charts have a readable axis.
MIN_DAYS_SHOWN = 30
STATUS_STYLE = (".amparo-status td, .amparo-status th { padding: 2px 10px; text-align: right; } "
                ".amparo-status td:first-child, .amparo-status th:first-child { text-align: left; } "
                ".amparo-status tr:nth-child(even) { background: #f4f4f4; }")


def _column(history: Mapping, name: str) -> np.ndarray:
    return np.asarray(history[name], dtype=float)


def _shade_warmup(ax, days: np.ndarray, measured: np.ndarray) -> None:
    warm = days[measured == 0]
    if warm.size > 1:
        ax.axvspan(warm.min(), warm.max(), color=WARMUP_COLOUR, zorder=0, label="warm-up (not measured)")


def stages_figure(history: Mapping, title: str) -> Figure:
    """Children in each stage at the end of each day."""
    fig = Figure(figsize=(8.0, 3.8), layout="constrained")
    ax = fig.subplots()
    days, measured = _column(history, "day"), _column(history, "measured_day")
    _shade_warmup(ax, days, measured)
    for index, (column, label) in enumerate(STAGE_LABELS):
        style = series_style(index)
        # nine stages, eight colours: once the palette repeats, markers tell the series apart
        repeats = index >= len(PALETTE)
        marks = {"marker": style["marker"], "markevery": 0.1, "markersize": 3} if repeats else {}
        ax.plot(days, _column(history, column), color=style["color"], linestyle=style["linestyle"],
                linewidth=1.2, label=label, **marks)
    ax.set_xlim(0, max(days[-1], MIN_DAYS_SHOWN))
    ax.set_title(f"Children in each stage: {title}", loc="left")
    ax.set_xlabel("simulated day")
    ax.set_ylabel("children")
    ax.set_ylim(bottom=0)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7)
    return fig


def occupancy_figure(history: Mapping, title: str) -> Figure:
    """Per resource, places in use and children waiting each day, against the capacity."""
    fig = Figure(figsize=(9.0, 5.6), layout="constrained")
    axes = fig.subplots(3, 2, sharex=True).T.ravel()  # northern border left, southern right
    days, measured = _column(history, "day"), _column(history, "measured_day")
    order = ("officers_north", "care_units", "shelters", "officers_south", "migration_stations",
             "alternative_care")
    titles = dict(RESOURCES)
    for ax, name in zip(axes, order, strict=True):
        _shade_warmup(ax, days, measured)
        capacity = _column(history, f"capacity_{name}")
        ax.plot(days, _column(history, f"n_in_{name}"), color=IN_USE_COLOUR, linewidth=1.2)
        ax.plot(days, _column(history, f"n_waiting_{name}"), color=WAITING_COLOUR, linestyle="--",
                linewidth=1.2)
        ax.plot(days, capacity, color=CAPACITY_COLOUR, linestyle=CAPACITY_LINE_STYLE, linewidth=1.1)
        ax.set_title(f"{titles[name]}: capacity {int(capacity[-1]):,}", loc="left", fontsize=8.5)
        ax.set_ylabel("children")
        ax.set_ylim(bottom=0)
        ax.set_xlim(0, max(days[-1], MIN_DAYS_SHOWN))
    for ax in axes[[2, 5]]:
        ax.set_xlabel("simulated day")
    fig.legend(handles=[
        Line2D([], [], color=IN_USE_COLOUR, label="places in use"),
        Line2D([], [], color=WAITING_COLOUR, linestyle="--", label="children waiting"),
        Line2D([], [], color=CAPACITY_COLOUR, linestyle=CAPACITY_LINE_STYLE, label="capacity"),
    ], loc="outside lower center", ncols=3, frameon=False)
    fig.suptitle(f"Occupancy against capacity: {title}")
    return fig


def waits_figure(history: Mapping, title: str, max_detention_days: float) -> Figure:
    """Mean waits, mean detention stay and overflows over the measured days so far."""
    fig = Figure(figsize=(9.0, 3.4), layout="constrained")
    waits, detention, overflows = fig.subplots(1, 3)
    measured = _column(history, "measured_day")
    shown = measured > 0
    x = measured[shown]
    titles = dict(RESOURCES)
    for index, (name, _) in enumerate(RESOURCES):
        style = series_style(index)
        waits.plot(x, _column(history, f"wait_{name}_days_mean")[shown], color=style["color"],
                   linestyle=style["linestyle"], linewidth=1.2, label=titles[name])
    waits.set_title("Mean wait of those who asked", loc="left", fontsize=9)
    waits.set_ylabel("days")
    waits.legend(fontsize=6, loc="upper left")
    detention.plot(x, _column(history, "detention_days_mean")[shown], color=PALETTE[6], linewidth=1.2,
                   label="mean stay")
    if np.isfinite(max_detention_days):
        detention.axhline(max_detention_days, color=CAPACITY_COLOUR, linestyle=CAPACITY_LINE_STYLE,
                          label=f"legal maximum {max_detention_days:g} days")
    detention.set_title("Stays in migration stations", loc="left", fontsize=9)
    detention.set_ylabel("days")
    detention.legend(fontsize=6, loc="upper left")
    for index, name in enumerate(("care_units", "migration_stations", "alternative_care")):
        style = series_style(index + 2)
        overflows.plot(x, _column(history, f"overflow_{name}")[shown], color=style["color"],
                       linestyle=style["linestyle"], linewidth=1.2, label=titles[name])
    overflows.set_title("Overflows: had to wait held with adults", loc="left", fontsize=9)
    overflows.set_ylabel("children per year")
    overflows.legend(fontsize=6, loc="upper left")
    for ax in (waits, detention, overflows):
        ax.set_xlabel("measured day")
        ax.set_ylim(bottom=0)
        ax.set_xlim(0, max(x[-1] if x.size else 0, MIN_DAYS_SHOWN))
        if not x.size:
            ax.text(0.5, 0.5, "shown once the warm-up is over", ha="center", va="center",
                    transform=ax.transAxes, fontsize=8)
    fig.suptitle(f"Waiting, detention and overflows so far (updated weekly): {title}")
    return fig


def status_rows(history: Mapping) -> list[tuple[str, int, int, int]]:
    """(resource, places in use, capacity, children waiting) on the last day collected."""
    rows = []
    for name, label in RESOURCES:
        rows.append((label, int(_column(history, f"n_in_{name}")[-1]),
                     int(_column(history, f"capacity_{name}")[-1]),
                     int(_column(history, f"n_waiting_{name}")[-1])))
    return rows


def status_html(history: Mapping, parameters_changed: Sequence[str] = ()) -> str:
    """A short HTML status: the day, and each resource's use against its capacity today."""
    day, measured = int(_column(history, "day")[-1]), int(_column(history, "measured_day")[-1])
    period = f"measured day {measured}" if measured else "warm-up, not measured"
    cells = "".join(f'<tr><td>{escape(label)}</td><td class="in-use">{in_use:,}</td>'
                    f'<td class="capacity">{capacity:,}</td><td class="waiting">{waiting:,}</td></tr>'
                    for label, in_use, capacity, waiting in status_rows(history))
    changed = ", ".join(parameters_changed) or "nothing"
    return (f'<style>{STATUS_STYLE}</style><div class="amparo-status"><p><strong>Day {day}</strong> '
            f'({period})</p><table style="border-collapse: collapse">'
            "<tr><th>resource</th><th>in use</th><th>capacity</th><th>waiting</th></tr>"
            f"{cells}</table><p>Changed from the scenario: {escape(changed)}</p></div>")


__all__ = ["STAGE_LABELS", "occupancy_figure", "stages_figure", "status_html", "status_rows",
           "waits_figure"]
