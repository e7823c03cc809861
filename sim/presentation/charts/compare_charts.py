"""Charts of a comparison folder: a forest plot of paired differences, and occupancy bands overlaid.

Read from the folder's files (manifest.json, comparison.csv, daily_stocks.csv), never the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sim.analysis.effects import effects_from_rows
from sim.experiments.compare import KEY_OUTCOMES
from sim.model.schema import PLACE_NAMES, RESOURCE_LABEL
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

OCCUPANCY = tuple((name, RESOURCE_LABEL[name]) for name in PLACE_NAMES)


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
    """One panel per unit (children a year, child-days a year, days, percentage points, places), each
    key outcome's paired difference with its 95% interval, largest effect at the top."""
    table = read_columns(folder / "comparison.csv")
    names = [s["name"] for s in manifest["scenarios"]]
    reference, others = names[0], names[1:]
    rows = [dict(zip(table, values, strict=True)) for values in zip(*table.values(), strict=True)]
    effects = effects_from_rows(rows, reference, KEY_OUTCOMES)
    units = list(dict.fromkeys(effect.display_unit for effect in effects))
    by_unit = {unit: [e for e in effects if e.display_unit == unit] for unit in units}
    order = {unit: _ranked_outcomes(by_unit[unit], others) for unit in units}
    heights = [len(order[unit]) + 1.2 for unit in units] or [1]
    fig, axes = figure(7.5, 0.32 * sum(heights) * max(1, len(others)) ** 0.5 + 1.2, nrows=max(1, len(units)),
                       ncols=1, squeeze=False, layout="constrained", gridspec_kw={"height_ratios": heights})
    spread = 0.7 / max(1, len(others))
    for ax, unit in zip(axes[:, 0], units, strict=False):
        labels = order[unit]
        y_of = {label: len(labels) - 1 - i for i, label in enumerate(labels)}
        for index, name in enumerate(others):
            style = series_style(index + 1)
            mine = [e for e in by_unit[unit] if e.scenario == name]
            ys = [y_of[e.outcome.label] - 0.35 + spread * (index + 0.5) for e in mine]
            xs = [e.difference for e in mine]
            errors = np.array([[e.difference - e.low, e.high - e.difference] for e in mine]).T
            ax.errorbar(xs, ys, xerr=errors if mine else None, fmt=style["marker"], color=style["color"],
                        capsize=2, linewidth=1, label=name)
        ax.axvline(0, color=CAPACITY_COLOUR, linewidth=1)
        ax.set_yticks([y_of[label] for label in labels], labels)
        ax.set_ylim(-0.6, len(labels) - 0.4)
        ax.set_xlabel(f"difference to {reference!r}, {unit}")
    if not units:
        axes[0, 0].text(0.5, 0.5, "no key outcomes in comparison.csv", ha="center", va="center",
                        transform=axes[0, 0].transAxes)
    fig.suptitle("Effect of each scenario on the key outcomes, with 95% confidence intervals")
    if others and units:
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside upper center", ncols=len(others),
                   title="scenario", fontsize=7)
    stamp(fig, _stamp(manifest))
    text = caption(
        f"Mean paired difference of each key outcome to {reference!r}, in the outcome's own unit (shares "
        "in percentage points), one panel per unit, the largest effect at the top; one marker per "
        "scenario.",
        f"Whiskers: 95% confidence intervals of the paired difference across {manifest['replications']} "
        "replications with common random numbers (replication i of every scenario sees the same children).",
        "Source: comparison.csv.")
    return ChartFile("differences", save(fig, out, "differences"), text)


def _ranked_outcomes(effects: list, scenarios: list[str]) -> list[str]:
    """Outcome labels of one panel, by the largest absolute effect of any scenario, largest first."""
    size: dict[str, float] = {}
    for effect in effects:
        if effect.scenario in scenarios:
            value = abs(effect.difference) if np.isfinite(effect.difference) else -1.0
            size[effect.outcome.label] = max(size.get(effect.outcome.label, -1.0), value)
    return sorted(size, key=lambda label: -size[label])


def _occupancy(folder: Path, manifest: dict, out: Path) -> ChartFile:
    columns = ["scenario", "replication", "day"] + [f"n_in_{name}" for name, _ in OCCUPANCY]
    daily = read_columns(folder / "daily_stocks.csv", columns)
    scenario = np.array(daily["scenario"])
    day = as_floats(daily["day"]).astype(int)
    replication = as_floats(daily["replication"]).astype(int)
    fig, axes = figure(7.5, 2.5 * len(OCCUPANCY), nrows=len(OCCUPANCY), ncols=1, sharex=True)
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
