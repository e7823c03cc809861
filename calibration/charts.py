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
               "Orange: the 5th-95th weighted percentile of the accepted particles' runs (posterior.csv).")
    return ChartFile("fit", save(fig, folder / "charts", "fit"), caption)


def draw_marginals(folder: Path, manifest: dict) -> ChartFile:
    posterior = read_columns(folder / "posterior.csv")
    free = manifest["free_parameters"]
    weights = as_floats(posterior["weight"])
    columns = min(4, len(free))
    rows = -(-len(free) // columns)
    fig, axes = figure(2.5 * columns, 2.1 * rows, nrows=rows, ncols=columns, squeeze=False,
                       layout="constrained")
    for index, parameter in enumerate(free):
        ax = axes[index // columns][index % columns]
        values = as_floats(posterior[parameter["name"]])
        ax.hist(values, bins=np.linspace(parameter["low"], parameter["high"], 16), weights=weights,
                color=PALETTE[2], alpha=0.8, edgecolor="black", linewidth=0.3, label="posterior")
        ax.axhline(1 / 15, color=PALETTE[1], linestyle="--", linewidth=1, label="prior (uniform)")
        ax.axvline(parameter["calibrated"], color=PALETTE[6], linewidth=1.5, label="calibrated")
        ax.set_xlim(parameter["low"], parameter["high"])
        ax.set_title(parameter["name"], fontsize=7)
        ax.tick_params(labelsize=6)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    for index in range(len(free), rows * columns):
        axes[index // columns][index % columns].axis("off")
    axes[0][0].set_ylabel("weight")
    axes[0][0].legend(fontsize=6)
    fig.suptitle("Posterior marginals over the prior range")
    stamp(fig, _stamp_text(manifest))
    caption = ("Weighted histograms of the accepted particles of the last generation after regression "
               "adjustment (posterior.csv), each over its parameter's whole prior range; the dashed line "
               "is the uniform prior's height; the vertical line is the calibrated value (posterior mean "
               "on the log scale). A flat histogram means the figures leave that parameter open.")
    return ChartFile("posterior_marginals", save(fig, folder / "charts", "posterior_marginals"), caption)


def draw_correlations(folder: Path, manifest: dict) -> ChartFile:
    free = [p["name"] for p in manifest["free_parameters"]]
    matrix = np.array(manifest["posterior_correlations"], dtype=float)
    fig, ax = figure(5.8, 4.8, layout="constrained")
    image = ax.imshow(matrix, cmap="RdBu_r", vmin=-1, vmax=1)
    for i in range(len(free)):
        for j in range(len(free)):
            ax.text(j, i, f"{matrix[i, j]:+.2f}", ha="center", va="center", fontsize=7,
                    color="white" if abs(matrix[i, j]) > 0.6 else "black")
    labels = [f"{i + 1} {name}" for i, name in enumerate(free)]
    ax.set_xticks(range(len(free)), [str(i + 1) for i in range(len(free))])
    ax.set_yticks(range(len(free)), labels, fontsize=7)
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="weighted correlation", shrink=0.8)
    ax.set_title("Posterior correlations between the free parameters")
    stamp(fig, _stamp_text(manifest))
    caption = ("Weighted Pearson correlations of the accepted particles (posterior.csv). Strong negative "
               "values mark ridges: the figures fix a product of two parameters but not each one.")
    paths = save(fig, folder / "charts", "posterior_correlations")
    return ChartFile("posterior_correlations", paths, caption)


def draw_calibration_charts(folder: Path) -> list[ChartFile]:
    """Every calibration chart, and `charts/captions.md`."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    charts = [draw(folder, manifest) for draw in (draw_fit, draw_marginals, draw_correlations)]
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
