"""The calibration's priors: the quantities the targets identify (fitted) and the parameters they
leave open (declared), read from `priors.toml`.

Three counts cannot pin down the factors of a product: F01 fixes departures x the share handed back,
F03 the product of Central American departures, apprehension and the unaccompanied share. So the
calibration fits each product as one quantity, and keeps its factors as declared uncertainties drawn
from their priors; the factor named `solve_for` is then whatever makes the product come out.
Reading the file checks every entry: a mistake is one `ScenarioError` naming the file, the key and
what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sim.inputs.input_error import ScenarioError
from sim.inputs.toml_file import MAX_DESCRIPTION_CHARACTERS, read_toml, text_value
from sim.model.parameters import Parameters, check_value, field_by_name

PRIORS_FILE = Path(__file__).resolve().parent / "priors.toml"


@dataclass(frozen=True)
class Prior:
    """One dimension of the calibration: a uniform prior over [low, high].

    A fitted quantity is a model parameter (`product` empty) or the product of `product`'s
    parameters, of which `solve_for` is set from the product; a declared one is a model parameter.
    """

    name: str
    low: float
    high: float
    reason: str
    fitted: bool
    product: tuple[str, ...] = ()
    solve_for: str = ""


@dataclass(frozen=True)
class Priors:
    """Every dimension of the calibration, fitted ones first."""

    dimensions: tuple[Prior, ...]

    @property
    def fitted(self) -> tuple[Prior, ...]:
        return tuple(d for d in self.dimensions if d.fitted)

    @property
    def declared(self) -> tuple[Prior, ...]:
        return tuple(d for d in self.dimensions if not d.fitted)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    def model_values(self, values: Mapping[str, float], defaults: Parameters) -> dict[str, float]:
        """The model parameters given one value of every dimension: declared and single-parameter
        fitted ones as they are, each product's `solve_for` factor as the product over its other
        factors (taken from `values`, or from `defaults` when no dimension gives them)."""
        model = {d.name: float(values[d.name]) for d in self.dimensions if not d.product}
        for quantity in self.fitted:
            if quantity.product:
                others = math.prod(model.get(name, getattr(defaults, name))
                                   for name in quantity.product if name != quantity.solve_for)
                model[quantity.solve_for] = float(values[quantity.name]) / others
        return model

    def quantities(self, parameters: Parameters) -> dict[str, float]:
        """Every dimension's value in a model's parameters (products multiplied out)."""
        return {d.name: (math.prod(getattr(parameters, name) for name in d.product) if d.product
                         else float(getattr(parameters, d.name))) for d in self.dimensions}


def _number(path: Path, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(path, key, f"must be a finite number, got {value!r}")
    return float(value)


def _prior(path: Path, section: str, name: str, entry: object, fields: dict) -> Prior:
    key = f"{section}.{name}"
    fitted = section == "fitted"
    allowed = {"low", "high", "reason"} | ({"product", "solve_for"} if fitted else set())
    if not isinstance(entry, dict):
        raise ScenarioError(path, key, f"must be a table of {', '.join(sorted(allowed))}")
    unknown = set(entry) - allowed
    if unknown:
        raise ScenarioError(path, f"{key}.{sorted(unknown)[0]}", f"is not a key here; allowed: "
                            f"{', '.join(sorted(allowed))}")
    for required in ("low", "high", "reason"):
        if required not in entry:
            raise ScenarioError(path, f"{key}.{required}", "is required")
    low, high = _number(path, f"{key}.low", entry["low"]), _number(path, f"{key}.high", entry["high"])
    if not 0 < low < high:
        raise ScenarioError(path, key, f"needs 0 < low < high, got {low:g} and {high:g}")
    reason = text_value(path, f"{key}.reason", entry["reason"], MAX_DESCRIPTION_CHARACTERS)
    product = entry.get("product", [])
    if not isinstance(product, list) or not all(isinstance(p, str) for p in product):
        raise ScenarioError(path, f"{key}.product", "must be a list of parameter names")
    members = product or [name]
    for member in members:
        if member not in fields:
            raise ScenarioError(path, f"{key}.product" if product else key,
                                f"{member!r} is not a model parameter")
        if fields[member].type != "float":
            raise ScenarioError(path, key, f"{member}: only parameters that take any number can be fitted")
    if not product:
        for bound, value in (("low", low), ("high", high)):
            problem = check_value(name, value)
            if problem:
                raise ScenarioError(path, f"{key}.{bound}", problem)
    solve_for = entry.get("solve_for", "")
    if product:
        if len(product) < 2 or len(set(product)) != len(product):
            raise ScenarioError(path, f"{key}.product", "must name two or more different parameters")
        if solve_for not in product:
            raise ScenarioError(path, f"{key}.solve_for", f"must be one of {', '.join(product)}")
    elif "solve_for" in entry:
        raise ScenarioError(path, f"{key}.solve_for", "belongs to a product only")
    return Prior(name, low, high, reason, fitted, tuple(product), solve_for)


def load_priors(path: Path = PRIORS_FILE) -> Priors:
    """The priors in `path`, checked: names are model parameters (or products of them), ranges inside
    what the model allows, each product's factors other than `solve_for` declared, and no parameter
    both fitted and declared."""
    content = read_toml(path, "file").content
    unknown = set(content) - {"fitted", "declared"}
    if unknown:
        raise ScenarioError(path, sorted(unknown)[0],
                            "is not a section here; allowed: [fitted.NAME], [declared.NAME]")
    fields = field_by_name()
    dimensions: list[Prior] = []
    for section in ("fitted", "declared"):
        table = content.get(section, {})
        if not isinstance(table, dict):
            raise ScenarioError(path, section, f"must be [{section}.NAME] tables")
        dimensions += [_prior(path, section, name, entry, fields) for name, entry in table.items()]
    priors = Priors(tuple(dimensions))
    if not priors.fitted:
        raise ScenarioError(path, "fitted", "names no quantity to fit")
    declared = {d.name for d in priors.declared}
    used: set[str] = set()
    for quantity in priors.fitted:
        members = set(quantity.product or (quantity.name,))
        if members & used:
            raise ScenarioError(path, f"fitted.{quantity.name}", f"shares {sorted(members & used)[0]} with "
                                "another fitted quantity")
        used |= members
        if quantity.name in declared:
            raise ScenarioError(path, f"fitted.{quantity.name}", "is declared as well")
        if quantity.solve_for in declared:
            raise ScenarioError(path, f"declared.{quantity.solve_for}", f"is set from {quantity.name}; "
                                "it cannot be declared")
        missing = [m for m in quantity.product if m != quantity.solve_for and m not in declared]
        if missing:
            raise ScenarioError(path, f"fitted.{quantity.name}.product", f"factor {missing[0]} must be "
                                "declared, with its prior")
    return priors

