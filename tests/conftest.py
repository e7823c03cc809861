"""Shared by every tier: tier markers from the folder a test lives in, and common fixtures.

Tiers (folders): `unit` (one part on its own), `model` (the model's behaviour and invariants),
`experiments` (replications, compare, sweep, sizing, calibration, cluster), `outputs` (result
folders, charts, brief, explorer, the command line as a user types it) and `regression` (numbers
held to earlier code: bit for bit and statistically). `pytest -m unit` runs one tier; `pytest -m
"not slow"` is the fast tier for the edit-test loop; `make test` runs everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
TIERS = ("unit", "model", "experiments", "outputs", "regression")
#: The options that make a command quick enough for a test: 2 replications of 18 days, one worker.
QUICK = ("--replications", "2", "--years", "0.05", "--workers", "1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        tier = Path(item.path).parent.name
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def root() -> Path:
    """The project's folder."""
    return ROOT


@pytest.fixture(scope="session")
def baseline_file() -> Path:
    """The shipped 2008 baseline scenario."""
    return ROOT / "scenarios" / "baseline_2008.toml"


@pytest.fixture()
def amparo():
    """Run the `amparo` command in-process as a user types it; returns click's result."""
    import cli

    def invoke(*args: object):
        return CliRunner().invoke(cli.main, [str(arg) for arg in args])

    return invoke


@pytest.fixture(scope="session")
def small_parameters():
    """A small model (a few thousand children a year, a short warm-up) for quick behaviour tests."""
    from sim.model.parameters import Parameters

    return Parameters(mexican_departures_per_year=3000, central_american_departures_per_year=2000,
                      warmup_days=10)
