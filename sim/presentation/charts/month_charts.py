"""The monthly chart of a run folder: each resource's share of capacity in use, month by month.

Read from the folder's daily_stocks.csv and manifest.json (its capacities, and its parameters'
warm-up and timeline, which set each day's month and, under a timeline, each day's capacity), never
from the model, so it can be redrawn from any saved result. The monthly occupancy is
`sim.analysis.outcomes.occupancy_by_month`, the function the outcomes `occupancy_*_peak_month` are
taken from.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from sim.analysis.outcomes import occupancy_by_month
from sim.model.run_calendar import MONTHS
from sim.model.schema import RESOURCES
from sim.presentation.charts.style import (
    BAND_ALPHA,
    CAPACITY_COLOUR,
    CAPACITY_LINE_STYLE,
    caption,
    legend_row,
    mosaic,
    save,
    series_style,
    stamp,
)
from sim.presentation.charts.tables import read_numbers

#: The panels: one per border, each resource of that border a line.
BORDERS = (("north", "Northern border"), ("south", "Southern border"))
#: The house series (`series_style`) of each resource, in registry order: the yellow, too pale for
#: a thin line on white, is left out.
SERIES = (0, 1, 2, 4, 6, 5, 7)


def draw_monthly_occupancy(folder: Path, manifest: dict, out: Path,
                           stamp_text: str) -> tuple[list[Path], str]:
    """Per border, each resource's mean share of capacity in use by calendar month: the mean
    across replications, with the 5-95% band across them. Returns the files written and the caption."""
    from sim.results.run_folder import parameters_from_manifest

    parameters = parameters_from_manifest(manifest)
    # the manifest's capacities, unless a timeline changes them day by day
    capacities = None if parameters.timeline else manifest["capacities"]
    columns = ["replication", "day"] + [f"n_in_{entry.name}" for entry in RESOURCES]
    daily = read_numbers(Path(folder) / "daily_stocks.csv", columns)
    replications = np.unique(daily["replication"])
    by_month = {entry.name: np.full((replications.size, 12), np.nan) for entry in RESOURCES}
    for row, replication in enumerate(replications):
        mine = daily["replication"] == replication
        months = occupancy_by_month({name: values[mine] for name, values in daily.items()}, parameters,
                                    capacities)
        for name, values in months.items():
            by_month[name][row] = values
    fig, axes = mosaic([[border for border, _ in BORDERS], ["legend", "legend"]], 10.0, 4.6,
                       sharey=True, height_ratios=[1, 0.16])
    handles = []
    x = np.arange(12)
    for index, entry in enumerate(RESOURCES):
        ax = axes[entry.border]
        values = by_month[entry.name]
        if np.isnan(values).all():
            continue
        style = series_style(SERIES[index % len(SERIES)])
        with warnings.catch_warnings():  # a month no measured day fell in stays NaN, without a warning
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(values, axis=0)
            low, high = np.nanpercentile(values, [5, 95], axis=0)
        ax.fill_between(x, low, high, color=style["color"], alpha=BAND_ALPHA, linewidth=0)
        ax.plot(x, mean, color=style["color"], linestyle=style["linestyle"], marker=style["marker"],
                markersize=4, linewidth=1.3)
        handles.append(Line2D([], [], color=style["color"], linestyle=style["linestyle"],
                              marker=style["marker"], markersize=4, label=entry.label))
    for border, title in BORDERS:
        ax = axes[border]
        ax.axhline(1.0, color=CAPACITY_COLOUR, linestyle=CAPACITY_LINE_STYLE, linewidth=1.1)
        ax.set_xticks(x, [month[:3] for month in MONTHS])
        ax.set_title(title, loc="left")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.yaxis.set_tick_params(labelleft=True)
    axes[BORDERS[0][0]].set_ylabel("share of capacity in use")
    handles += [Patch(color="#999999", alpha=BAND_ALPHA, label="5-95% of replications"),
                Line2D([], [], color=CAPACITY_COLOUR, linestyle=CAPACITY_LINE_STYLE, label="capacity")]
    legend_row(axes["legend"], handles, columns=4)
    fig.suptitle("Occupancy by month: the share of each resource's places in use")
    stamp(fig, stamp_text)
    text = caption(
        "For each resource, the mean share of its places (officers: of its officers) in use at the end "
        "of the measured days of each calendar month, all measured years pooled, against the capacity "
        "of each day (a scenario's timeline may change it); dashed grey line: full. Seasonal peaks of "
        "arrivals (arrival_profile_north and _south in the manifest) show as higher months.",
        f"Lines are means across {replications.size} replication(s); bands run from the 5th to the 95th "
        "percentile across replications (a spread, not a confidence interval).",
        "Source: daily_stocks.csv and the parameters in manifest.json.",
    )
    return save(fig, out, "occupancy_by_month"), text
