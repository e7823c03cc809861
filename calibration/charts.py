"""Charts of a calibration folder, drawn from its CSV files: the fit, the posterior marginals and the
posterior correlations. PNG at 200 dpi and SVG, captions in `charts/captions.md`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from matplotlib.ticker import MaxNLocator

from sim.presentation.charts.run_charts import ChartFile
from sim.presentation.charts.style import PALETTE, figure, save, stamp, write_text
from sim.presentation.charts.tables import as_floats, read_columns


def _stamp_text(manifest: dict) -> str:
    settings = manifest["settings"]
    return (f"calibration | {manifest['simulations']} simulations | {settings['years']:g} year(s) each | "
            f"seed {settings['seed']} | Amparo {manifest['amparo_version']}")


def draw_fit(folder: Path, manifest: dict) -> ChartFile:
    fit = read_columns(folder / "fit.csv")
    figures = fit["figure"]
    fig, axes = figure(2.4 * len(figures) + 0.6, 3.0, ncols=len(figures), squeeze=False, layout="constrained")
    for ax, i in zip(axes[0], range(len(figures)), strict=True):
        reported = float(fit["reported"][i])
        mean, low, high = (float(fit[key][i]) for key in ("simulated_mean", "simulated_p5", "simulated_p95"))
        post_low, post_high = float(fit["posterior_p5"][i]), float(fit["posterior_p95"][i])
        ax.errorbar([0], [mean], yerr=[[mean - low], [high - mean]], fmt="o", color=PALETTE[2], capsize=4,
                    label="calibrated point: mean, 90% of replications")
        ax.errorbar([1], [(post_low + post_high) / 2], yerr=[[(post_high - post_low) / 2]], fmt="none",
                    color=PALETTE[1], capsize=4, linewidth=2, label="posterior predictive 90%")
        ax.axhline(reported, color="black", linestyle="--", linewidth=1, label="reported")
        tolerance = float(fit["tolerance"][i]) * reported
        ax.axhspan(reported - tolerance, reported + tolerance, color="black", alpha=0.08, label="tolerance")
        ax.set_xticks([0, 1], ["calibrated", "posterior"], fontsize=7)
        ax.set_xlim(-0.6, 1.6)
        ax.set_title(figures[i])
    axes[0][0].set_ylabel("children per year (share for F02/F01)")
    axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=7)
    fig.suptitle("Calibration targets: reported against simulated")
    stamp(fig, _stamp_text(manifest))
    caption = ("Each panel is one calibration target. Dashed line: the reported figure; grey band: its "
               "tolerance. Blue: the calibrated point's mean with the 5th-95th percentile over replications "
               "(fit.csv). "
               "Orange: the 5th-95th percentile of the posterior predictive runs, each at a posterior draw.")
    return ChartFile("fit", save(fig, folder / "charts", "fit"), caption)


def draw_marginals(folder: Path, manifest: dict) -> ChartFile:
    particles = read_columns(folder / "particles.csv")
    dimensions = manifest["dimensions"]
    weights = as_floats(particles["weight"])
    columns = min(4, len(dimensions))
    rows = -(-len(dimensions) // columns)
    fig, axes = figure(2.5 * columns, 2.1 * rows, nrows=rows, ncols=columns, squeeze=False,
                       layout="constrained")
    for index, dimension in enumerate(dimensions):
        ax = axes[index // columns][index % columns]
        values = as_floats(particles[dimension["name"]])
        ax.hist(values, bins=np.linspace(dimension["low"], dimension["high"], 16), weights=weights,
                color=PALETTE[2] if dimension["fitted"] else PALETTE[0], alpha=0.8, edgecolor="black",
                linewidth=0.3, label="posterior")
        ax.axhline(1 / 15, color=PALETTE[1], linestyle="--", linewidth=1, label="prior (uniform)")
        ax.axvline(dimension["calibrated"], color=PALETTE[6], linewidth=1.5, label="calibrated baseline")
        ax.set_xlim(dimension["low"], dimension["high"])
        ax.set_title(f"{dimension['name']} ({'fitted' if dimension['fitted'] else 'declared'})", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    for index in range(len(dimensions), rows * columns):
        axes[index // columns][index % columns].axis("off")
    axes[0][0].set_ylabel("weight")
    axes[0][0].legend(fontsize=6)
    fig.suptitle("Posterior marginals over the prior range")
    stamp(fig, _stamp_text(manifest))
    caption = ("Weighted histograms of the accepted runs after regression adjustment (particles.csv), each "
               "over its dimension's whole prior range; the dashed line is the uniform prior's height; the "
               "vertical line is the calibrated baseline's value (fitted: posterior mean on the log scale; "
               "declared: the code default). A declared dimension's histogram stays flat: the figures "
               "leave it open, and the posterior carries its prior.")
    return ChartFile("posterior_marginals", save(fig, folder / "charts", "posterior_marginals"), caption)


def draw_correlations(folder: Path, manifest: dict) -> ChartFile:
    names = [d["name"] for d in manifest["dimensions"]]
    matrix = np.array(manifest["posterior_correlations"], dtype=float)
    fig, ax = figure(5.8, 4.8, layout="constrained")
    image = ax.imshow(matrix, cmap="RdBu_r", vmin=-1, vmax=1)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, f"{matrix[i, j]:+.2f}", ha="center", va="center", fontsize=7,
                    color="white" if abs(matrix[i, j]) > 0.6 else "black")
    labels = [f"{i + 1} {name}" for i, name in enumerate(names)]
    ax.set_xticks(range(len(names)), [str(i + 1) for i in range(len(names))])
    ax.set_yticks(range(len(names)), labels, fontsize=7)
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="weighted correlation", shrink=0.8)
    ax.set_title("Posterior correlations between the calibration's dimensions")
    stamp(fig, _stamp_text(manifest))
    caption = ("Weighted Pearson correlations of the accepted runs after adjustment (particles.csv). The "
               "fitted quantities are products, so their factors need not correlate: a strong value "
               "between a fitted quantity and a declared one would mean the figures tie them together.")
    paths = save(fig, folder / "charts", "posterior_correlations")
    return ChartFile("posterior_correlations", paths, caption)


def draw_coverage(folder: Path, manifest: dict) -> ChartFile:
    coverage = read_columns(folder / "coverage.csv")
    names = coverage["quantity"]
    bins = [key for key in coverage if key.startswith("rank_")]
    fig, axes = figure(2.6 * len(names) + 0.4, 2.6, ncols=len(names), squeeze=False, layout="constrained")
    for ax, i in zip(axes[0], range(len(names)), strict=True):
        counts = np.array([float(coverage[key][i]) for key in bins])
        truths = counts.sum()
        ax.bar(np.arange(len(bins)) + 0.5, counts, width=0.9, color=PALETTE[2], edgecolor="black",
               linewidth=0.3)
        ax.axhline(truths / len(bins), color="black", linestyle="--", linewidth=1, label="uniform")
        ax.set_xlim(0, len(bins))
        ax.set_xticks([0, len(bins) / 2, len(bins)], ["0", "0.5", "1"])
        ax.set_xlabel("rank of the truth in its posterior")
        ax.set_title(f"{names[i]}\n90% covered in {float(coverage['covered_by_90_percent_interval'][i]):.0%}",
                     fontsize=7)
    axes[0][0].set_ylabel("synthetic truths")
    axes[0][0].legend(fontsize=6)
    fig.suptitle("Coverage check: rank of each synthetic truth in its posterior")
    stamp(fig, _stamp_text(manifest))
    caption = ("Simulation-based calibration (coverage.csv): runs of the reference table, each in turn the "
               "truth, left out of the table; the bars count truths by their weighted rank in their own "
               "posterior. Calibrated intervals give a flat histogram (dashed line); a hump in the middle "
               "means intervals too wide, a U too narrow.")
    return ChartFile("coverage", save(fig, folder / "charts", "coverage"), caption)


def draw_calibration_charts(folder: Path) -> list[ChartFile]:
    """Every calibration chart, and `charts/captions.md`."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    charts = [draw(folder, manifest) for draw in (draw_fit, draw_marginals, draw_correlations, draw_coverage)]
    text = ["# Charts", ""]
    for chart in charts:
        text += [f"## {chart.name}", "", ", ".join(p.name for p in chart.paths), "", chart.caption, ""]
    write_text(folder / "charts" / "captions.md", "\n".join(text))
    return charts


def draw_sensitivity_charts(folder: Path) -> list[ChartFile]:
    """A heat map of Morris mu* per outcome and parameter (morris.csv), and `charts/captions.md`."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    table = read_columns(folder / "morris.csv")
    outcomes = list(dict.fromkeys(table["outcome"]))
    parameters = list(dict.fromkeys(table["parameter"]))
    matrix = as_floats(table["relative_mu_star"]).reshape(len(outcomes), len(parameters))
    fig, ax = figure(1.0 + 0.62 * len(parameters), 1.6 + 0.42 * len(outcomes), layout="constrained")
    image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(len(outcomes)):
        for j in range(len(parameters)):
            ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=6,
                    color="white" if matrix[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(parameters)), parameters, rotation=40, ha="right", fontsize=7)
    ax.set_yticks(range(len(outcomes)), outcomes, fontsize=7)
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="mu* / largest mu* of the outcome", shrink=0.8)
    ax.set_title("Morris screening: which uncertain parameters move each outcome")
    stamp(fig, f"sensitivity | {manifest['runs']} runs ({manifest['trajectories']} trajectories) | "
               f"{manifest['years']:g} year(s) each | seed {manifest['seed']} | "
               f"Amparo {manifest['amparo_version']}")
    caption = ("Each cell is the Morris mu* (mean absolute elementary effect) of a parameter on an outcome, "
               "divided by the largest mu* for that outcome, so 1 marks the most influential parameter of "
               "each row. Absolute values, their 95% bootstrap half-widths and sigma are in morris.csv.")
    chart = ChartFile("morris_mu_star", save(fig, folder / "charts", "morris_mu_star"), caption)
    write_text(folder / "charts" / "captions.md",
               f"# Charts\n\n## {chart.name}\n\n{', '.join(p.name for p in chart.paths)}\n\n{caption}\n")
    return [chart]
