"""`amparo report`: result folders of any kind into one self-contained HTML brief and its Markdown twin."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from browser_support import SCREENSHOTS, browser_page, require_browser
from click.testing import CliRunner

import cli
from sim.presentation.report import format_number, parse_captions, read_figures

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline_2008.toml"
NO_DETENTION = ROOT / "scenarios" / "no_detention_unaccompanied.toml"
QUICK = ["--replications", "2", "--years", "0.05", "--workers", "1"]


def invoke(*args: str):
    return CliRunner().invoke(cli.main, [str(arg) for arg in args])


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small run folder and a small comparison folder, made by the commands a user types."""
    folder = tmp_path_factory.mktemp("results")
    run, comparison = folder / "baseline", folder / "comparison"
    for args in (("run", BASELINE, *QUICK, "--out", run),
                 ("compare", BASELINE, NO_DETENTION, *QUICK, "--out", comparison)):
        outcome = invoke(*args)
        assert outcome.exit_code == 0, outcome.output
    return {"run": run, "compare": comparison}


def _calibration_like(folder: Path, complete: bool = True) -> Path:
    """A result of a kind the report does not know: manifest facts, one chart and its caption."""
    from sim.presentation.charts.style import figure, save

    (folder / "charts").mkdir(parents=True)
    fig, ax = figure(3, 2)
    ax.plot([0, 1], [0, 1])
    save(fig, folder / "charts", "fit")
    (folder / "charts" / "captions.md").write_text(
        "# Charts\n\n## fit\n\nfit.png, fit.svg\n\nSimulated against reported returns (F02).\n",
        encoding="utf-8")
    manifest = {"kind": "calibration", "complete": complete, "title": "Fit to the 2008 flows",
                "method": "approximate Bayesian computation", "accepted_draws": 40, "base_seed": 11}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def _images(html: str) -> list[str]:
    return re.findall(r'<img [^>]*src="([^"]*)"', html)


@pytest.mark.slow
def test_report_of_a_run_and_a_comparison_is_one_self_contained_page(results: dict[str, Path],
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "brief.html"
    outcome = invoke("report", results["run"], results["compare"], "--out", out)
    assert outcome.exit_code == 0, outcome.output
    html = out.read_text(encoding="utf-8")
    charts = sorted(results["run"].glob("charts/*.png")) + sorted(results["compare"].glob("charts/*.png"))
    images = _images(html)
    assert len(images) == len(charts) >= 6
    for source in images:  # every image is inside the page, as PNG bytes
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r'(src|href)="(?!data:|#)', html)  # nothing fetched from elsewhere
    # a summary first; key figures in plain words; the methods box; the sources with their quotes
    assert html.index('id="summary"') < html.index("Key figures")
    assert "What changes, against &#39;Baseline 2008&#39;" in html
    assert "Share of unaccompanied children detained:" in html and "percentage points" in html
    assert "Children repatriated by the United States" in html and "32,075 (F01)" in html
    assert "new_repatriated_north" in html  # the outcome's name, small, under its label
    assert "Replications" in html and "base seed 2008" in html
    assert "Calibration used</dt><dd>calibration/calibrated_2008.toml" in html
    assert "None" not in html and str(results["run"].parent) not in html  # no Python None, no local paths
    assert "Protecting Children Migrating Alone" in html  # sources name their document
    # every chart's caption says what its intervals are and where its numbers come from
    assert "Source: comparison.csv." in html and "Source: daily_stocks.csv" in html
    assert html.count("95% confidence interval") >= 3
    assert "_" not in re.search(r'<section class="summary".*?</section>', html, re.S).group(0)
    quote = read_figures()["F01"].quote
    assert quote in html
    # the Markdown twin refers to copies of every chart next to it
    markdown = out.with_suffix(".md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^]]*\]\(([^)]+)\)", markdown)
    assert len(links) == len(charts)
    assert all((out.parent / link).stat().st_size > 0 for link in links)
    assert quote in markdown


def test_a_kind_the_report_does_not_know_still_shows_its_facts_charts_and_captions(tmp_path: Path) -> None:
    folder = _calibration_like(tmp_path / "calibration")
    out = tmp_path / "brief.html"
    outcome = invoke("report", folder, "--out", out)
    assert outcome.exit_code == 0, outcome.output
    html = out.read_text(encoding="utf-8")
    assert "Calibration: Fit to the 2008 flows" in html
    assert "approximate Bayesian computation" in html and "Accepted draws" in html
    assert "Simulated against reported returns (F02)." in html
    assert len(_images(html)) == 1
    assert read_figures()["F02"].quote in html


def test_a_sweep_reports_its_varied_inputs_and_the_spread_of_key_outcomes(tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    folder.mkdir()
    manifest = {"kind": "sweep", "complete": True, "title": "Officers and beds", "design": "grid",
                "points": 3, "replications": 1, "seed": 5, "years": 0.1, "varied": ["shelters"],
                "sweep_file": "scenarios/sweep_officers_beds.toml", "base": "scenarios/baseline_2008.toml"}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "experiments.csv").write_text("point,replication,seed,shelters\n0,0,1,10\n1,0,2,20\n2,0,3,40\n")
    (folder / "outcomes.csv").write_text("point,replication,detention_child_days,share_needs_detected\n"
                                         "0,0,100,0.5\n1,0,300,0.25\n2,0,200,nan\n")
    out = tmp_path / "brief.html"
    outcome = invoke("report", folder, "--out", out)
    assert outcome.exit_code == 0, outcome.output
    html = out.read_text(encoding="utf-8")
    assert "Sweep: Officers and beds" in html and "grid, 3 points, varying shelters" in html
    row = re.search(r"<td>shelters</td>(.*?)</tr>", html).group(1)
    assert re.findall(r">([^<]*)</td>", row) == ["10", "40", "3"]  # lowest, highest, distinct values
    days = r"Days children spent in migration stations<small.*?</small></td>(.*?)</tr>"
    row = re.search(days, html).group(1)
    assert re.findall(r">([^<]*)</td>", row) == ["child-days/year", "100", "200", "300"]  # low, median, high
    row = re.search(r"Share of protection needs detected<small.*?</small></td>(.*?)</tr>", html).group(1)
    assert re.findall(r">([^<]*)</td>", row) == ["share", "25.0%", "37.5%", "50.0%"]  # without the NaN run


def test_an_incomplete_or_missing_result_is_one_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    unfinished = _calibration_like(tmp_path / "unfinished", complete=False)
    out = tmp_path / "brief.html"
    for folder, expected in ((unfinished, "incomplete"), (tmp_path / "nowhere", "no such folder"),
                             (tmp_path, "no manifest.json")):
        outcome = invoke("report", folder, "--out", out)
        assert outcome.exit_code == 1
        assert expected in outcome.output and str(folder) in outcome.output
        assert "Traceback" not in outcome.output
    assert not out.exists() and not out.with_suffix(".md").exists()
    assert not list(tmp_path.glob(".*"))  # no staging left behind


def test_an_existing_report_is_kept_unless_overwrite_is_asked(tmp_path: Path) -> None:
    folder = _calibration_like(tmp_path / "calibration")
    out = tmp_path / "brief.html"
    out.write_text("earlier brief")
    outcome = invoke("report", folder, "--out", out)
    assert outcome.exit_code == 1 and "--overwrite" in outcome.output
    assert out.read_text() == "earlier brief"
    assert invoke("report", folder, "--out", out, "--overwrite").exit_code == 0
    assert "Fit to the 2008 flows" in out.read_text(encoding="utf-8")
    assert invoke("report", folder, "--out", tmp_path / "brief.pdf").exit_code == 1


def test_captions_of_every_chart_format_are_read_without_their_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "captions.md"
    path.write_text("# Charts: Baseline\n\nstamp line\n\n## flows\n\n![flows](flows.png)\n\nBars are means.\n"
                    "Whiskers are 95% intervals.\n\nFiles: flows.png, flows.svg\n\n## differences\n\n"
                    "differences.png, differences.svg\n\nPaired differences.\n", encoding="utf-8")
    assert parse_captions(path) == {"flows": "Bars are means. Whiskers are 95% intervals.",
                                    "differences": "Paired differences."}


@pytest.mark.parametrize(("value", "unit", "signed", "expected"), [
    ("0.5652", "share", False, "56.5%"), ("32075", "children/year", False, "32,075"),
    ("-12.34", "days", True, "-12.3"), ("0.00123", "days", False, "0.00123"), ("nan", "days", False, "n/a"),
    ("inf", "days", False, "∞"), ("0", "days", True, "+0"), ("", "share", False, "n/a"),
    ("-0.826", "share", True, "-82.6 pp"),
])
def test_numbers_read_as_a_planner_expects(value: str, unit: str, signed: bool, expected: str) -> None:
    assert format_number(value, unit, signed) == expected


@pytest.mark.slow
def test_the_report_opens_offline_in_a_browser_with_every_image(results: dict[str, Path],
                                                                 tmp_path: Path) -> None:
    require_browser()
    out = tmp_path / "brief.html"
    command = [sys.executable, str(ROOT / "cli.py"), "report", str(results["compare"]), str(results["run"]),
               "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    with browser_page(1200, 900) as page:
        page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(("file:", "data:"))
                   else route.continue_())  # offline: anything from the network would fail
        page.goto(out.as_uri())
        page.wait_for_load_state("load")
        images = page.locator("img")
        assert images.count() >= 6
        sizes = images.evaluate_all("all => all.map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
        assert all(complete and width > 100 and height > 100 for complete, width, height in sizes), sizes
        assert page.get_by_role("heading", name="Sources").is_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "report.png"), full_page=True)
        assert not page.errors, page.errors
    assert (SCREENSHOTS / "report.png").stat().st_size > 10_000


#: A4 less the brief's print margins (12 mm each side), in CSS pixels (96 per inch).
A4_CONTENT_WIDTH = round((210 - 2 * 12) / 25.4 * 96)
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('table, img, figure, aside, pre, h1, h2, h3, p, li')]
    .filter(el => el.getBoundingClientRect().right > width + 1 || el.scrollWidth > el.clientWidth + 1)
    .map(el => el.tagName + ': ' + (el.textContent || el.alt || '').slice(0, 60));
}"""


@pytest.mark.slow
def test_a_three_scenario_brief_prints_on_a4_and_reads_on_a_phone(tmp_path: Path) -> None:
    require_browser()
    comparison = tmp_path / "three"
    surge = ROOT / "scenarios" / "surge.toml"
    outcome = invoke("compare", BASELINE, NO_DETENTION, surge, *QUICK, "--out", comparison)
    assert outcome.exit_code == 0, outcome.output
    out = tmp_path / "brief.html"
    assert invoke("report", comparison, "--out", out).exit_code == 0
    pdf = tmp_path / "brief.pdf"
    with browser_page(A4_CONTENT_WIDTH, 1000) as page:
        page.goto(out.as_uri())
        page.emulate_media(media="print")
        assert page.evaluate(OVERFLOWING) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= A4_CONTENT_WIDTH
        page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True, print_background=True)
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        assert page.evaluate(OVERFLOWING) == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 900, "height": 1270})
        page.screenshot(path=str(SCREENSHOTS / "brief-first-page.png"))
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    print(f"\nA4 PDF of a 3-scenario brief: {pages} pages")
    assert 2 <= pages <= 20
