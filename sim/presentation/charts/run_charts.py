"""Charts of one run folder: flows through the stages, occupancy against capacity, waiting times and
the length of detention.

Everything is read from the folder's files (manifest.json, summary.csv, daily_stocks.csv, visits.csv),
never from the model, so the charts can be redrawn from any saved result. `draw_run_charts` writes
them into the folder's `charts/` with a `captions.md` saying what each chart shows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullLocator, PercentFormatter

from sim.model.schema import RESOURCES as RESOURCE_REGISTRY
from sim.presentation.charts.month_charts import draw_monthly_occupancy
from sim.presentation.charts.style import (
    BAND_ALPHA,
    CAPACITY_COLOUR,
    CAPACITY_LINE_STYLE,
    HATCHES,
    IN_USE_COLOUR,
    MEAN_COLOUR,
    NORTH_COLOUR,
    PERCENTILE_COLOUR,
    SOUTH_COLOUR,
    STAMP_COLOUR,
    WAITING_COLOUR,
    caption,
    figure,
    legend_row,
    mosaic,
    save,
    stamp,
    write_text,
)
from sim.presentation.charts.tables import (
    ChartDataError,
    ResourceVisits,
    VisitRecords,
    as_floats,
    read_columns,
    read_manifest,
    read_numbers,
    read_summary,
    read_visits,
)

#: Resources as drawn: name in the tables and panel title.
RESOURCES = tuple((entry.name, entry.label) for entry in RESOURCE_REGISTRY)
#: Where each resource's panel goes: northern border on the left, southern on the right ("." empty).
_NORTH = [entry.name for entry in RESOURCE_REGISTRY if entry.border == "north"]
_SOUTH = [entry.name for entry in RESOURCE_REGISTRY if entry.border == "south"]
PANEL_LAYOUT = [[north, south] for north, south in zip_longest(_NORTH, _SOUTH, fillvalue=".")]

#: Flows per measured year, in the order a child meets them: (outcome, label, is a part of the row above).
NORTH_FLOWS = (
    ("new_departures_mexico", "Mexican children leaving home", False),
    ("new_children_repatriated_north", "handed back by the United States (F01)", False),
    ("new_children_repatriated_north_unaccompanied", "of whom unaccompanied (F02)", True),
    ("new_repatriated_north_again", "handed back again, unaccompanied (handovers)", False),
    ("new_repatriated_north_accompanied", "accompanied, handed back with family", False),
    ("new_shelter_admissions", "admitted to a transitory shelter", False),
    ("new_reunified_north", "unaccompanied, reunified with family", False),
    ("new_returned_with_family_north", "accompanied, gone home with family", False),
    ("new_protection_route_north", "took the protection route", False),
)
SOUTH_FLOWS = (
    ("new_departures_central_america", "Central American children entering Mexico", False),
    ("new_apprehended_south", "apprehended in transit", False),
    ("new_apprehended_south_unaccompanied", "of whom unaccompanied", True),
    ("new_returned_south", "returned via the southern border", False),
    ("new_returned_south_unaccompanied", "of whom unaccompanied (F03)", True),
    ("new_protection_route_south", "took the protection route", False),
    ("new_reached_united_states", "crossed Mexico unapprehended", False),
)

#: A wait shorter than this (days) counts as served at once.
SERVED_AT_ONCE_DAYS = 1e-9
#: Tick marks of the waiting-time axis, in hours, with words a planner reads at a glance.
WAIT_TICKS = ((1 / 60, "1 min"), (10 / 60, "10 min"), (1.0, "1 h"), (6.0, "6 h"), (24.0, "1 day"),
              (168.0, "1 week"), (720.0, "30 days"), (2160.0, "90 days"),
              (8760.0, "1 year"))


@dataclass(frozen=True)
class ChartFile:
    """One chart: its name, the files written (PNG and SVG) and its caption."""

    name: str
    paths: list[Path]
    caption: str


def draw_run_charts(run_folder: Path) -> list[ChartFile]:
    """Draw every chart of a run folder into `run_folder/charts/` and list them in `captions.md`.

    Charts: flows, occupancy, occupancy_by_month, and, when the folder has visit records,
    border_strip (the northern points west to east), waiting_times and detention_days.
    """
    run_folder = Path(run_folder)
    manifest = read_manifest(run_folder)
    out = run_folder / "charts"
    charts = [draw_flows(run_folder, manifest, out), draw_occupancy(run_folder, manifest, out),
              ChartFile("occupancy_by_month", *draw_monthly_occupancy(run_folder, manifest, out,
                                                                      stamp_text(manifest)))]
    if (run_folder / "by_place.csv").exists():
        charts.append(draw_border_strip(run_folder, manifest, out))
    if (run_folder / "visits.csv").exists():
        visits = read_visits(run_folder / "visits.csv")
        charts.append(draw_waiting_times(visits, manifest, out))
        charts.append(draw_detention_days(visits, manifest, out))
    write_text(out / "captions.md", captions_text(charts, manifest))
    return charts


def captions_text(charts: list[ChartFile], manifest: dict) -> str:
    """The Markdown list of charts with their captions."""
    lines = [f"# Charts: {manifest['scenario']['title']}", "", stamp_text(manifest), ""]
    for chart in charts:
        png = next((p.name for p in chart.paths if p.suffix == ".png"), chart.paths[0].name)
        lines += [f"## {chart.name}", "", f"![{chart.name}]({png})", "", chart.caption, "",
                  "Files: " + ", ".join(p.name for p in chart.paths), ""]
    return "\n".join(lines)


def stamp_text(manifest: dict) -> str:
    """Scenario, replications, years, seed and Amparo version, for the corner of every chart."""
    commit = str(manifest.get("git_commit", "unknown"))[:12]
    return (f"{manifest['scenario']['title']} | {manifest['replications']} replication(s) x "
            f"{float(manifest['years']):g} year(s) | seed {manifest.get('base_seed', '?')} | "
            f"Amparo {manifest.get('amparo_version', '?')} ({commit})")


# --- flows -------------------------------------------------------------------------------------
def draw_flows(folder: Path, manifest: dict, out: Path) -> ChartFile:
    """Horizontal bars of the flows per measured year, north and south, with 95% CI whiskers."""
    summary = read_summary(folder / "summary.csv")
    sides = [("Northern border: Mexican children", NORTH_FLOWS, NORTH_COLOUR),
             ("Southern border: Central American children", SOUTH_FLOWS, SOUTH_COLOUR)]
    present = [[flow for flow in flows if flow[0] in summary] for _, flows, _ in sides]
    missing = [name for _, flows, _ in sides for name, _, _ in flows if name not in summary]
    highest = float(np.nanmax([1.0] + [max(summary[n].mean, summary[n].ci_high)
                                        for rows in present for n, _, _ in rows]))
    fig, axes = figure(8.0, 0.32 * sum(len(rows) for rows in present) + 1.8, nrows=2, sharex=True,
                       layout="constrained", gridspec_kw={"height_ratios": [max(1, len(r)) for r in present]})
    for ax, (title, _, colour), rows in zip(axes, sides, present, strict=True):
        y = np.arange(len(rows))[::-1]
        means = np.array([summary[name].mean for name, _, _ in rows])
        lows = np.array([summary[name].ci_low for name, _, _ in rows])
        highs = np.array([summary[name].ci_high for name, _, _ in rows])
        part = np.array([is_part for _, _, is_part in rows], dtype=bool)
        whiskers = np.nan_to_num(np.vstack([np.clip(means - lows, 0, None), np.clip(highs - means, 0, None)]))
        bars = ax.barh(y, means, xerr=whiskers, color=colour, edgecolor="black", linewidth=0.5, height=0.7,
                       error_kw={"elinewidth": 0.9, "capsize": 2.5, "ecolor": "black"})
        for bar, is_part in zip(bars, part, strict=True):
            if is_part:
                bar.set_hatch(HATCHES[1])
                bar.set_facecolor("white")
                bar.set_edgecolor(colour)
        for yi, mean, high in zip(y, means, highs, strict=True):
            ax.text(np.nanmax([mean, high, 0.0]) + highest * 0.01, yi, _count_text(mean), va="center",
                    fontsize=7.5)
        ax.set_yticks(y, [label for _, label, _ in rows])
        ax.set_title(title, loc="left")
        ax.grid(axis="y", visible=False)
        if not rows:
            ax.text(0.5, 0.5, "no flow outcomes in summary.csv", ha="center", va="center",
                    transform=ax.transAxes)
    axes[-1].set_xlim(0, highest * 1.15)
    axes[-1].xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    axes[-1].set_xlabel("children per measured year (mean across replications)")
    fig.suptitle("Flows of children through the stages")
    stamp(fig, stamp_text(manifest))
    text = caption(
        "Children per measured year reaching each stage, northern border (dark bars) and southern "
        "border (light bars); hatched bars are parts of the bar above them (for example, the "
        "unaccompanied among those handed back).",
        f"Bars are means across {manifest['replications']} replication(s); whiskers are 95% confidence "
        "intervals of the mean across replications (no whisker when there is one replication).",
        "Source: summary.csv."
        + (f" Not in summary.csv, so not drawn: {', '.join(missing)}." if missing else ""),
    )
    return ChartFile("flows", save(fig, out, "flows"), text)


def _count_text(value: float) -> str:
    if np.isnan(value):
        return "n/a"
    return f"{value:,.1f}" if 0 < abs(value) < 10 and value != round(value) else f"{value:,.0f}"


# --- occupancy ---------------------------------------------------------------------------------
def draw_occupancy(folder: Path, manifest: dict, out: Path) -> ChartFile:
    """Per resource, places in use and children waiting over the days: median and 5-95% band
    across replications, with the capacity."""
    columns = ["replication", "day"] + [f"{kind}_{name}" for name, _ in RESOURCES
                                        for kind in ("n_in", "n_waiting")]
    daily = read_numbers(folder / "daily_stocks.csv", columns)
    replications, replication_index = np.unique(daily["replication"], return_inverse=True)
    day = daily["day"].astype(int)
    days = np.arange(day.max() + 1) if day.size else np.arange(0)
    fig, axes = mosaic(PANEL_LAYOUT + [["legend", "legend"]], 10.0, 8.4, sharex=True,
                       height_ratios=[1, 1, 1, 0.14])
    for name, title in RESOURCES:
        ax = axes[name]
        for kind, colour, line_style, hatch in (("n_in", IN_USE_COLOUR, "-", HATCHES[0]),
                                                ("n_waiting", WAITING_COLOUR, "--", HATCHES[1])):
            per_day = np.full((replications.size, days.size), np.nan)
            per_day[replication_index, day] = daily[f"{kind}_{name}"]
            low, median, high = _percentiles_by_day(per_day)
            ax.fill_between(days, low, high, facecolor=colour, edgecolor=colour, hatch=hatch,
                            alpha=BAND_ALPHA, linewidth=0, step="mid")
            ax.plot(days, median, color=colour, linestyle=line_style, linewidth=1.1, drawstyle="steps-mid")
        capacity = manifest["capacities"].get(name)
        if capacity is not None:
            ax.axhline(capacity, color=CAPACITY_COLOUR, linestyle=CAPACITY_LINE_STYLE, linewidth=1.1)
            title = f"{title}: capacity {capacity:,}"
        ax.set_title(title, loc="left")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("children")
        ax.xaxis.set_tick_params(labelbottom=True)
    for name in PANEL_LAYOUT[-1]:
        axes[name].set_xlabel("day of the measured period")
    legend_row(axes["legend"], [
        Line2D([], [], color=IN_USE_COLOUR, linestyle="-", label="places in use (median)"),
        Patch(color=IN_USE_COLOUR, alpha=BAND_ALPHA, label="in use, 5-95% of replications"),
        Line2D([], [], color=WAITING_COLOUR, linestyle="--", label="children waiting (median)"),
        Patch(facecolor=WAITING_COLOUR, edgecolor=WAITING_COLOUR, hatch=HATCHES[1], alpha=BAND_ALPHA,
              linewidth=0, label="waiting, 5-95% of replications"),
        Line2D([], [], color=CAPACITY_COLOUR, linestyle=CAPACITY_LINE_STYLE, label="capacity"),
    ], columns=5)
    fig.suptitle("Occupancy against capacity, northern border (left) and southern border (right)")
    stamp(fig, stamp_text(manifest))
    text = caption(
        "Places in use and children waiting for a place at the end of each measured day, per resource; "
        "dashed grey line: the resource's capacity.",
        f"Lines are the median across {replications.size} replication(s) of each day's count; bands "
        "run from the 5th to the 95th percentile across replications on that day (a spread of "
        "outcomes, not a confidence interval; with one replication the band is the line itself).",
        "Source: daily_stocks.csv and the capacities in manifest.json.",
    )
    return ChartFile("occupancy", save(fig, out, "occupancy"), text)


def draw_border_strip(folder: Path, manifest: dict, out: Path) -> ChartFile:
    """The northern border strip, points west to east: per resource, places held on an average
    day and at the peak against the point's capacity (left), and the 95th percentile of the wait
    for a place (right)."""
    table = read_columns(folder / "by_place.csv")
    resources = list(dict.fromkeys(table["resource"]))
    labels = {entry.name: entry.label for entry in RESOURCE_REGISTRY}
    layout = [[f"{name}:occupancy", f"{name}:wait"] for name in resources] + [["legend", "legend"]]
    fig, axes = mosaic(layout, 10.0, 2.5 * len(resources) + 0.6, height_ratios=[1] * len(resources) + [0.12])
    for name in resources:
        rows = [i for i, resource in enumerate(table["resource"]) if resource == name]
        points = [table["point"][i] for i in rows]
        x = np.arange(len(rows))
        capacity, mean, peak, p95 = (as_floats([table[column][i] for i in rows])
                                     for column in ("capacity", "mean_n_in", "peak_n_in", "wait_days_p95"))
        ax = axes[f"{name}:occupancy"]
        ax.bar(x, capacity, width=0.8, facecolor="none", edgecolor=CAPACITY_COLOUR,
               linestyle=CAPACITY_LINE_STYLE, linewidth=1.0)
        ax.bar(x, mean, width=0.55, color=IN_USE_COLOUR)
        ax.plot(x, peak, linestyle="none", marker="v", color=WAITING_COLOUR)
        ax.set_title(f"{labels.get(name, name)}: held (places)", loc="left")
        ax.set_ylabel("officers" if name.startswith("officers") else "places")
        wait = axes[f"{name}:wait"]
        wait.bar(x, p95 * 24, width=0.55, color=WAITING_COLOUR)
        wait.set_title("wait for a place, 95th percentile (hours)", loc="left")
        wait.set_ylabel("hours")
        for panel in (ax, wait):
            panel.set_xticks(x, points, rotation=45, ha="right", fontsize=7)
            panel.set_ylim(bottom=0)
    legend_row(axes["legend"], [
        Patch(facecolor="none", edgecolor=CAPACITY_COLOUR, linestyle=CAPACITY_LINE_STYLE,
              label="capacity at the point"),
        Patch(color=IN_USE_COLOUR, label="held on an average day"),
        Line2D([], [], linestyle="none", marker="v", color=WAITING_COLOUR, label="most held at once"),
        Patch(color=WAITING_COLOUR, label="95th percentile wait (hours)"),
    ], columns=4)
    fig.suptitle("The northern border strip, repatriation points west to east: occupancy and waits")
    fig.text(0.005, -0.005, "Source: Amparo simulation (by_place.csv); points, shares and capacities: "
             "the places file (rep26, F04, F05, F06)", ha="left", va="top", fontsize=6, color=STAMP_COLOUR)
    stamp(fig, stamp_text(manifest))
    text = caption(
        "For each northern repatriation point (west to east) and resource: the places held on an "
        "average measured day and the most held at once, against the point's capacity (dashed outline), "
        "and the 95th percentile of the wait for a place among requests that were served, in hours.",
        "Each value is the mean over the replications with records (no interval is drawn).",
        "Source: by_place.csv (from visits: each visit carries its point), capacities spread over the "
        "points from the places file named in manifest.json (parameters.geography).",
    )
    return ChartFile("border_strip", save(fig, out, "border_strip"), text)


def _percentiles_by_day(per_day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """5th, 50th and 95th percentile across replications (rows) for each day (column)."""
    with warnings.catch_warnings():  # a day no replication reached stays NaN, without a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        low, median, high = np.nanpercentile(per_day, [5, 50, 95], axis=0)
    return low, median, high


# --- waiting times -----------------------------------------------------------------------------
def draw_waiting_times(visits: VisitRecords, manifest: dict, out: Path) -> ChartFile:
    """Per resource, the distribution of waits of the children who had to wait (ECDF, log x)."""
    fig, axes = mosaic(PANEL_LAYOUT, 10.0, 8.0)
    for name, title in RESOURCES:
        _waiting_panel(axes[name], title, visits.of(name))
    fig.suptitle("Waiting for a place, northern border (left) and southern border (right)")
    stamp(fig, stamp_text(manifest))
    text = caption(
        "For each resource, the share of children who had to wait whose wait was at most the time on "
        "the horizontal axis (cumulative distribution, hours on a log scale); the panel's legend gives "
        "the number of requests, how many were served at once, and those who left the line unserved or "
        "were still waiting at the end. Solid line: mean wait of those who waited; dotted line: their "
        "95th percentile. A panel without a curve says nobody waited, or nobody asked.",
        "No intervals: requests of all replications with visit records are pooled.",
        f"Source: visits.csv, replication(s) {_replication_list(visits.replications)}.",
    )
    return ChartFile("waiting_times", save(fig, out, "waiting_times"), text)


def _waiting_panel(ax, title: str, visits: ResourceVisits) -> None:
    ax.set_title(title, loc="left")
    n = visits.n_requests
    if n == 0:
        _note_only(ax, "No requests for this resource\nin the visit records")
        return
    waits_in_hours = visits.waits() * 24
    waited = np.sort(waits_in_hours[waits_in_hours > SERVED_AT_ONCE_DAYS * 24])
    served = waits_in_hours.size
    notes = [f"{n:,} requests; {served - waited.size:,} served at once"]
    if visits.n_left_unserved:
        notes.append(f"{visits.n_left_unserved:,} left the line unserved")
    if visits.n_still_waiting:
        notes.append(f"{visits.n_still_waiting:,} still waiting at the end")
    if waited.size == 0:
        _note_only(ax, "Nobody waited\n" + "\n".join(notes))
        return
    ax.ecdf(waited, color=IN_USE_COLOUR, linewidth=1.4, label=f"{waited.size:,} who waited")
    mean, p95 = waited.mean(), np.percentile(waited, 95)
    ax.axvline(mean, color=MEAN_COLOUR, linestyle="-", linewidth=1.1, label=f"mean {_duration_text(mean)}")
    ax.axvline(p95, color=PERCENTILE_COLOUR, linestyle=":", linewidth=1.3,
               label=f"95th percentile {_duration_text(p95)}")
    if waited[-1] > 20 * waited[0]:
        ax.set_xscale("log")
        left, right = waited[0] / 1.5, waited[-1] * 1.5
        shown = [(hours, label) for hours, label in WAIT_TICKS if left <= hours <= right]
        ax.set_xticks([hours for hours, _ in shown], [label for _, label in shown])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlim(left, right)
        ax.set_xlabel("wait (log scale)")
    else:
        ax.set_xlabel("wait (hours)")
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("share of those who waited")
    # a cumulative curve leaves the upper left empty
    ax.legend(loc="upper left", title="\n".join(notes), title_fontsize=7, fontsize=7)


def _note_only(ax, text: str) -> None:
    """A panel with nothing to draw: say why, in words, instead of leaving it out."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=8.5,
            linespacing=1.5,
            bbox={"boxstyle": "round,pad=0.6", "facecolor": "#f4f4f4", "edgecolor": "#cccccc"})
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _duration_text(hours: float) -> str:
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def _replication_list(replications: tuple[int, ...]) -> str:
    if not replications:
        return "none"
    if replications == tuple(range(replications[0], replications[-1] + 1)) and len(replications) > 2:
        return f"{replications[0]} to {replications[-1]}"
    return ", ".join(str(r) for r in replications)


# --- detention ---------------------------------------------------------------------------------
def draw_detention_days(visits: VisitRecords, manifest: dict, out: Path) -> ChartFile:
    """Histogram of completed stays in migration stations, with the mean and the legal maximum."""
    station = visits.of("migration_stations")
    stays = station.stays()
    limit = float(manifest["parameters"].get("max_detention_days", "inf"))
    fig, ax = figure(8.0, 4.2, layout="constrained")
    notes = []
    if stays.size:
        width = max(1.0, float(np.ceil(stays.max() / 100)))
        bins = np.arange(0.0, stays.max() + width, width)
        ax.hist(stays, bins=bins, weights=np.full(stays.size, 1 / stays.size), color=SOUTH_COLOUR,
                edgecolor="black", linewidth=0.3, label=f"{stays.size:,} completed stays")
        ax.axvline(stays.mean(), color=MEAN_COLOUR, linestyle="-", linewidth=1.3,
                   label=f"mean {stays.mean():.1f} days")
        ax.axvline(np.percentile(stays, 95), color=PERCENTILE_COLOUR, linestyle=":", linewidth=1.4,
                   label=f"95th percentile {np.percentile(stays, 95):.1f} days")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
        if np.isfinite(limit):
            notes.append(f"{np.count_nonzero(stays > limit + 1e-9):,} stays longer than the legal maximum")
    else:
        ax.text(0.5, 0.6, "No child's stay in a migration station\nended within the run",
                ha="center", va="center", transform=ax.transAxes)
    if station.n_still_in_place:
        notes.append(f"{station.n_still_in_place:,} children still detained at the end (not drawn)")
    if np.isfinite(limit):
        ax.axvline(limit, color=CAPACITY_COLOUR, linestyle=CAPACITY_LINE_STYLE, linewidth=1.3,
                   label=f"legal maximum {limit:g} days")
        ax.set_xlim(0, max(limit, stays.max() if stays.size else 0) * 1.05 + 1)
    else:
        ax.plot([], [], " ", label="no legal maximum set")
        ax.set_xlim(left=0)
    ax.set_xlabel("days in a migration station")
    ax.set_ylabel("share of stays")
    ax.set_title("Length of stays of children in migration stations (southern border)")
    ax.legend(loc="upper right", title="\n".join(notes) or None, title_fontsize=7.5)
    stamp(fig, stamp_text(manifest))
    text = caption(
        "Distribution of the completed stays of children in migration stations, in days; solid line: "
        "mean stay; dotted line: 95th percentile; dashed grey line: the legal maximum "
        "(max_detention_days in the manifest's parameters), when one is set.",
        "No intervals: stays of all replications with visit records are pooled; the legend counts "
        "stays beyond the maximum and children still detained when the run ended.",
        f"Source: visits.csv, replication(s) {_replication_list(visits.replications)}.",
    )
    return ChartFile("detention_days", save(fig, out, "detention_days"), text)


__all__ = ["ChartDataError", "ChartFile", "RESOURCES", "as_floats", "captions_text", "draw_detention_days",
           "draw_border_strip", "draw_flows", "draw_occupancy", "draw_run_charts", "draw_waiting_times",
           "read_columns",
           "stamp_text"]
