"""docs/model.md stays true to the code, and every parameter cites a real source."""

from __future__ import annotations

import csv
import inspect
import re
from pathlib import Path

import pytest

from sim.model.parameters import parameter_fields
from sim.presentation.parameter_table import END, START, markdown_table

ROOT = Path(__file__).resolve().parents[2]
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


def test_the_daily_schedule_is_numbered_as_in_the_docs():
    from sim.model.amparo_model import AmparoModel

    source = inspect.getsource(AmparoModel.step)
    in_code = [int(n) for n in re.findall(r"# (\d)$", source, flags=re.MULTILINE)]
    section = DOC.read_text(encoding="utf-8").split("## 3. Process overview", 1)[1].split("\n## ", 1)[0]
    in_docs = [int(n) for n in re.findall(r"^(\d)\. ", section, flags=re.MULTILINE)]
    in_docstring = [int(n) for n in re.findall(r"^ +(\d)\. ", source, flags=re.MULTILINE)]
    assert in_code == in_docs == in_docstring == list(range(1, len(in_docs) + 1))
    assert len(in_docs) >= 3
