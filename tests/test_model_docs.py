"""docs/model.md stays true to the code, and every parameter cites a real source."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from sim.model.parameters import parameter_fields
from sim.presentation.parameter_table import END, START, markdown_table

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
DOC = ROOT / "docs" / "model.md"


def test_parameter_table_in_the_docs_is_the_generated_one():
    text = DOC.read_text(encoding="utf-8")
    table = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == markdown_table().strip(), "run: python -m sim.presentation.parameter_table docs/model.md"


def test_every_parameter_is_in_the_docs():
    text = DOC.read_text(encoding="utf-8")
    missing = [f.name for f in parameter_fields() if f"`{f.name}`" not in text]
    assert not missing


def _ids(name: str) -> set[str]:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"{path} is not beside this checkout")
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["id"] for row in csv.DictReader(handle)}


def test_every_cited_figure_and_prior_exists():
    figures, priors = _ids("figures.csv"), _ids("priors.csv")
    for f in parameter_fields():
        source = f.metadata["source"]
        for figure in re.findall(r"\bF\d\d\b", source):
            assert figure in figures, (f.name, figure)
        for prior in re.findall(r"\b(?:los|det|rep|sh|cap|opi|trf|asy|sea|tot)\d\d\b", source):
            assert prior in priors, (f.name, prior)


def test_every_parameter_cites_a_source_or_says_it_is_an_assumption():
    for f in parameter_fields():
        source = f.metadata["source"]
        cited = re.search(r"\bF\d\d\b|\b(?:los|det|rep|sh|cap|opi|trf|asy)\d\d\b", source)
        assert cited or "assumption" in source, f.name
        assert f.metadata["unit"], f.name
