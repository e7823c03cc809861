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

from sim.model.geography import POOLED, Geography, geography_from_dict
from sim.model.run_calendar import MONTHS, measured_day_of, parse_date

Kind = Literal["lever", "uncertainty", "setting"]

#: Days in a simulated year.
DAYS_PER_YEAR = 365
#: The most children a year the model follows (`children_per_year`). assumption: forty times the
#: 2008 flow (about 52,500: F01 handed back, F03 via the calibrated departures), far above any
#: flow reported since; a larger flow has no meaning for Mexico's system and would only make a run
#: take hours and many gigabytes (every child is a record, many are agents; see docs/model.md).
MAX_CHILDREN_PER_YEAR = 2_000_000

#: A monthly profile of arrivals: 12 relative values, January to December, with mean 1.
MonthlyProfile = tuple[float, ...]
#: Changes a scenario makes during a run: (date "YYYY" or "YYYY-MM-DD", ((parameter, value), ...)), by date.
TimelineChanges = tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
#: sea01: March 69,394 and April 62,982 of 590,091 repatriations of Mexicans in 2009 (all ages; the
#: same article says minors follow about the same trend, sea02), as multiples of the monthly mean
#: (49,174): 1.4112 and 1.2808. assumption: the other 457,715 are spread evenly over the ten other
#: months, 0.9308 each.
PROFILE_SEA01 = (0.9308, 0.9308, 1.4112, 1.2808, 0.9308, 0.9308, 0.9308, 0.9308, 0.9308, 0.9308,
                 0.9308, 0.9308)
#: How far a profile's mean may be from 1 (rounded values a planner types).
PROFILE_MEAN_TOLERANCE = 0.01
#: The parameters a timeline may change during a run: capacities and arrival volumes. Anything else
#: (rules, switches, durations) holds for the whole run.
TIMELINE_PARAMETERS = ("child_protection_officers", "care_units", "places_per_care_unit", "shelters",
                       "beds_per_shelter", "migration_station_places", "alternative_care_places",
                       "arrival_multiplier", "arrival_multiplier_north", "arrival_multiplier_south",
                       "awareness_campaign_reduction")
#: The latest year a timeline may name, counted from `start_year`.
TIMELINE_MAX_YEARS = 100

#: Mexico's 31 states and its capital, the places of origin of Mexican children.
MEXICAN_STATES: tuple[str, ...] = (
    "Aguascalientes", "Baja California", "Baja California Sur", "Campeche", "Chiapas",
    "Chihuahua", "Ciudad de Mexico", "Coahuila", "Colima", "Durango", "Guanajuato", "Guerrero",
    "Hidalgo", "Jalisco", "Mexico", "Michoacan", "Morelos", "Nayarit", "Nuevo Leon", "Oaxaca",
    "Puebla", "Queretaro", "Quintana Roo", "San Luis Potosi", "Sinaloa", "Sonora", "Tabasco",
    "Tamaulipas", "Tlaxcala", "Veracruz", "Yucatan", "Zacatecas",
)
#: The origins of Central American children.
CENTRAL_AMERICAN_ORIGINS = ("Guatemala", "Honduras", "El Salvador", "Nicaragua", "other")
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

    start_year: int = parameter(
        2008, unit="year", kind="setting", low=1900, high=2100,
        source="assumption: the measured years start on January 1 of this year (the warm-up is the "
               "end of the year before); it dates the months of arrival_profile_* and the timeline",
    )
    timeline: TimelineChanges = parameter(
        (), unit="changes by date", kind="setting",
        source="assumption: none (the scenario's values hold for the whole run). A scenario's "
               "[timeline] section sets capacities and arrival volumes from a date on",
    )

    # --- origin: departures ------------------------------------------------------------------
    mexican_departures_per_year: float = parameter(
        63100.0, unit="children/year", kind="uncertainty", low=0, high=2e6,
        source="F01 / share_of_mexican_departures_returned_by_united_states, F01 counting children "
               "(each once a year), not handovers: 31,550 first crossings / 0.5, so that with the "
               "children handed back again late in one year and counted in the next too, children "
               "repatriated a year equal F01 (calibrated; 64,150 without repeat crossings). At most "
               "2,000,000; with the other flows at most 2,000,000 children followed a year (see "
               "arrival_multiplier)",
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
    share_reunified_handed_back_again: float = parameter(
        0.22, unit="share", kind="uncertainty", low=0, high=0.95,
        source="rep10 (calibrated): 3,397 of 17,772 unaccompanied Mexican children (19.1%) were "
               "repatriated at least twice in 2008; this chance, each time a child comes home, gives "
               "that share in a measured year. At most 0.95 (assumption: at 1 nobody ever stays home)",
    )
    days_home_before_leaving_again_mean: float = parameter(
        30.0, unit="days", kind="uncertainty", low=1, high=365,
        source="assumption: weeks, not months. rep10's repeat crossings fall within one year, and "
               "children recruited to cross again and again (trf02: 38% of Mexican children in a "
               "2013 sample) or sent back to work leave soon; at least a day, then exponential. "
               "The journey back then takes days_abroad_mean",
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
    arrival_multiplier_north: float = parameter(
        1.0, unit="factor", kind="uncertainty", low=0, high=20,
        source="assumption: 1 reproduces 2008; times arrival_multiplier for Mexican departures only, so "
               "that a timeline can follow the northern repatriations of later years (rep13, rep19)",
    )
    arrival_multiplier_south: float = parameter(
        1.0, unit="factor", kind="uncertainty", low=0, high=20,
        source="assumption: 1 reproduces 2008; times arrival_multiplier for Central American departures "
               "only (a timeline's later years: rep17)",
    )
    awareness_campaign_reduction: float = parameter(
        0.0, unit="share of departures", kind="lever", low=0, high=1,
        source="F09 names the campaign but gives no effect; the 2008 campaign is already in the "
               "2008 flows, so 0 here. assumption: an expanded campaign avoids 10% of departures",
    )
    arrival_profile_north: MonthlyProfile = parameter(
        PROFILE_SEA01, unit="relative departures by month", kind="uncertainty",
        source="sea01 (all ages, 2009; minors follow about the same trend, sea02): March 1.41 and "
               "April 1.28 times the mean month; assumption: the other ten months equal (0.93). It "
               "times handovers: a child's month is that of departure plus days_abroad_mean",
    )
    arrival_profile_south: MonthlyProfile = parameter(
        (1.0,) * 12, unit="relative departures by month", kind="uncertainty",
        source="assumption: flat; no source gives the months of Central American children "
               "entering Mexico or being apprehended there",
    )
    share_guatemala: float = parameter(
        0.417, unit="share of Central Americans", kind="uncertainty", low=0, high=1,
        source="rep18: 1,012 of 2,424 unaccompanied foreign minors returned by Mexico (INM, 2012 to "
               "about August), the population that meets Mexico's southern system (not rep03, minors "
               "deported by the United States via the northern border); rep30 (2019): 4,118 of 11,290",
    )
    share_honduras: float = parameter(
        0.361, unit="share of Central Americans", kind="uncertainty", low=0, high=1,
        source="rep18: 875 of 2,424 unaccompanied foreign minors returned by Mexico (2012); rep30 "
               "(2019): 4,836 of 11,290 (not rep04, minors deported by the United States)",
    )
    share_el_salvador: float = parameter(
        0.205, unit="share of Central Americans", kind="uncertainty", low=0, high=1,
        source="rep18: 496 of 2,424 unaccompanied foreign minors returned by Mexico (2012); rep30 "
               "(2019): 1,512 of 11,290 (not rep05, minors deported by the United States)",
    )
    share_nicaragua: float = parameter(
        0.002, unit="share of Central Americans", kind="uncertainty", low=0, high=1,
        source="rep18 with rep30: rep18 leaves 41 of 2,424 (1.7%) to other countries; rep30 splits its "
               "rest 107 Nicaragua to 717 other, so Nicaragua is 13% of that 1.7%. What none of the "
               "shares take is 'other' (1.5%)",
    )

    # --- the children --------------------------------------------------------------------------
    share_unaccompanied_north: float = parameter(
        0.558, unit="share of first crossings", kind="uncertainty", low=0, high=1,
        source="F02 / F01 = 18,129 / 32,075 = 0.565 among children counted a year; 0.558 of first "
               "crossings, since only unaccompanied children cross again and some count in two "
               "years (calibrated with the repeat crossings)",
    )
    share_unaccompanied_south: float = parameter(
        0.675, unit="share", kind="uncertainty", low=0, high=1,
        source="sh03: 67.5% of minors returned by Mexico in 2011-12 were alone (sh02 gives 84.7% "
               "of those identified in 2007: the prior range covers both)",
    )
    share_under_12_unaccompanied_north: float = parameter(
        0.052, unit="share", kind="uncertainty", low=0, high=1,
        source="rep09: 16,855 of 17,772 unaccompanied Mexican minors were 12-17 in 2008 (rep29: 3% "
               "were up to 11 in 2012)",
    )
    share_under_12_accompanied_north: float = parameter(
        0.183, unit="share", kind="uncertainty", low=0, high=1,
        source="rep02 with rep09: 10.9% of all Mexican minors were under 12, 5.2% of the "
               "unaccompanied, which leaves 18.3% of the accompanied",
    )
    share_under_12_south: float = parameter(
        0.204, unit="share", kind="uncertainty", low=0, high=1,
        source="rep15: 778 of 3,805 foreign minors in migration stations were 0-11 (2010; rep30 "
               "gives 3,221 of 11,290, 28.5%, in 2019)",
    )
    share_girls_unaccompanied: float = parameter(
        0.103, unit="share", kind="uncertainty", low=0, high=1,
        source="rep27: 1,004 of 9,719 unaccompanied Mexican minors were girls (2016 proxy; no 2008 "
               "split found). Mexican children only: see share_girls_unaccompanied_south",
    )
    share_girls_unaccompanied_south: float = parameter(
        0.325, unit="share", kind="uncertainty", low=0, high=1,
        source="rep30: 3,671 of 11,290 unaccompanied foreign minors detected by Mexico were girls "
               "(2019 proxy, the caravan years: likely more girls than in 2008, so the prior range "
               "reaches down to the Mexican 10.3% of rep27)",
    )
    share_girls_accompanied: float = parameter(
        0.436, unit="share", kind="uncertainty", low=0, high=1,
        source="rep27: 1,757 of 4,027 accompanied Mexican minors were girls (2016 proxy); used for "
               "accompanied Central Americans too (assumption: families travel with girls and boys "
               "alike; no source splits them)",
    )
    share_15_to_17_among_adolescents: float = parameter(
        0.70, unit="share of those aged 12-17", kind="uncertainty", low=0, high=1,
        source="assumption: no source gives single years of age. Within 12-17, ages 15-17 are "
               "taken as 70% (each of 15, 16, 17 is 23%, each of 12, 13, 14 is 10%), not a uniform "
               "50%: most left to work (rep11: 64%), which older teenagers do, and rep09/rep29 show "
               "the flow is almost all adolescents. Under 12 every age is equally likely",
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
        source="F06 (and F16): 172 officers nationally in 2008; opi01 gives 68 for the March 2008 pilot "
               "(a conflict recorded in calibration/targets.toml; scenarios/officers_pilot_2008.toml)",
    )
    share_officers_north: float = parameter(
        0.5, unit="share", kind="uncertainty", low=0, high=1,
        source="assumption: no source splits officers between borders; half each",
    )
    officer_hours_per_child: float = parameter(
        4.0, unit="officer-hours per child", kind="uncertainty", low=0.1, high=200,
        source="assumption: a sensitive interview of about an hour (F06) plus the case work (forms, a "
               "call to the family or consulate, the handover to DIF), half a working day per child; "
               "exponential. opi05 with opi03 bounds it: the 14,237 children handed back in 2011, all "
               "attended by officers, are 79 a year for each of half the 362 officers, so at most 26 "
               "officer-hours each in a 40-hour week; officers also escort returns and serve the south",
    )
    officer_duty_hours_per_week: float = parameter(
        40.0, unit="hours per officer-week", kind="lever", low=1, high=168,
        source="assumption: officers are federal migration agents (opi03) on a 40-hour week, 8 hours "
               "on 5 days; no source gives their shifts. The pool's hours are spread over the week "
               "(shifts), so a case of officer_hours_per_child keeps an officer busy "
               "officer_hours_per_child / (this / 7) days: 0.7 days, 1.4 children per officer-day",
    )
    shortest_case_share: float = parameter(
        0.25, unit="share of a full case", kind="uncertainty", low=0.01, high=1,
        source="assumption: an officer who takes a case while children wait for officers shortens it to "
               "1 / (1 + children waiting per officer) of its full time, interview included, but never "
               "below this share (about the hour of interview in officer_hours_per_child; 1: never "
               "shortened)",
    )
    share_officers_trained: float = parameter(
        1.0, unit="share of officers", kind="lever", low=0, high=1,
        source="F06: the corps was trained in sensitive interviewing; an untrained officer interviews "
               "as well as a regular agent does (detection_without_officer per full interview)",
    )
    officer_max_wait_days: float = parameter(
        1.0, unit="days", kind="lever", low=0, high=math.inf,
        source="assumption: a child not seen by an officer within a day is screened by a regular "
               "migration agent instead (inf: children always wait for an officer)",
    )
    detection_with_officer: float = parameter(
        0.6, unit="probability", kind="uncertainty", low=0, high=1,
        source="assumption: a trained officer who gives a case its full time detects most hidden "
               "needs (F06: sensitive interviewing); less in a shortened case (see shortest_case_share "
               "and sim/model/stages/screening.py). F12 says detection rose once officers existed: "
               "an outcome to check, not built in",
    )
    detection_without_officer: float = parameter(
        0.15, unit="probability", kind="uncertainty", low=0, high=1,
        source="assumption: regular agents detect few hidden needs (F12 direction); drawn "
               "independently of the officer's detection",
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
    stations_keep_children_separate: bool = parameter(
        False, unit="switch", kind="lever",
        source="det07: a 16-year-old 'spent 14 days detained with adult men'; det09: children kept in "
               "Tapachula's stations for long, unpredictable periods; F21 and F24 ask that detention be "
               "separate from unrelated adults. assumption: not practised in 2008, so time in a station "
               "counts as held with adults (true: stations keep children apart)",
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
        for name in ("arrival_profile_north", "arrival_profile_south", "timeline"):
            value = getattr(self, name)
            if isinstance(value, list | tuple):  # JSON gives lists back: the stored form is tuples
                object.__setattr__(self, name, _as_tuples(value))
        if isinstance(self.geography, dict):  # from JSON (`geography_as_dict`)
            object.__setattr__(self, "geography", geography_from_dict(self.geography))
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
    north = (p.mexican_departures_per_year * p.share_of_mexican_departures_returned_by_united_states
             * p.arrival_multiplier_north)
    south = p.central_american_departures_per_year * p.arrival_multiplier_south
    return ((north + south) * p.arrival_multiplier * (1.0 - p.awareness_campaign_reduction))


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


def _as_tuples(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_as_tuples(item) for item in value)
    return value


def _type_of(f: dataclasses.Field) -> type:
    return {"int": int, "float": float, "bool": bool, "MonthlyProfile": tuple,
            "TimelineChanges": dict}[f.type]


def is_scalar(name: str) -> bool:
    """Whether parameter `name` holds one number or switch (not a profile or a timeline): what
    samplers, sweeps and sliders may vary."""
    return _type_of(field_by_name()[name]) in (int, float, bool)


def describe_allowed(f: dataclasses.Field) -> str:
    """What a field accepts, in words a planner reads in an error message."""
    kind = _type_of(f)
    if kind is tuple:
        return (f"12 numbers, {MONTHS[0]} to {MONTHS[-1]}, each 0 or more, with mean 1 "
                f"(within {PROFILE_MEAN_TOLERANCE:g}): arrivals in each month relative to the mean month")
    if kind is dict:
        return ("a [timeline] section: tables named by a year (2009) or a day (2009-03-27), each setting "
                f"some of {', '.join(TIMELINE_PARAMETERS)}")
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
    if kind is tuple:
        return _profile_problem(f, value)
    if kind is dict:
        return None  # checked with the start year, in validation_problems
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


def _profile_problem(f: dataclasses.Field, value: Any) -> str | None:
    allowed = describe_allowed(f)
    if not isinstance(value, list | tuple) or len(value) != 12:
        count = f"{len(value)} values" if isinstance(value, list | tuple) else repr(value)
        return f"must be {allowed}; got {count}"
    for month, number in zip(MONTHS, value, strict=True):
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number) \
                or number < 0:
            return f"must be {allowed}; {month} is {number!r}"
    mean = sum(value) / 12
    if abs(mean - 1) > PROFILE_MEAN_TOLERANCE:
        return (f"must be {allowed}; the mean is {mean:.4g}: divide each value by {mean:.6g} "
                "(a profile moves arrivals between months, the annual totals stay as calibrated)")
    return None


def timeline_problems(p: Parameters) -> list[str]:
    """Why `p.timeline` is not allowed (empty when it is): dates, names and values."""
    problems = []
    for date, changes in p.timeline:
        try:
            year = parse_date(date)[0]
        except ValueError as error:
            problems.append(str(error))
            continue
        if not p.start_year <= year <= p.start_year + TIMELINE_MAX_YEARS:
            problems.append(f"{date}: a timeline's dates run from the first measured year, start_year = "
                            f"{p.start_year}, to {p.start_year + TIMELINE_MAX_YEARS}")
        for name, value in changes:
            if name not in TIMELINE_PARAMETERS:
                problems.append(f"{date}.{name}: a timeline may change only "
                                f"{', '.join(TIMELINE_PARAMETERS)}; other values hold for the whole run")
                continue
            message = check_value(name, value)
            if message:
                problems.append(f"{date}.{name} {message}")
    return problems


def timeline_phases(p: Parameters) -> list[tuple[int, Parameters]]:
    """(first run day, parameters in force from that day on) for each phase of the run, the first on
    day 0. A change dated on or before the first measured day (January 1 of `start_year`) holds
    from the start, the warm-up included; later changes take effect at the start of their day.
    Changes of one date apply in the order written; each holds until a later date changes it."""
    phases = [(0, p.replace(timeline=()))]
    for date, changes in sorted(p.timeline, key=lambda change: measured_day_of(change[0], p.start_year)):
        measured_day = measured_day_of(date, p.start_year)
        day = p.warmup_days + measured_day if measured_day > 0 else 0
        values = {name: coerce(name, value) for name, value in changes}
        phase = phases[-1][1].replace(**values)
        if day == phases[-1][0]:
            phases[-1] = (day, phase)
        else:
            phases.append((day, phase))
    return phases


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
        "share_el_salvador": ("share_guatemala", "share_honduras", "share_el_salvador", "share_nicaragua"),
        "share_leaving_to_join_family_mexico": ("share_leaving_for_work_mexico",
                                                "share_leaving_to_join_family_mexico"),
        "share_leaving_to_join_family_central_america": (
            "share_leaving_for_work_central_america", "share_leaving_to_join_family_central_america"),
    }
    for key, names in groups.items():
        total = sum(getattr(p, n) for n in names)
        if total > 1 + 1e-9:
            problems.append((key, f"{' + '.join(names)} must not exceed 1, got {total:g}"))
    if p.timeline:
        problems += [("timeline", message) for message in timeline_problems(p)]
        if problems:
            return problems
        try:
            timeline_phases(p)
        except ParameterError as error:
            problems += [("timeline", f"from a date of the timeline on, {name}: {message}")
                         for name, message in error.problems]
    arriving = children_per_year(p)
    if arriving > MAX_CHILDREN_PER_YEAR * (1 + 1e-9):
        problems.append(("arrival_multiplier",
                         "the children followed a year, (mexican_departures_per_year x "
                         "share_of_mexican_departures_returned_by_united_states x "
                         "arrival_multiplier_north + central_american_departures_per_year x "
                         "arrival_multiplier_south) x arrival_multiplier x "
                         f"(1 - awareness_campaign_reduction), must not exceed {MAX_CHILDREN_PER_YEAR:,}, "
                         f"got {arriving:,.0f}"))
    return problems


def coerce(name: str, value: Any) -> Any:
    """The value as the field's own type (an integral float for an int field becomes int)."""
    kind = _type_of(field_by_name()[name])
    if kind is tuple:
        return tuple(float(number) for number in value)
    if kind is int and isinstance(value, float):
        return int(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
