"""Charts of one run folder: flows, occupancy against capacity, waiting times, detention days.

Everything is read from the folder's files (manifest.json, summary.csv, daily_stocks.csv,
visits.csv), never from the model, so the charts can be redrawn from any saved result.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.charts.style import CAPACITY_COLOUR, PALETTE, figure, save, series_style, stamp

RESOURCES = (
    ("officers_north", "Officers, northern border", "officers"),
    ("officers_south", "Officers, southern border", "officers"),
    ("care_units", "Care-unit places (north)", "places"),
    ("shelters", "Shelter beds (north)", "beds"),
    ("migration_stations", "Migration-station places (south)", "places"),
    ("alternative_care", "Alternative-care places (south)", "places"),
)

FLOWS = (
    ("North", "new_repatriated_north", "Handed back by the United States (F01)"),
    ("North", "new_repatriated_north_unaccompanied", "of whom unaccompanied (F02)"),
    ("North", "new_shelter_admissions", "Admitted to a transitory shelter"),
    ("North", "new_reunified_north", "Unaccompanied, reunified with family"),
    ("North", "new_protection_route_north", "Protection route (north)"),
    ("South", "new_departures_central_america", "Central Americans entering Mexico"),
    ("South", "new_apprehended_south", "Apprehended in transit"),
    ("South", "new_returned_south", "Returned via the southern border"),
    ("South", "new_returned_south_unaccompanied", "of whom unaccompanied (F03)"),
    ("South", "new_protection_route_south", "Protection route (south)"),
    ("South", "new_reached_united_states", "Crossed Mexico unapprehended"),
)


@dataclass(frozen=True)
class ChartFile:
    name: str
    paths: list[Path]
    caption: str


def read_columns(path: Path, columns: list[str] | None = None) -> dict[str, list[str]]:
    """The named columns (default: all) of a CSV file, as lists of text."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        wanted = columns or reader.fieldnames or []
        data: dict[str, list[str]] = {name: [] for name in wanted}
        for row in reader:
            for name in wanted:
                data[name].append(row[name])
    return data


def as_floats(values: list[str]) -> np.ndarray:
    """Text cells as floats; empty or "nan" cells become NaN."""
    return np.array([float(v) if v not in ("", "nan") else np.nan for v in values], dtype=float)


def _stamp_text(manifest: dict) -> str:
    return (f"{manifest['scenario']['title']} | {manifest['replications']} replications x "
            f"{manifest['years']:g} year(s) | seed {manifest['base_seed']} | "
            f"Amparo {manifest['amparo_version']}")


def draw_run_charts(run_folder: Path) -> list[ChartFile]:
    """Draw every chart of a run folder into `run_folder/charts` and list them with captions."""
    run_folder = Path(run_folder)
    manifest = json.loads((run_folder / "manifest.json").read_text(encoding="utf-8"))
    out = run_folder / "charts"
    charts = [_flows(run_folder, manifest, out), _occupancy(run_folder, manifest, out)]
    if (run_folder / "visits.csv").exists():
        columns = ["resource", "requested_at", "started_at", "ended_at"]
        visits = read_columns(run_folder / "visits.csv", columns)
        charts.append(_waiting_times(visits, manifest, out))
        charts.append(_detention_days(visits, manifest, out))
    lines = ["# Charts", ""]
    for chart in charts:
        lines += [f"## {chart.name}", "", ", ".join(p.name for p in chart.paths), "", chart.caption, ""]
    (out / "captions.md").write_text("\n".join(lines), encoding="utf-8")
    return charts


def _flows(folder: Path, manifest: dict, out: Path) -> ChartFile:
    summary = read_columns(folder / "summary.csv")
    row_of = {name: i for i, name in enumerate(summary["outcome"])}
    means = as_floats(summary["mean"])
    lows, highs = as_floats(summary["ci_low"]), as_floats(summary["ci_high"])
    fig, ax = figure(7.5, 5.0)
    labels, values, errors, colours = [], [], [], []
    for side, outcome, label in FLOWS:
        i = row_of[outcome]
        labels.append(f"{side}: {label}")
        values.append(means[i])
        errors.append([means[i] - lows[i], highs[i] - means[i]])
        colours.append(PALETTE[2] if side == "North" else PALETTE[1])
    y = np.arange(len(labels))[::-1]
    ax.barh(y, values, xerr=np.array(errors).T, color=colours, edgecolor="black", linewidth=0.5,
            error_kw={"elinewidth": 0.8, "capsize": 2})
    for yi, value in zip(y, values, strict=True):
        ax.text(value, yi, f"  {value:,.0f}", va="center", fontsize=7)
    ax.set_yticks(y, labels)
    ax.set_xlabel("children per year (mean across replications)")
    ax.set_title("Flows of children through the stages")
    ax.set_xlim(0, max(values) * 1.2 if max(values) > 0 else 1)
    stamp(fig, _stamp_text(manifest))
    caption = ("Children per measured year at each stage, north (blue) and south (orange); bars are means "
               f"across {manifest['replications']} replications, whiskers their 95% confidence intervals.")
    return ChartFile("flows", save(fig, out, "flows"), caption)


def _occupancy(folder: Path, manifest: dict, out: Path) -> ChartFile:
    names = ["replication", "day"] + [f"n_in_{r}" for r, _, _ in RESOURCES] + \
            [f"n_waiting_{r}" for r, _, _ in RESOURCES]
    daily = {k: as_floats(v) for k, v in read_columns(folder / "daily_stocks.csv", names).items()}
    days = np.unique(daily["day"])
    replications = np.unique(daily["replication"])
    fig, axes = figure(9.0, 7.5, nrows=3, ncols=2, sharex=True)
    for ax, (resource, title, unit) in zip(np.ravel(axes), RESOURCES, strict=True):
        for index, (kind, label) in enumerate((("n_in", "in use"), ("n_waiting", "children waiting"))):
            matrix = np.full((replications.size, days.size), np.nan)
            for r_index, replication in enumerate(replications):
                mine = daily["replication"] == replication
                matrix[r_index, daily["day"][mine].astype(int)] = daily[f"{kind}_{resource}"][mine]
            low, median, high = np.nanpercentile(matrix, [5, 50, 95], axis=0)
            style = series_style(2 + 4 * index)
            ax.fill_between(days, low, high, color=style["color"], alpha=0.25, linewidth=0)
            ax.plot(days, median, color=style["color"], linestyle=style["linestyle"], linewidth=1.2,
                    label=f"{label} (median, 5-95% band)")
        capacity = manifest["capacities"][resource]
        ax.axhline(capacity, color=CAPACITY_COLOUR, linestyle="--", linewidth=1, label="capacity")
        ax.set_title(f"{title}: capacity {capacity:,}")
        ax.set_ylabel(unit)
    for ax in np.ravel(axes)[-2:]:
        ax.set_xlabel("day of the measured period")
    np.ravel(axes)[0].legend(loc="upper right")
    fig.suptitle("Occupancy against capacity")
    fig.tight_layout()
    stamp(fig, _stamp_text(manifest))
    caption = ("Places in use and children waiting at the end of each day. Lines: median across "
               f"{manifest['replications']} replications; bands: 5th to 95th percentile across replications; "
               "dashed: capacity.")
    return ChartFile("occupancy", save(fig, out, "occupancy"), caption)


def _waiting_times(visits: dict[str, list[str]], manifest: dict, out: Path) -> ChartFile:
    resource = np.array(visits["resource"])
    waits = as_floats(visits["started_at"]) - as_floats(visits["requested_at"])
    fig, axes = figure(9.0, 7.0, nrows=3, ncols=2)
    for ax, (name, title, _) in zip(np.ravel(axes), RESOURCES, strict=True):
        mine = waits[(resource == name) & ~np.isnan(waits)]
        ax.set_title(title)
        ax.set_xlabel("wait (hours)")
        ax.set_ylabel("share of requests")
        if mine.size == 0:
            ax.text(0.5, 0.5, "no requests", ha="center", va="center", transform=ax.transAxes)
            continue
        hours = mine * 24
        waited = np.count_nonzero(hours > 1e-9)
        if waited == 0:
            ax.text(0.5, 0.5, f"all {mine.size:,} served at once", ha="center", va="center",
                    transform=ax.transAxes)
            continue
        ax.hist(hours, bins=40, weights=np.full(hours.size, 1 / hours.size), color=PALETTE[2],
                edgecolor="black", linewidth=0.3)
        mean, p95 = hours.mean(), np.percentile(hours, 95)
        ax.axvline(mean, color=PALETTE[6], linestyle="-", label=f"mean {mean:.1f} h")
        ax.axvline(p95, color=PALETTE[0], linestyle=":", label=f"95th percentile {p95:.1f} h")
        ax.legend(title=f"{waited / mine.size:.0%} of {mine.size:,} waited")
    fig.suptitle("Waiting times for a place")
    fig.tight_layout()
    stamp(fig, _stamp_text(manifest))
    caption = ("Distribution of the time from asking for a place to getting it, per resource, for the "
               f"first {manifest.get('records_replications', 1)} replication(s) (children who left the "
               "line unserved are not included).")
    return ChartFile("waiting_times", save(fig, out, "waiting_times"), caption)


def _detention_days(visits: dict[str, list[str]], manifest: dict, out: Path) -> ChartFile:
    resource = np.array(visits["resource"])
    stays = as_floats(visits["ended_at"]) - as_floats(visits["started_at"])
    stays = stays[(resource == "migration_stations") & ~np.isnan(stays)]
    fig, ax = figure(7.0, 4.0)
    limit = manifest["parameters"]["max_detention_days"]
    if stays.size:
        ax.hist(stays, bins=50, color=PALETTE[1], edgecolor="black", linewidth=0.3)
        ax.axvline(stays.mean(), color=PALETTE[0], linestyle="-", label=f"mean {stays.mean():.1f} days")
    else:
        ax.text(0.5, 0.5, "no child was detained", ha="center", va="center", transform=ax.transAxes)
    if isinstance(limit, int | float) and np.isfinite(limit) and (stays.size == 0 or limit < stays.max() * 2):
        ax.axvline(limit, color=CAPACITY_COLOUR, linestyle="--", label=f"legal maximum {limit:g} days")
    ax.set_xlabel("days in a migration station")
    ax.set_ylabel("children")
    ax.set_title("Length of detention of children (southern route)")
    if stays.size:
        ax.legend()
    stamp(fig, _stamp_text(manifest))
    caption = (f"Completed stays in migration stations, first {manifest.get('records_replications', 1)} "
               "replication(s); the legal maximum is marked when it is within the range shown.")
    return ChartFile("detention_days", save(fig, out, "detention_days"), caption)
