"""`amparo rerun` reproduces a comparison folder bit for bit from its manifest, and notices a change."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import cli

ROOT = Path(__file__).resolve().parents[2]


def test_rerun_reproduces_a_comparison_and_notices_a_change(tmp_path):
    out = tmp_path / "comparison"
    files = [str(ROOT / "scenarios" / name) for name in ("baseline_2008.toml", "double_officers.toml")]
    made = CliRunner().invoke(cli.main, ["compare", *files, "-r", "2", "--years", "0.02", "-w", "1", "--out",
                                         str(out)], catch_exceptions=False)
    assert made.exit_code == 0, made.output
    again = CliRunner().invoke(cli.main, ["rerun", str(out), "-w", "1"], catch_exceptions=False)
    assert again.exit_code == 0 and "bit for bit" in again.output
    table = out / "comparison.csv"
    table.write_text(table.read_text().replace(",", ";", 1))
    changed = CliRunner().invoke(cli.main, ["rerun", str(out), "-w", "1"])
    assert changed.exit_code == 1 and "comparison.csv" in changed.output
