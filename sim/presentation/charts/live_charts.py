"""The explorer's live charts, as ECharts options drawn in the browser at the card's own size.

Each chart function takes the explorer's history (columns of one value per simulated day, as
`ExplorerModel.collected()` returns them: `day`, `measured_day`, `n_<stage>`, `n_in_<resource>`,
`n_waiting_<resource>`, `capacity_<resource>` and the live outcomes) and returns an ECharts option
(a plain dict, shown by `solara.FigureEcharts`). The browser lays the chart out to fill its card and
redraws only what changed, so text keeps its real size; a long run is thinned to at most
`MAX_POINTS` days per line, so each frame sends the same few kilobytes however long the run is.
ECharts ships with solara-assets (in the lock file), so the page needs no network.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np

from sim.model.schema import OVERFLOW_NAMES
from sim.presentation.charts.run_charts import RESOURCES
from sim.presentation.charts.style import CAPACITY_COLOUR, IN_USE_COLOUR, PALETTE, WAITING_COLOUR

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
#: Resources in the occupancy chart: the northern border's left, the southern border's right.
OCCUPANCY_ORDER = ("officers_north", "officers_south", "care_units", "migration_stations", "shelters",
                   "alternative_care")
#: Resources whose waiting is itself a protection failure (their waits count as overflows).
OVERFLOW_RESOURCES = OVERFLOW_NAMES
WARMUP_COLOUR = "rgba(0, 0, 0, 0.06)"
#: The day axis spans at least this many days, so a fresh run's charts have a readable axis.
MIN_DAYS_SHOWN = 30
#: Days drawn per line at most; a longer history is thinned evenly (the last day always kept).
MAX_POINTS = 400
STATUS_STYLE = (".amparo-status td, .amparo-status th { padding: 2px 10px; text-align: right; } "
                ".amparo-status td:first-child, .amparo-status th:first-child { text-align: left; } "
                ".amparo-status tr:nth-child(even) { background: #f4f4f4; }")
TEXT = {"fontSize": 13}


def _column(history: Mapping, name: str) -> np.ndarray:
    return np.asarray(history[name], dtype=float)


def _shown(n: int, points: int) -> np.ndarray:
    """Indices of the days drawn: all of them, or every k-th and the last when there are more than
    `points`."""
    if n <= points:
        return np.arange(n)
    every = math.ceil(n / points)
    return np.unique(np.append(np.arange(0, n, every), n - 1))


def _values(column: np.ndarray) -> list[float | int | None]:
    """A column as the page gets it: counts as integers, other numbers to 3 decimals, gaps as None
    (short numbers keep each frame small)."""
    finite = np.isfinite(column)
    if finite.all() and (column == np.round(column)).all():
        return column.astype(np.int64).tolist()
    rounded = np.round(np.where(finite, column, 0.0), 3).tolist()
    return [value if keep else None for value, keep in zip(rounded, finite.tolist(), strict=True)]


def _points(x: np.ndarray, y: np.ndarray) -> list[list[float | int | None]]:
    """[[x, y], ...] with gaps (None) where y is not a number."""
    return [list(point) for point in zip(_values(x), _values(y), strict=True)]


def _line(name: str, x: np.ndarray, y: np.ndarray, colour: str, dashed: bool = False,
          axis: int = 0) -> dict[str, Any]:
    return {"type": "line", "name": name, "data": _points(x, y), "showSymbol": False, "animation": False,
            "color": colour, "xAxisIndex": axis, "yAxisIndex": axis,
            "lineStyle": {"width": 1.6, "type": "dashed" if dashed else "solid"}}


def _warmup_band(days: np.ndarray, measured: np.ndarray) -> dict[str, Any] | None:
    warm = days[measured == 0]
    if warm.size < 2:
        return None
    return {"silent": True, "itemStyle": {"color": WARMUP_COLOUR},
            "label": {"show": True, "position": "insideTop", "color": "#777", "formatter": "warm-up"},
            "data": [[{"xAxis": float(warm.min())}, {"xAxis": float(warm.max())}]]}


def _axes(count: int, x_name: str, y_name: str, x_max: float) -> tuple[list[dict], list[dict]]:
    x_axes = [{"type": "value", "gridIndex": i, "min": 0, "max": x_max, "name": x_name,
               "nameLocation": "middle", "nameGap": 24, "axisLabel": TEXT} for i in range(count)]
    y_axes = [{"type": "value", "gridIndex": i, "min": 0, "name": y_name, "nameTextStyle": TEXT,
               "axisLabel": TEXT} for i in range(count)]
    return x_axes, y_axes


def _grids(rows: int, columns: int, top: float, bottom: float) -> list[dict[str, str]]:
    """Grid boxes (in % of the chart) for `rows` x `columns` panels, filled row by row."""
    height, width = (100 - top - bottom) / rows, 90 / columns
    return [{"left": f"{6 + c * width:.1f}%", "width": f"{width - 7:.1f}%",
             "top": f"{top + r * height + 5:.1f}%", "height": f"{height - 14:.1f}%"}
            for r in range(rows) for c in range(columns)]


def stages_chart(history: Mapping, points: int = MAX_POINTS) -> dict[str, Any]:
    """Children in each stage at the end of each day."""
    days, measured = _column(history, "day"), _column(history, "measured_day")
    shown = _shown(days.size, points)
    x = days[shown]
    series = [_line(label, x, _column(history, column)[shown], PALETTE[index % len(PALETTE)],
                    dashed=index >= len(PALETTE))
              for index, (column, label) in enumerate(STAGE_LABELS)]
    band = _warmup_band(days, measured)
    if band:
        series[0]["markArea"] = band
    x_axes, y_axes = _axes(1, "simulated day", "children", max(days[-1], MIN_DAYS_SHOWN))
    return {"title": {"text": "Children in each stage", "textStyle": {"fontSize": 15}},
            "tooltip": {"trigger": "axis"}, "legend": {"type": "scroll", "orient": "vertical", "right": 0,
                                                        "top": 30, "textStyle": TEXT},
            "grid": {"left": 60, "right": 290, "top": 45, "bottom": 45},
            "xAxis": x_axes, "yAxis": y_axes, "series": series}


def occupancy_chart(history: Mapping, points: int = MAX_POINTS) -> dict[str, Any]:
    """Per resource, places in use and children waiting each day, against the capacity."""
    days, measured = _column(history, "day"), _column(history, "measured_day")
    shown = _shown(days.size, points)
    x = days[shown]
    titles = dict(RESOURCES)
    grids = _grids(3, 2, top=8, bottom=2)
    x_axes, y_axes = _axes(len(OCCUPANCY_ORDER), "simulated day", "children", max(days[-1], MIN_DAYS_SHOWN))
    series, panel_titles = [], []
    for axis, name in enumerate(OCCUPANCY_ORDER):
        capacity = _column(history, f"capacity_{name}")
        in_use = _column(history, f"n_in_{name}")[shown]
        series += [_line("places in use", x, in_use, IN_USE_COLOUR, axis=axis),
                   _line("children waiting", x, _column(history, f"n_waiting_{name}")[shown], WAITING_COLOUR,
                         dashed=True, axis=axis),
                   _line("capacity", x, capacity[shown], CAPACITY_COLOUR, dashed=True, axis=axis)]
        band = _warmup_band(days, measured)
        if band:
            series[-3]["markArea"] = band
        top = float(grids[axis]["top"].rstrip("%")) - 4.5
        panel_titles.append({"text": f"{titles[name]}: capacity {int(capacity[-1]):,}",
                             "left": grids[axis]["left"], "top": f"{top:.1f}%",
                             "textStyle": {"fontSize": 13, "fontWeight": "normal"}})
    return {"title": [{"text": "Occupancy against capacity", "textStyle": {"fontSize": 15}}, *panel_titles],
            "tooltip": {"trigger": "axis"},
            "legend": {"data": ["places in use", "children waiting", "capacity"], "right": 10, "top": 0,
                       "textStyle": TEXT},
            "grid": grids, "xAxis": x_axes, "yAxis": y_axes, "series": series}


def waits_chart(history: Mapping, max_detention_days: float, points: int = MAX_POINTS) -> dict[str, Any]:
    """Mean waits, mean detention stay and overflows over the measured days so far."""
    measured = _column(history, "measured_day")
    first = int(np.argmax(measured > 0)) if (measured > 0).any() else measured.size
    x_all = measured[first:]
    shown = _shown(x_all.size, points)
    x = x_all[shown]

    def values(name: str) -> np.ndarray:
        return _column(history, name)[first:][shown]

    titles = dict(RESOURCES)
    grids = _grids(1, 3, top=14, bottom=8)
    x_axes, y_axes = _axes(3, "measured day", "days", max(x[-1] if x.size else 0, MIN_DAYS_SHOWN))
    y_axes[2]["name"] = "children per year"
    series = [_line(titles[name], x, values(f"wait_{name}_days_mean"), PALETTE[index % len(PALETTE)], axis=0)
              for index, (name, _) in enumerate(RESOURCES)]
    series.append(_line("mean stay in a migration station", x, values("detention_days_mean"), PALETTE[6],
                        axis=1))
    if math.isfinite(max_detention_days):
        series[-1]["markLine"] = {"silent": True, "symbol": "none", "data": [{"yAxis": max_detention_days}],
                                  "lineStyle": {"color": CAPACITY_COLOUR, "type": "dashed"},
                                  "label": {"formatter": f"legal maximum {max_detention_days:g} days"}}
    series += [_line(f"overflow: {titles[name]}", x, values(f"overflow_{name}"),
                     PALETTE[(index + 2) % len(PALETTE)], axis=2)
               for index, name in enumerate(OVERFLOW_RESOURCES)]
    panel = {"textStyle": {"fontSize": 13, "fontWeight": "normal"}, "top": "9%"}
    waiting_note = [] if x.size else [{"text": "shown once the warm-up is over", "left": "center",
                                       "top": "middle", "textStyle": {"color": "#777"}}]
    return {"title": [{"text": "Waiting, detention and overflows so far (updated monthly)",
                       "textStyle": {"fontSize": 15}},
                      {**panel, "text": "Mean wait of those who asked", "left": grids[0]["left"]},
                      {**panel, "text": "Stays in migration stations", "left": grids[1]["left"]},
                      {**panel, "text": "Overflows: held with adults", "left": grids[2]["left"]},
                      *waiting_note],
            "tooltip": {"trigger": "axis"},
            "legend": {"type": "scroll", "bottom": 0, "textStyle": TEXT},
            "grid": grids, "xAxis": x_axes, "yAxis": y_axes, "series": series}


def status_rows(history: Mapping) -> list[tuple[str, int, int, int]]:
    """(resource, places in use, capacity, children waiting) on the last day collected."""
    rows = []
    for name, label in RESOURCES:
        rows.append((label, int(history[f"n_in_{name}"][-1]), int(history[f"capacity_{name}"][-1]),
                     int(history[f"n_waiting_{name}"][-1])))
    return rows


def status_html(history: Mapping, warmup_days: int, parameters_changed: Sequence[str] = ()) -> str:
    """A short HTML status: the measured day, and each resource's use against its capacity today."""
    day, measured = int(history["day"][-1]), int(history["measured_day"][-1])
    period = (f"simulated day {day}, after a {warmup_days}-day warm-up" if day >= warmup_days
              else f"warm-up, simulated day {day}")
    cells = "".join(f'<tr><td>{escape(label)}</td><td class="in-use">{in_use:,}</td>'
                    f'<td class="capacity">{capacity:,}</td><td class="waiting">{waiting:,}</td></tr>'
                    for label, in_use, capacity, waiting in status_rows(history))
    changed = ", ".join(parameters_changed) or "nothing"
    return (f'<style>{STATUS_STYLE}</style><div class="amparo-status"><p><strong class="amparo-day">'
            f'Day {measured}</strong> of the measured period ({period})</p>'
            '<table style="border-collapse: collapse">'
            "<tr><th>resource</th><th>in use</th><th>capacity</th><th>waiting</th></tr>"
            f"{cells}</table><p>Changed from the scenario: {escape(changed)}</p></div>")


__all__ = ["MAX_POINTS", "STAGE_LABELS", "occupancy_chart", "stages_chart", "status_html", "status_rows",
           "waits_chart"]
