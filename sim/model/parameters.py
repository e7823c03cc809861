"""The one home of every model parameter: value, unit, source and allowed range.

Each field says where its default comes from: a figure id from `shared/reference/figures.csv`
(F01…), a prior row from `shared/reference/priors.csv` (los03, det02, …) or "assumption:" with
the reasoning. Scenario files use exactly these names. Fields are grouped by stage.

Kinds follow the EMA Workbench vocabulary: a *lever* is what a planner decides, an
*uncertainty* is what nobody knows exactly, a *setting* controls the simulation itself.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from sim.model.geography import POOLED, Geography

Kind = Literal["lever", "uncertainty", "setting"]

#: Days in a simulated year.
DAYS_PER_YEAR = 365
#: The most children a year the model follows (`children_per_year`). assumption: forty times the
#: 2008 flow (about 52,500: F01 handed back, F03 via the calibrated departures), far above any
#: flow reported since; a larger flow has no meaning for Mexico's system and would only make a run
#: take hours and many gigabytes (every child is a record, many are agents; see docs/model.md).
MAX_CHILDREN_PER_YEAR = 2_000_000

#: Mexico's 31 states and its capital, the places of origin of Mexican children.
MEXICAN_STATES: tuple[str, ...] = (
    "Aguascalientes", "Baja California", "Baja California Sur", "Campeche", "Chiapas",
    "Chihuahua", "Ciudad de Mexico", "Coahuila", "Colima", "Durango", "Guanajuato", "Guerrero",
    "Hidalgo", "Jalisco", "Mexico", "Michoacan", "Morelos", "Nayarit", "Nuevo Leon", "Oaxaca",
    "Puebla", "Queretaro", "Quintana Roo", "San Luis Potosi", "Sinaloa", "Sonora", "Tabasco",
    "Tamaulipas", "Tlaxcala", "Veracruz", "Yucatan", "Zacatecas",
)
#: The origins of Central American children.
CENTRAL_AMERICAN_ORIGINS = ("Guatemala", "Honduras", "El Salvador", "other")
#: Every origin a child can have; a child's origin code is its index here.
ORIGINS: tuple[str, ...] = MEXICAN_STATES + CENTRAL_AMERICAN_ORIGINS
#: The six states on the northern border: children from these live near the border (rep26).
NORTHERN_BORDER_STATES: frozenset[str] = frozenset(
    {"Baja California", "Sonora", "Chihuahua", "Coahuila", "Nuevo Leon", "Tamaulipas"}
)


def parameter(
    default: Any,
    *,
    unit: str,
    source: str,
    kind: Kind,
    low: float | None = None,
    high: float | None = None,
) -> Any:
    """A dataclass field carrying its unit, source, kind and inclusive range."""
    return field(default=default, metadata={"unit": unit, "source": source, "kind": kind,
                                            "low": low, "high": high})


@dataclass(frozen=True)
class Parameters:
    """All inputs of one simulation. Frozen: a scenario is a new object, never a mutation."""

    # --- simulation --------------------------------------------------------------------------
    warmup_days: int = parameter(
        90, unit="days", kind="setting", low=0, high=365,
        source="assumption: the system starts empty; 90 days is longer than all but the rarest "
               "stays (detention is capped at 90 days, det04), so measured years start in a "
               "steady state. At most a year, as long as the longest mean stay allowed: a longer "
               "warm-up adds only run time and memory",
    )

    # --- origin: departures ------------------------------------------------------------------
    mexican_departures_per_year: float = parameter(
        64150.0, unit="children/year", kind="uncertainty", low=0, high=2e6,
        source="F01 / share_of_mexican_departures_returned_by_united_states: 32,075 / 0.5, so that "
               "repatriations from the United States equal F01. At most 2,000,000; with the other flows "
               "at most 2,000,000 children followed a year (see arrival_multiplier)",
    )
    days_abroad_mean: float = parameter(
        14.0, unit="days", kind="uncertainty", low=0, high=365,
        source="assumption: from leaving home to being handed back at the northern border "
               "(journey plus United States custody); exponential. Only timing depends on it",
    )
    share_of_mexican_departures_returned_by_united_states: float = parameter(
        0.5, unit="share", kind="uncertainty", low=0.01, high=1,
        source="assumption: no source gives the share of Mexican children apprehended and "
               "returned by the United States; only departures x this share is identified by F01",
    )
    central_american_departures_per_year: float = parameter(
        19700.0, unit="children/year", kind="uncertainty", low=0, high=2e6,
        source="F03 via share_unaccompanied_south and share_apprehended_in_transit: set so that "
               "unaccompanied returns south equal F03 (4,314). At most 2,000,000; with the other flows "
               "at most 2,000,000 children followed a year (see arrival_multiplier)",
    )
    arrival_multiplier: float = parameter(
        1.0, unit="factor", kind="uncertainty", low=0, high=20,
        source="assumption: 1 reproduces 2008; a surge scenario raises it (1.5 = arrivals +50%). "
               "The children followed a year (handed back by the United States plus entering Mexico, "
               "times this factor) may not exceed 2,000,000: forty times 2008 (assumption), beyond "
               "any flow on record; more only makes a run take hours and gigabytes",
    )
    awareness_campaign_reduction: float = parameter(
        0.0, unit="share of departures", kind="lever", low=0, high=1,
        source="F09 names the campaign but gives no effect; the 2008 campaign is already in the "
               "2008 flows, so 0 here. assumption: an expanded campaign avoids 10% of departures",
    )
    share_guatemala: float = parameter(
        0.378, unit="share of Central Americans", kind="uncertainty", low=0, high=1,
        source="rep03: 1,780 of 4,706 Central American minors (Jan-Oct 2008)",
    )
    share_honduras: float = parameter(
        0.455, unit="share of Central Americans", kind="uncertainty", low=0, high=1,
        source="rep04: 2,142 of 4,706 Central American minors (Jan-Oct 2008)",
    )
    share_el_salvador: float = parameter(
        0.166, unit="share of Central Americans", kind="uncertainty", low=0, high=1,
        source="rep05: 779 of 4,706 Central American minors (Jan-Oct 2008); the rest is 'other'",
    )

    # --- the children --------------------------------------------------------------------------
    share_unaccompanied_north: float = parameter(
        0.5652, unit="share", kind="uncertainty", low=0, high=1,
        source="F02 / F01 = 18,129 / 32,075",
    )
    share_unaccompanied_south: float = parameter(
        0.675, unit="share", kind="uncertainty", low=0, high=1,
        source="sh03: 67.5% of minors returned by Mexico in 2011-12 were alone (sh02 gives 84.7% "
               "of those identified in 2007: the prior range covers both)",
    )
    share_under_12_unaccompanied_north: float = parameter(
        0.052, unit="share", kind="uncertainty", low=0, high=1,
        source="rep09: 16,855 of 17,772 unaccompanied Mexican minors were 12-17 in 2008",
    )
    share_under_12_accompanied_north: float = parameter(
        0.183, unit="share", kind="uncertainty", low=0, high=1,
        source="rep02 with rep09: 10.9% of all Mexican minors were under 12, 5.2% of the "
               "unaccompanied, which leaves 18.3% of the accompanied",
    )
    share_under_12_south: float = parameter(
        0.204, unit="share", kind="uncertainty", low=0, high=1,
        source="rep15: 778 of 3,805 foreign minors in migration stations were 0-11 (2010)",
    )
    share_girls_unaccompanied: float = parameter(
        0.103, unit="share", kind="uncertainty", low=0, high=1,
        source="rep27: 1,004 of 9,719 unaccompanied Mexican minors were girls (2016 proxy)",
    )
    share_girls_accompanied: float = parameter(
        0.436, unit="share", kind="uncertainty", low=0, high=1,
        source="rep27: 1,757 of 4,027 accompanied Mexican minors were girls (2016 proxy)",
    )
    share_leaving_for_work_mexico: float = parameter(
        0.64, unit="share", kind="uncertainty", low=0, high=1,
        source="rep11: 64% of unaccompanied Mexican minors left to find work (2008)",
    )
    share_leaving_to_join_family_mexico: float = parameter(
        0.20, unit="share", kind="uncertainty", low=0, high=1,
        source="rep11: 20% left to join family (2008); the rest escape violence or exploitation",
    )
    share_leaving_for_work_central_america: float = parameter(
        0.50, unit="share", kind="uncertainty", low=0, high=1,
        source="assumption: below Mexico's 64% (rep11) because violence drives more departures "
               "from Central America",
    )
    share_leaving_to_join_family_central_america: float = parameter(
        0.20, unit="share", kind="uncertainty", low=0, high=1,
        source="assumption: as for Mexico (rep11); the remaining 30% escape violence",
    )
    share_trafficking_victims_at_departure: float = parameter(
        0.02, unit="share", kind="uncertainty", low=0, high=1,
        source="assumption: trf01 counts 'more than a hundred' of 17,772 (0.6%) in smuggling "
               "alone; trafficking and exploitation together are set at 2%",
    )
    share_in_need_of_protection_among_violence: float = parameter(
        0.10, unit="share", kind="uncertainty", low=0, high=1,
        source="assumption: share of Central American children escaping violence who qualify "
               "for international protection; with detection it gives asylum claims of the "
               "order of asy01 (59-72 a year in 2013-14)",
    )

    # --- transit through Mexico ------------------------------------------------------------
    transit_days_mean: float = parameter(
        30.0, unit="days", kind="uncertainty", low=1, high=365,
        source="assumption: the overland journey from the Guatemalan border to the United States "
               "takes weeks; exponential around this mean",
    )
    share_apprehended_in_transit: float = parameter(
        0.35, unit="share", kind="uncertainty", low=0, high=1,
        source="assumption: no source gives the apprehension probability; only departures x "
               "this share is identified by F03",
    )
    share_harmed_in_transit: float = parameter(
        0.10, unit="share", kind="uncertainty", low=0, high=1,
        source="assumption: chance of harm or exploitation over a full transit without Beta "
               "Group presence; harmed children become exploitation victims",
    )
    beta_group_offices: int = parameter(
        20, unit="offices", kind="lever", low=0, high=1000,
        source="F17: 20 Beta Group offices",
    )
    harm_reduction_per_beta_office: float = parameter(
        0.01, unit="share per office", kind="uncertainty", low=0, high=0.05,
        source="assumption: each office lowers the daily risk of harm by 1% (20 offices: 20%)",
    )

    # --- child protection officers ---------------------------------------------------------
    child_protection_officers: int = parameter(
        172, unit="officers", kind="lever", low=0, high=100000,
        source="F06 (and F16): 172 officers nationally",
    )
    share_officers_north: float = parameter(
        0.5, unit="share", kind="uncertainty", low=0, high=1,
        source="assumption: no source splits officers between borders; half each",
    )
    interview_days_mean: float = parameter(
        1.0, unit="officer-days per child", kind="uncertainty", low=0.01, high=30,
        source="assumption: interview plus case work; opi05 implies about 39 children per "
               "officer-year in 2011, so officers also carry other duties; exponential",
    )
    officer_max_wait_days: float = parameter(
        1.0, unit="days", kind="lever", low=0, high=math.inf,
        source="assumption: a child not seen by an officer within a day is screened by a regular "
               "migration agent instead (inf: children always wait for an officer)",
    )
    detection_with_officer: float = parameter(
        0.6, unit="probability", kind="uncertainty", low=0, high=1,
        source="assumption: trained officers detect most hidden needs (F06: sensitive "
               "interviewing); F12 says detection rose once they existed",
    )
    detection_without_officer: float = parameter(
        0.15, unit="probability", kind="uncertainty", low=0, high=1,
        source="assumption: regular agents detect few hidden needs (F12 direction)",
    )

    # --- northern border: care units, shelters -------------------------------------------------
    care_units: int = parameter(
        4, unit="units", kind="lever", low=0, high=1000, source="F04: 4 special care units",
    )
    places_per_care_unit: int = parameter(
        15, unit="places", kind="lever", low=0, high=10000,
        source="assumption: a unit next to a migration office holds a dozen or so children at once",
    )
    care_days_mean: float = parameter(
        0.5, unit="days", kind="uncertainty", low=0.01, high=30,
        source="assumption: medical care, food, rest and a call home take hours (F04); exponential",
    )
    accompanied_processing_days: float = parameter(
        0.25, unit="days", kind="uncertainty", low=0, high=30,
        source="assumption: accompanied children are handed over with their family within hours",
    )
    share_family_pickup_at_border: float = parameter(
        0.3, unit="share", kind="uncertainty", low=0, high=1,
        source="los02: 'up to 60%' of unaccompanied children are reunited within hours; "
               "assumption: half that bound",
    )
    shelters: int = parameter(
        27, unit="shelters", kind="lever", low=0, high=10000,
        source="F05: 27 transitory shelters in 2008 (F15 gives 23 in 2010)",
    )
    beds_per_shelter: int = parameter(
        20, unit="beds", kind="lever", low=0, high=10000,
        source="assumption: cap08 (24 beds) and cap09 (10-40 beds) bracket a typical shelter",
    )
    family_contact_days_mean: float = parameter(
        3.0, unit="days", kind="uncertainty", low=0.01, high=365,
        source="los03 (48-72 h at most for nationals), los04 (at most 5 days), los05 (1-3 days "
               "locally): mean 3 days; lognormal with sigma 0.8 (assumption)",
    )
    phone_line_states: int = parameter(
        21, unit="states", kind="lever", low=0, high=32,
        source="F07: free phone lines in units in 21 of the 32 states",
    )
    phone_line_contact_factor: float = parameter(
        0.5, unit="factor", kind="uncertainty", low=0, high=1,
        source="assumption: a free call halves the time to reach the family",
    )
    free_flights: bool = parameter(
        False, unit="switch", kind="lever",
        source="F08: free flights were under negotiation in 2009, so off for 2008",
    )
    return_travel_days_near: float = parameter(
        0.5, unit="days", kind="uncertainty", low=0, high=60,
        source="assumption: children from the six border states reach home the same day",
    )
    return_travel_days_far: float = parameter(
        2.0, unit="days", kind="uncertainty", low=0, high=60,
        source="assumption: escorted overland return to an inland state; los05 says transfers "
               "home 'can take up to 30 days' in the worst cases",
    )
    return_travel_days_by_flight: float = parameter(
        0.5, unit="days", kind="uncertainty", low=0, high=60,
        source="assumption: a flight home takes a day at most (F08: 'quickest return'); with "
               "free flights a child flies when the road home takes longer",
    )
    road_distance_factor: float = parameter(
        1.3, unit="factor", kind="uncertainty", low=1, high=3,
        source="assumption: Mexican roads between the border and the state capitals run about 30% "
               "longer than the straight (great-circle) line between the places' coordinates",
    )
    road_km_per_day: float = parameter(
        720.0, unit="km/day", kind="uncertainty", low=50, high=2000,
        source="assumption: an escorted bus journey at 60 km/h for 12 hours a day; gives the "
               "return home from each repatriation point to each state, and a transfer between "
               "points (with a places file; los05: returns 'can take up to 30 days' at worst)",
    )

    # --- southern route: detention, alternatives, return ----------------------------------------
    migration_station_places: int = parameter(
        150, unit="places for children", kind="lever", low=0, high=100000,
        source="assumption: cap01 (Tapachula holds 960 of all ages) with minors 6.5% of the "
               "detained (rep16) across 48 stations (cap03)",
    )
    alternative_care_places: int = parameter(
        40, unit="places", kind="lever", low=0, high=100000,
        source="assumption: DIF shelters and foster places in the south; cap09 (80 places in "
               "Tapachula, 2021) was larger than 2008",
    )
    detain_unaccompanied: bool = parameter(
        True, unit="switch", kind="lever",
        source="los08: in practice adolescents alone were held in stations in 2008; F22 and F24 "
               "say they should not be",
    )
    detain_accompanied: bool = parameter(
        True, unit="switch", kind="lever",
        source="assumption: families were held in migration stations in 2008 (cap04, rep21)",
    )
    shelter_age_limit_south: int = parameter(
        11, unit="years", kind="lever", low=-1, high=17,
        source="los07, los08: DIF took unaccompanied foreign children aged 11 or under; older "
               "ones went to stations (-1: nobody goes to alternative care by age)",
    )
    detention_last_resort: bool = parameter(
        False, unit="switch", kind="lever",
        source="F22, F24 recommend it; assumption: not practised in 2008",
    )
    max_detention_days: float = parameter(
        90.0, unit="days", kind="lever", low=0, high=math.inf,
        source="det04: 2007 INM norm, 90 days at most (F19 gives 6 months in Lithuania)",
    )
    max_days_waiting_in_holding: float = parameter(
        7.0, unit="days", kind="lever", low=0, high=math.inf,
        source="cap05: provisional stays may hold people 48 hours (type A) or 7 days (type B) at "
               "most; a child waiting that long in holding for a care-unit, station, "
               "alternative-care or shelter place goes on without it (inf: waits without limit)",
    )
    return_arrangement_days_mean: float = parameter(
        7.0, unit="days", kind="uncertainty", low=0.01, high=365,
        source="det02, det03: return takes hours to two weeks, often days; mean 7 days, "
               "lognormal with sigma 0.8 (assumption)",
    )
    protection_route_days_mean: float = parameter(
        30.0, unit="days", kind="uncertainty", low=0.01, high=365,
        source="assumption: specialised care for a victim, or an asylum claim, takes about a month. "
               "At most a year on average, like every other stay: a longer mean outlasts any warm-up "
               "allowed, so no measured year would be in a steady state",
    )

    # --- where: the places of the north (not a scenario key: read from the places files) -------
    geography: Geography = field(default=POOLED, metadata={"kind": "geography"})

    def __post_init__(self) -> None:
        problems = validation_problems(self)
        if problems:
            raise ParameterError(problems)

    def replace(self, **changes: Any) -> Parameters:
        """A copy with some values changed (validated)."""
        return dataclasses.replace(self, **changes)

    # --- derived quantities ----------------------------------------------------------------
    @property
    def officers_north(self) -> int:
        """Officers at the northern border (rounded; the rest serve the south)."""
        return round(self.child_protection_officers * self.share_officers_north)

    @property
    def officers_south(self) -> int:
        return self.child_protection_officers - self.officers_north

    @property
    def care_unit_places(self) -> int:
        return self.care_units * self.places_per_care_unit

    @property
    def shelter_beds(self) -> int:
        return self.shelters * self.beds_per_shelter


def children_per_year(p: Parameters | Any) -> float:
    """Children a year who meet Mexico's protection system or cross Mexico, each one a record and
    many an agent: Mexican children handed back by the United States and Central American children
    entering Mexico, as scaled by the multiplier and the campaign (the rest are only counted).
    `p` is any object with those parameters as attributes."""
    return ((p.mexican_departures_per_year * p.share_of_mexican_departures_returned_by_united_states
             + p.central_american_departures_per_year)
            * p.arrival_multiplier * (1.0 - p.awareness_campaign_reduction))


class ParameterError(ValueError):
    """One or more parameter values are outside what the model allows."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))


def parameter_fields() -> tuple[dataclasses.Field, ...]:
    """The fields of `Parameters` a scenario sets by name, in declaration order (not the geography,
    which comes from the places files)."""
    return tuple(f for f in dataclasses.fields(Parameters) if f.metadata["kind"] != "geography")


def field_by_name() -> dict[str, dataclasses.Field]:
    return {f.name: f for f in parameter_fields()}


def _type_of(f: dataclasses.Field) -> type:
    return {"int": int, "float": float, "bool": bool}[f.type]


def describe_allowed(f: dataclasses.Field) -> str:
    """What a field accepts, in words a planner reads in an error message."""
    kind = _type_of(f)
    if kind is bool:
        return "true or false"
    low, high = f.metadata["low"], f.metadata["high"]
    noun = "a whole number" if kind is int else "a number"
    if low is not None and high is not None:
        return f"{noun} from {low:g} to {high:g} ({f.metadata['unit']})"
    return f"{noun} ({f.metadata['unit']})"


def check_value(name: str, value: Any) -> str | None:
    """Why `value` is not allowed for parameter `name`, or None when it is."""
    fields = field_by_name()
    if name not in fields:
        return "is not a model parameter"
    f = fields[name]
    kind = _type_of(f)
    if kind is bool:
        return None if isinstance(value, bool) else f"must be {describe_allowed(f)}, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be {describe_allowed(f)}, got {value!r}"
    if kind is int and not (isinstance(value, int) or (math.isfinite(value) and value == int(value))):
        return f"must be {describe_allowed(f)}, got {value!r}"
    if isinstance(value, float) and math.isnan(value):
        return f"must be {describe_allowed(f)}, got NaN"
    low, high = f.metadata["low"], f.metadata["high"]
    if (low is not None and value < low) or (high is not None and value > high):
        return f"must be {describe_allowed(f)}, got {value!r}"
    return None


def validation_problems(p: Parameters) -> list[tuple[str, str]]:
    """Every (name, message) that makes `p` invalid, including combinations of fields."""
    problems = []
    for f in parameter_fields():
        message = check_value(f.name, getattr(p, f.name))
        if message:
            problems.append((f.name, message))
    if problems:
        return problems
    groups = {
        "share_el_salvador": ("share_guatemala", "share_honduras", "share_el_salvador"),
        "share_leaving_to_join_family_mexico": ("share_leaving_for_work_mexico",
                                                "share_leaving_to_join_family_mexico"),
        "share_leaving_to_join_family_central_america": (
            "share_leaving_for_work_central_america", "share_leaving_to_join_family_central_america"),
    }
    for key, names in groups.items():
        total = sum(getattr(p, n) for n in names)
        if total > 1 + 1e-9:
            problems.append((key, f"{' + '.join(names)} must not exceed 1, got {total:g}"))
    arriving = children_per_year(p)
    if arriving > MAX_CHILDREN_PER_YEAR * (1 + 1e-9):
        problems.append(("arrival_multiplier",
                         "the children followed a year, (mexican_departures_per_year x "
                         "share_of_mexican_departures_returned_by_united_states + "
                         "central_american_departures_per_year) x arrival_multiplier x "
                         f"(1 - awareness_campaign_reduction), must not exceed {MAX_CHILDREN_PER_YEAR:,}, "
                         f"got {arriving:,.0f}"))
    return problems


def coerce(name: str, value: Any) -> Any:
    """The value as the field's own type (an integral float for an int field becomes int)."""
    kind = _type_of(field_by_name()[name])
    if kind is int and isinstance(value, float):
        return int(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
