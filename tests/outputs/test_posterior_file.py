"""`--posterior N` as a planner types it: a bad posterior file is one clear message naming the file,
the line and column, and what is allowed, before anything runs; a good one goes into the result."""

from __future__ import annotations

import json

import pytest

HEADER = "weight,mexican_departures_per_year,share_unaccompanied_south\n"
GOOD = "1,60000,0.7\n2,70000,0.8\n"

CASES = [
    ("an empty file", "", ["is empty", "header"]),
    ("a header and no particle", HEADER, ["no particle"]),
    ("no weight column", "mexican_departures_per_year\n60000\n", ["line 1", "must start with 'weight'"]),
    ("only a weight column", "weight\n1\n", ["line 1", "no parameter column"]),
    ("a misspelt parameter", "weight,mexican_departure_per_year\n1,60000\n",
     ["line 1, column 2 ('mexican_departure_per_year')", "is not a model parameter"]),
    ("a lever", "weight,child_protection_officers\n1,100\n",
     ["column 2 ('child_protection_officers')", "is a lever, not an uncertainty"]),
    ("a parameter twice", "weight,share_unaccompanied_south,share_unaccompanied_south\n1,0.7,0.7\n",
     ["column 3", "appears twice"]),
    ("a share above 1", HEADER + "1,60000,0.7\n1,60000,1.5\n",
     ["line 3, column share_unaccompanied_south", "from 0 to 1", "1.5"]),
    ("a NaN", HEADER + "1,nan,0.7\n", ["line 2, column mexican_departures_per_year", "got NaN"]),
    ("a word for a number", HEADER + "1,many,0.7\n",
     ["line 2, column mexican_departures_per_year", "'many'"]),
    ("a negative weight", HEADER + "1,60000,0.7\n-1,60000,0.7\n",
     ["line 3, column weight", "non-negative"]),
    ("an infinite weight", HEADER + "inf,60000,0.7\n", ["line 2, column weight", "finite non-negative"]),
    ("all weights zero", HEADER + "0,60000,0.7\n0,70000,0.8\n", ["column weight", "every weight is zero"]),
    ("a short line", HEADER + "1,60000\n", ["line 2", "has 2 values", "3 columns"]),
    ("a particle the model refuses with the scenario", "weight,share_leaving_for_work_mexico\n1,0.9\n",
     ["line 2", "this particle", "must not exceed 1"]),
]


@pytest.mark.parametrize(("case", "text", "words"), CASES, ids=[case[0] for case in CASES])
def test_a_bad_posterior_file_is_one_clear_message_before_anything_runs(tmp_path, amparo, baseline_file,
                                                                         case, text, words):
    posterior = tmp_path / "posterior.csv"
    posterior.write_text(text, encoding="utf-8")
    out = tmp_path / "result"
    result = amparo("run", baseline_file, "--posterior", 3, "--posterior-file", posterior, "-r", 2,
                    "--years", 0.05, "-w", 1, "--out", out)
    assert result.exit_code == 1, result.output
    message = result.output.strip().splitlines()
    assert len(message) == 1 and message[0].startswith(f"Error: --posterior-file: {posterior}"), message
    for word in words:
        assert word in message[0], word
    assert not out.exists() and "Traceback" not in result.output


def test_a_missing_posterior_and_a_file_without_a_number_of_draws_are_refused(tmp_path, amparo,
                                                                              baseline_file, root):
    missing = amparo("run", baseline_file, "--posterior", 3, "--posterior-file", tmp_path / "none.csv")
    assert missing.exit_code == 1
    assert "none.csv: no such posterior file; run `amparo calibrate`, or give --posterior-file" \
        in missing.output
    posterior = tmp_path / "posterior.csv"
    posterior.write_text(HEADER + GOOD, encoding="utf-8")
    alone = amparo("compare", baseline_file, root / "scenarios" / "double_officers.toml", "--posterior-file",
                   posterior)
    assert alone.exit_code == 1 and "--posterior-file: give --posterior N too" in alone.output
    one = amparo("run", baseline_file, "--posterior", 1, "--posterior-file", posterior)
    assert one.exit_code == 2 and "--posterior" in one.output  # quantiles need at least two draws


@pytest.mark.slow
def test_run_with_posterior_as_a_planner_types_it(tmp_path, amparo, root, monkeypatch):
    (tmp_path / "calibration").mkdir()
    (tmp_path / "calibration" / "my_posterior.csv").write_text(HEADER + GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = amparo("run", root / "scenarios" / "baseline_2008.toml", "--posterior", 3, "--posterior-file",
                    "calibration/my_posterior.csv", "-r", 2, "--years", 0.05, "-w", 1, "--records", 0,
                    "--out", "result", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["posterior"]["draws"] == 3
    assert summary["posterior"]["file"] == "calibration/my_posterior.csv"
    rows = {row["outcome"]: row for row in summary["outcomes"]}
    repatriated = rows["new_repatriated_north"]
    assert repatriated["draws"] == 3 and repatriated["posterior_low"] <= repatriated["posterior_high"]
    assert "90% with parameters" in result.stderr
    manifest = json.loads((tmp_path / "result" / "manifest.json").read_text())
    assert len(manifest["posterior"]["sha256"]) == 64
    brief = amparo("report", "result", "--out", "brief.html")
    assert brief.exit_code == 0, brief.output
    text = (tmp_path / "brief.md").read_text(encoding="utf-8")
    assert "3 draws from the posterior calibration/my_posterior.csv" in text
