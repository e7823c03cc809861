"""Charts of a comparison folder: a forest plot of paired differences, and occupancy bands overlaid.

Read from the folder's files (manifest.json, comparison.csv, daily_stocks.csv), never the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sim.experiments.compare import KEY_OUTCOMES
from sim.presentation.charts.run_charts import ChartFile, as_floats, read_columns
from sim.presentation.charts.style import (
    CAPACITY_COLOUR,
    CAPACITY_LINE_STYLE,
    caption,
    figure,
    save,
    series_style,
    stamp,
    write_text,
)

OCCUPANCY = (("shelters", "Shelter beds (north)"), ("migration_stations", "Migration-station places"),
             ("alternative_care", "Alternative-care places"))


def draw_comparison_charts(folder: Path) -> list[ChartFile]:
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    out = folder / "charts"
    charts = [_forest(folder, manifest, out), _occupancy(folder, manifest, out)]
    lines = ["# Charts", "", _stamp(manifest), ""]
    for chart in charts:
        lines += [f"## {chart.name}", "", ", ".join(p.name for p in chart.paths), "", chart.caption, ""]
    write_text(out / "captions.md", "\n".join(lines))
    return charts


def _stamp(manifest: dict) -> str:
    """Scenarios, replications, years, seed and version, for the corner of every chart."""
    names = ", ".join(s["name"] for s in manifest["scenarios"])
    commit = str(manifest.get("git_commit", "unknown"))[:12]
    return (f"{names} | {manifest['replications']} replications x {manifest['years']:g} year(s) | "
            f"seed {manifest['base_seed']} | Amparo {manifest['amparo_version']} ({commit})")


def _forest(folder: Path, manifest: dict, out: Path) -> ChartFile:
    table = read_columns(folder / "comparison.csv")
    names = [s["name"] for s in manifest["scenarios"]]
    reference = names[0]
    outcome = np.array(table["outcome"])
    scenario = np.array(table["scenario"])
    mean = as_floats(table["mean"])
    difference = as_floats(table["difference"])
    low, high = as_floats(table["difference_ci_low"]), as_floats(table["difference_ci_high"])
    others = names[1:]
    fig, ax = figure(7.5, 0.45 * len(KEY_OUTCOMES) * max(1, len(others)) ** 0.5 + 1.5)
    y_positions = np.arange(len(KEY_OUTCOMES))[::-1]
    spread = 0.7 / max(1, len(others))
    for index, name in enumerate(others):
        style = series_style(index + 1)
        ys, xs, errors = [], [], []
        for y, key in zip(y_positions, KEY_OUTCOMES, strict=True):
            row = np.flatnonzero((outcome == key) & (scenario == name))
            base = np.flatnonzero((outcome == key) & (scenario == reference))
            if not row.size or not base.size:
                continue
            scale = abs(mean[base[0]])
            if not np.isfinite(scale) or scale == 0:
                scale = 1.0  # from zero: show the change in the outcome's own unit
            i = row[0]
            ys.append(y - 0.35 + spread * (index + 0.5))
            xs.append(100 * difference[i] / scale)
            errors.append([100 * (difference[i] - low[i]) / scale, 100 * (high[i] - difference[i]) / scale])
        ax.errorbar(xs, ys, xerr=np.array(errors).T if errors else None, fmt=style["marker"],
                    color=style["color"], capsize=2, linewidth=1, label=name)
    ax.axvline(0, color=CAPACITY_COLOUR, linewidth=1)
    ax.set_yticks(y_positions, KEY_OUTCOMES)
    ax.set_xlabel(f"paired difference to {reference!r} (% of its mean)")
    ax.set_title("Effect of each scenario, with 95% confidence intervals")
    ax.legend(loc="best", title="scenario")
    stamp(fig, _stamp(manifest))
    text = caption(
        f"Mean paired difference of each key outcome to {reference!r}, as a percentage of the reference "
        "mean (where the reference mean is zero, in the outcome's own unit); one marker and line style "
        "per scenario.",
        f"Whiskers: 95% confidence intervals of the paired difference across {manifest['replications']} "
        "replications with common random numbers (replication i of every scenario sees the same children).",
        "Source: comparison.csv.")
    return ChartFile("differences", save(fig, out, "differences"), text)


def _occupancy(folder: Path, manifest: dict, out: Path) -> ChartFile:
    columns = ["scenario", "replication", "day"] + [f"n_in_{name}" for name, _ in OCCUPANCY]
    daily = read_columns(folder / "daily_stocks.csv", columns)
    scenario = np.array(daily["scenario"])
    day = as_floats(daily["day"]).astype(int)
    replication = as_floats(daily["replication"]).astype(int)
    fig, axes = figure(7.5, 7.5, nrows=len(OCCUPANCY), ncols=1, sharex=True)
    for ax, (resource, title) in zip(axes, OCCUPANCY, strict=True):
        values = as_floats(daily[f"n_in_{resource}"])
        for index, spec in enumerate(manifest["scenarios"]):
            mine = scenario == spec["name"]
            days = np.unique(day[mine])
            reps = np.unique(replication[mine])
            matrix = np.full((reps.size, days.size), np.nan)
            matrix[np.searchsorted(reps, replication[mine]), day[mine]] = values[mine]
            p5, median, p95 = np.nanpercentile(matrix, [5, 50, 95], axis=0)
            style = series_style(index)
            ax.fill_between(days, p5, p95, color=style["color"], alpha=0.2, linewidth=0)
            ax.plot(days, median, color=style["color"], linestyle=style["linestyle"], linewidth=1.2,
                    label=f"{spec['name']} (capacity {spec['capacities'][resource]:,})")
            ax.axhline(spec["capacities"][resource], color=style["color"], linestyle=CAPACITY_LINE_STYLE,
                       linewidth=0.9)
        ax.set_title(title, loc="left")
        ax.set_ylabel("places in use")
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper right", fontsize=7)
    axes[-1].set_xlabel("day of the measured period")
    fig.suptitle("Occupancy against capacity, per scenario")
    fig.tight_layout()
    stamp(fig, _stamp(manifest))
    text = caption(
        "Places in use at the end of each measured day, per scenario (one colour and line style each); "
        "dashed lines: each scenario's capacity, also given in the legend.",
        f"Lines are the median across {manifest['replications']} replications of each day's count; bands "
        "run from the 5th to the 95th percentile across replications on that day (a spread of outcomes, "
        "not a confidence interval).",
        "Source: daily_stocks.csv and the capacities in manifest.json.")
    return ChartFile("occupancy", save(fig, out, "occupancy"), text)
