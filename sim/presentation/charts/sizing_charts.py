"""Charts of a sizing folder: the standard against the lever, or the frontier of two levers.

Read from the folder's files (manifest.json, evaluations.csv, frontier.csv), never from the model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from sim.presentation.charts.run_charts import ChartFile, captions_text, stamp_text
from sim.presentation.charts.style import (
    BAND_ALPHA,
    CAPACITY_COLOUR,
    CAPACITY_LINE_STYLE,
    MEAN_COLOUR,
    PALETTE,
    caption,
    figure,
    save,
    stamp,
    write_text,
)
from sim.presentation.charts.tables import as_floats, read_columns, read_manifest

CHOSEN_COLOUR = PALETTE[4]  # green
VIOLATION_COLOUR = PALETTE[6]  # vermilion
POINT_COLOUR = PALETTE[2]  # blue


def draw_sizing_charts(folder: Path) -> list[ChartFile]:
    """Draw the sizing chart (one lever) or the frontier chart (two levers) and their captions."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    out = folder / "charts"
    if "frontier" in manifest:
        charts = [draw_frontier(folder, manifest, out)]
    else:
        charts = [draw_standard_against_lever(folder, manifest, out)]
    write_text(out / "captions.md", captions_text(charts, manifest))
    return charts


def _errors(mean: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.vstack([np.clip(mean - low, 0, None), np.clip(high - mean, 0, None)])


def draw_standard_against_lever(folder: Path, manifest: dict, out: Path) -> ChartFile:
    """Top: share of replications meeting the standard, exact 95% intervals, the confidence line.
    Bottom: the standard's outcome, mean and 95% interval, against its limit. The answer marked."""
    table = read_columns(folder / "evaluations.csv")
    x = as_floats(table["value"])
    share = as_floats(table["share_met"])
    lever, standard = manifest["levers"][0], manifest["standard"]
    violated = np.array([text != "" for text in table["monotonicity_violation"]])
    chosen = as_floats(table["chosen"]) == 1
    fig, (top, bottom) = figure(7.0, 5.6, nrows=2, sharex=True, layout="constrained")
    share_errors = _errors(share, as_floats(table["share_ci_low"]), as_floats(table["share_ci_high"]))
    top.errorbar(x, share, yerr=share_errors, color=POINT_COLOUR, marker="o", linestyle="-", capsize=3,
                 label="share of replications meeting it")
    top.axhline(manifest["confidence"], color=CAPACITY_COLOUR, linestyle=CAPACITY_LINE_STYLE,
                label=f"required confidence ({manifest['confidence']:.0%})")
    top.set_ylim(-0.05, 1.05)
    top.set_ylabel("share of replications\nmeeting the standard")
    outcome = as_floats(table["outcome_mean"])
    bottom.errorbar(x, outcome, yerr=_errors(outcome, as_floats(table["outcome_ci_low"]),
                                             as_floats(table["outcome_ci_high"])),
                    color=MEAN_COLOUR, marker="s", linestyle="-", capsize=3, label="mean across replications")
    bottom.axhline(standard["limit"], color=CAPACITY_COLOUR, linestyle=CAPACITY_LINE_STYLE,
                   label=f"limit ({'at least' if standard['direction'] == 'at_least' else 'at most'} "
                         f"{standard['limit']:g})")
    name = standard["outcome"]
    if standard.get("days") is not None:
        name = name.replace("within_days", f"within_{standard['days']:g}_days")
    bottom.set_ylabel(name.replace("_", " "), fontsize=7)
    bottom.set_xlabel(f"{lever['label']} ({lever['unit']})")
    handles = []
    for ax in (top, bottom):
        if chosen.any():
            ax.axvline(x[chosen][0], color=CHOSEN_COLOUR, linewidth=2, alpha=0.8)
        ax.axvline(lever["scenario_value"], color=CAPACITY_COLOUR, linewidth=1, linestyle=":")
        if violated.any():
            values = share if ax is top else outcome
            ax.scatter(x[violated], values[violated], marker="X", s=90, color=VIOLATION_COLOUR, zorder=5)
    if chosen.any():
        handles.append(Line2D([], [], color=CHOSEN_COLOUR, linewidth=2, label=f"answer: {x[chosen][0]:g}"))
    handles.append(Line2D([], [], color=CAPACITY_COLOUR, linewidth=1, linestyle=":",
                          label=f"scenario: {lever['scenario_value']:g}"))
    if violated.any():
        handles.append(Line2D([], [], marker="X", linestyle="", color=VIOLATION_COLOUR, markersize=9,
                              label="monotonicity violation"))
    top.legend(handles=top.get_legend_handles_labels()[0] + handles, loc="best")
    zoomed = chosen.any() and _zoom(top, x, share, share_errors, x[chosen][0], manifest["confidence"])
    bottom.legend(loc="best")
    top.set_title(f"{standard['title']}: how many {lever['label']}?\n({manifest['scenario']['title']}, "
                  f"{manifest['confidence']:.0%} confidence)")
    stamp(fig, stamp_text(manifest))
    answer = (f"The answer, {x[chosen][0]:g} {lever['unit']}, is the smallest value whose share reaches the "
              f"required confidence (green line)." if chosen.any()
              else "No value in the searched range reached the required confidence.")
    text = caption(
        f"Each point is one lever value the search evaluated, with the same {manifest['replications']} "
        f"replications (common random numbers) of {manifest['years']:g} year(s) each. Top: the share of "
        f"replications in which the standard ({standard['condition']}) held. Bottom: the standard's "
        f"outcome. {answer} The dotted line is the scenario's own value; a red cross marks a value where "
        f"the share is lower than at a smaller value (a monotonicity violation)."
        + (" The inset enlarges the top panel around the answer." if zoomed else ""),
        "Top whiskers: exact (Clopper-Pearson) 95% interval of the true share; bottom whiskers: 95% "
        "confidence interval of the mean across replications (Student's t).",
        "Numbers from evaluations.csv (per replication: by_replication.csv).")
    return ChartFile("sizing", save(fig, out, "sizing"), text)


def _zoom(ax, x: np.ndarray, share: np.ndarray, errors: np.ndarray, answer: float, confidence: float) -> bool:
    """An inset of the top panel around the answer, when the searched range is much wider than the
    last bisection steps (so the transition would otherwise be a few pixels wide)."""
    half_width = max(4.0, 0.1 * answer)
    near = np.abs(x - answer) <= half_width
    if np.ptp(x) < 8 * half_width or near.sum() < 2:
        return False
    inset = ax.inset_axes([0.3, 0.15, 0.3, 0.5])
    inset.errorbar(x[near], share[near], yerr=errors[:, near], color=POINT_COLOUR, marker="o", linestyle="-",
                   capsize=2, markersize=4)
    inset.axhline(confidence, color=CAPACITY_COLOUR, linestyle=CAPACITY_LINE_STYLE)
    inset.axvline(answer, color=CHOSEN_COLOUR, linewidth=2, alpha=0.8)
    inset.set_xlim(answer - half_width, answer + half_width)
    inset.set_ylim(-0.05, 1.05)
    inset.tick_params(labelsize=6)
    inset.set_title("around the answer", fontsize=7)
    return True


def draw_frontier(folder: Path, manifest: dict, out: Path) -> ChartFile:
    """The fewest of the second lever meeting the standard, for each evaluated value of the first."""
    table = read_columns(folder / "frontier.csv")
    first, second = manifest["levers"]
    x = as_floats(table["first_lever_value"])
    y = as_floats(table["minimum_second_lever"])
    found = ~np.isnan(y)
    fig, ax = figure(6.5, 4.5, layout="constrained")
    top = second["high"]
    # shaded only around first-lever values that were searched and met: nothing is drawn between a
    # value that met the standard and one that did not
    ax.fill_between(x, np.where(found, y, top), top, where=found, step="mid", color=CHOSEN_COLOUR,
                    alpha=BAND_ALPHA, label="combinations meeting the standard")
    ax.plot(x[found], y[found], color=CHOSEN_COLOUR, marker="o", linestyle="-",
            label="frontier (fewest needed)")
    if (~found).any():
        ax.scatter(x[~found], np.full((~found).sum(), top), marker="^", color=VIOLATION_COLOUR, s=50,
                   label=f"not met even at {top:g}")
    ax.plot([first["scenario_value"]], [second["scenario_value"]], marker="*", markersize=13,
            color=CAPACITY_COLOUR, linestyle="", label="scenario")
    ax.set_xlabel(f"{first['label']} ({first['unit']})")
    ax.set_ylabel(f"{second['label']} ({second['unit']})")
    ax.legend(loc="best")
    ax.set_title(f"{manifest['standard']['title']} with {manifest['confidence']:.0%} confidence: "
                 f"{first['label']} and {second['label']}", fontsize=9)
    stamp(fig, stamp_text(manifest))
    text = caption(
        f"For each value of {first['label']} on the horizontal axis, the search found the fewest "
        f"{second['label']} for which the standard ({manifest['standard']['condition']}) held in at "
        f"least {manifest['confidence']:.0%} of {manifest['replications']} replications (common random "
        f"numbers); the shaded region above the line meets it. The star is the scenario.",
        "Each frontier point is exact to one unit of the second lever for those replications; its "
        "uncertainty (more replications, other confidence levels) is in evaluations.csv, where each point's "
        "share has an exact 95% interval.",
        "Numbers from frontier.csv and evaluations.csv.")
    return ChartFile("frontier", save(fig, out, "frontier"), text)
