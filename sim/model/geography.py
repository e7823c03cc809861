"""Where things are: the northern repatriation points and the Mexican states children come from.

Plain data, no file reading: `sim.inputs.places` reads the planner's CSV files
(`scenarios/places/`) into these records. A run's resources in the north live at the points: a
child handed back at Tijuana uses Tijuana's care unit, officers and shelter beds. The national
levers (`care_units`, `shelters`, officers in the north) are spread over the points in proportion
to the counts the file gives (`spread`: largest remainder, ties to the western point), so a
scenario's `shelters = 23` still works and the national total is always the sum over places.

Without a places file (a model built from `Parameters()` in code), the north is one pooled place,
`POOLED`: children's home states are uniform, their return takes `return_travel_days_near` or
`_far`, and a free phone line is a personal chance of `phone_line_states / 32`, as before places
existed. Every scenario file has a places file (the shipped one by default).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: Mean radius of the Earth, for great-circle distances.
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class RepatriationPoint:
    """A border city where the United States hands children back, with what is stationed there.

    The counts are the point's share of the national levers (see `spread`)."""

    name: str
    share: float  # of the unaccompanied children handed back in the north
    care_units: int
    shelters: int
    officers: int
    latitude: float
    longitude: float


@dataclass(frozen=True)
class StateOfOrigin:
    """A Mexican state children leave from: their share, whether its units have a free phone line
    (F07), and where it is (its capital, for travel times)."""

    name: str
    share: float
    phone_line: bool
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Geography:
    """The northern points, west to east, and the states of origin (empty: uniform, pooled rules)."""

    points: tuple[RepatriationPoint, ...]
    states: tuple[StateOfOrigin, ...] = ()
    #: the files the geography was read from (for the manifest and the brief)
    source: str = field(default="pooled: one national place (no places file)", compare=False)

    @property
    def pooled(self) -> bool:
        """Whether this is the single pooled national place (no coordinates, no states)."""
        return not self.states

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(point.name for point in self.points)


#: The north as one national place: the model without a places file.
POOLED = Geography(points=(RepatriationPoint("northern border", 1.0, 1, 1, 1, math.nan, math.nan),))


def cumulative_shares(shares: list[float]) -> np.ndarray:
    """Cumulative shares for drawing a place by `searchsorted` (side right) on a uniform draw, the
    last one just above 1 (shares sum to 1 within a tolerance, checked when the file is read).
    numpy is imported here only: listing scenarios reads this module and must stay light."""
    import numpy as np

    cumulative = np.cumsum(shares)
    cumulative[-1] = 1.0 + 1e-12  # a draw just below 1 still finds the last place
    return cumulative


def spread(total: int, weights: list[float]) -> list[int]:
    """`total` whole units shared in proportion to `weights` by largest remainder (Hamilton's rule):
    each place gets the whole part of its quota, and the units left go to the largest remainders,
    ties to the earlier (western) place. The parts always sum to `total`. All weights zero: equal
    weights."""
    if not weights:
        return []
    weight_sum = float(sum(weights))
    if weight_sum <= 0:
        weights, weight_sum = [1.0] * len(weights), float(len(weights))
    quotas = [total * w / weight_sum for w in weights]
    parts = [int(math.floor(q + 1e-9)) for q in quotas]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def distance_km(a_latitude: float, a_longitude: float, b_latitude: float, b_longitude: float) -> float:
    """Great-circle distance between two places (haversine)."""
    phi1, phi2 = math.radians(a_latitude), math.radians(b_latitude)
    d_phi, d_lambda = phi2 - phi1, math.radians(b_longitude - a_longitude)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def road_days(km: float, road_distance_factor: float, road_km_per_day: float) -> float:
    """Days by road for a great-circle distance: the road is `road_distance_factor` times longer."""
    return km * road_distance_factor / road_km_per_day


@functools.cache
def travel_days_home(geography: Geography, road_distance_factor: float,
                     road_km_per_day: float) -> tuple[tuple[float, ...], ...]:
    """Days by road from each point (rows) to each state's capital (columns); computed once per
    geography and road speed (every batch of departures asks)."""
    return tuple(tuple(road_days(distance_km(pt.latitude, pt.longitude, st.latitude, st.longitude),
                                 road_distance_factor, road_km_per_day) for st in geography.states)
                 for pt in geography.points)


def travel_days_between_points(geography: Geography, road_distance_factor: float,
                               road_km_per_day: float) -> list[list[float]]:
    """Days by road from each point to each other point (a transfer to another city's shelter)."""
    pts = geography.points
    return [[road_days(distance_km(a.latitude, a.longitude, b.latitude, b.longitude),
                       road_distance_factor, road_km_per_day) for b in pts] for a in pts]


def geography_as_dict(geography: Geography) -> dict:
    """The geography as plain JSON values (NaN coordinates as the text "nan"), for a manifest."""
    def plain(record: object) -> dict:
        return {name: (str(value) if isinstance(value, float) and not math.isfinite(value) else value)
                for name, value in vars(record).items()}
    return {"points": [plain(point) for point in geography.points],
            "states": [plain(state) for state in geography.states], "source": geography.source}


def geography_from_dict(values: dict) -> Geography:
    """The geography `geography_as_dict` wrote."""
    def number(value: object) -> object:
        return float(value) if isinstance(value, str) else value
    points = tuple(RepatriationPoint(**{k: (v if k == "name" else number(v)) for k, v in point.items()})
                   for point in values["points"])
    states = tuple(StateOfOrigin(**{k: (v if k == "name" else number(v)) for k, v in state.items()})
                   for state in values["states"])
    return Geography(points, states, values["source"])
