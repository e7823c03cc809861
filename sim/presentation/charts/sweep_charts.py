"""Charts of a sweep folder: each key outcome against each varied input, every run a point."""

from __future__ import annotations

import json
from pathlib import Path

from sim.analysis.outcome_registry import ALL_OUTCOMES, View, outcomes_in
from sim.model.parameters import field_by_name
from sim.presentation.charts.run_charts import ChartFile, as_floats, read_columns
from sim.presentation.charts.style import PALETTE, caption, figure, save, stamp, write_text

KEY_OUTCOMES = outcomes_in(View.SWEEP)


def draw_sweep_charts(folder: Path) -> list[ChartFile]:
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    experiments = read_columns(folder / "experiments.csv")
    outcomes = read_columns(folder / "outcomes.csv")
    inputs = manifest["varied"]
    units = {outcome.name: outcome.unit for outcome in ALL_OUTCOMES}
    fig, axes = figure(2.6 * len(inputs) + 1, 2.2 * len(KEY_OUTCOMES) + 0.8, nrows=len(KEY_OUTCOMES),
                       ncols=len(inputs), squeeze=False)
    for row, outcome in enumerate(KEY_OUTCOMES):
        y = as_floats(outcomes[outcome])
        for column, name in enumerate(inputs):
            ax = axes[row][column]
            x = as_floats(experiments[name])
            ax.scatter(x, y, s=8, color=PALETTE[2], edgecolor="black", linewidth=0.2, alpha=0.8)
            if row == len(KEY_OUTCOMES) - 1:
                ax.set_xlabel(f"{name} ({field_by_name()[name].metadata['unit']})")
            if column == 0:
                ax.set_ylabel(f"{outcome}\n({units.get(outcome, '?')})", fontsize=7)
    fig.suptitle(f"{manifest['title']}: outcomes against varied inputs")
    fig.tight_layout()
    base = Path(str(manifest.get("base", "?"))).stem
    stamp_text = (f"{manifest['title']} (base {base}) | {manifest['points']} points x "
                  f"{manifest['replications']} replication(s) x {manifest['years']:g} year(s) | design "
                  f"{manifest['design']} | seed {manifest['seed']} | Amparo {manifest['amparo_version']}")
    stamp(fig, stamp_text)
    text = caption(
        "Each key outcome (rows) against each varied input (columns); each dot is one run (one design "
        "point and one replication).",
        "No intervals: the vertical spread at similar inputs shows the variation between replications "
        "and the effect of the other inputs.",
        "Source: experiments.csv and outcomes.csv.")
    chart = ChartFile("outcomes_by_input", save(fig, folder / "charts", "outcomes_by_input"), text)
    write_text(folder / "charts" / "captions.md",
               f"# Charts\n\n{stamp_text}\n\n## {chart.name}\n\n{', '.join(p.name for p in chart.paths)}"
               f"\n\n{text}\n")
    return [chart]


