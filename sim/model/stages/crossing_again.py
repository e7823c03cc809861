"""Crossing again: an unaccompanied Mexican child reunified after a repatriation may leave again.

rep10: 3,397 of the 17,772 unaccompanied Mexican children repatriated in 2008 were repatriated at
least twice; INM's 34,083 (tot01) counts handovers, not children. So a child who comes home from
the northern border (reunified: picked up at the border, or home after family contact) leaves
again with probability `share_reunified_handed_back_again` and is handed back again; they stay
home at least a day, `days_home_before_leaving_again_mean` on average (one day plus an exponential
rest), and the journey back takes `days_abroad_mean` as the first one did. Each crossing is a new
record (`child_id`) of the same child: `person_id` (the first crossing's `child_id`) and who they
are (origin, age, sex, reason, hidden needs) carry over, `crossing` counts up. Every crossing has
its own stage entries, visits and exit, so every table keeps one journey per record.

One rule, written once, for the border child by child and the border in bulk: each tells
`came_home` who came home and when, on the day the child leaves custody (the journey home then
holds no place and nothing can change it). Whether and when the child leaves again, and every
personal draw of the next crossing, are a function of (run seed, child, crossing) alone
(`sim.model.random_streams.RandomStreams.keyed`; the child is known by when they first left home,
which, unlike an id, is the same in every scenario that keeps the child: common random numbers),
not of the order children come home in; the
children who came home on a day set off at the start of the next, in the order of their ids,
so both paths give the same records, ids included (`tests/regression/test_northern_border_in_bulk.py`).
A child spends at least a day at home, so no departure is drawn for a day already under way.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.model.codes import N_CHANCES, N_NORMALS, WHO_COLUMNS, Chance, Route
from sim.model.departures import Departures
from sim.model.durations import exponential_days
from sim.model.geography import cumulative_shares
from sim.model.ledger import Ledger
from sim.model.parameters import Parameters
from sim.model.random_streams import RandomStreams

#: assumption: no child is followed over more than this many crossings (far above anything
#: reported; it keeps the crossing count within its column's type whatever the parameters).
MAX_CROSSINGS = 100
#: The columns of a child's keyed draws: whether and when they leave again, then the next
#: crossing's chances, then two uniforms per standard normal (Box-Muller).
_AGAIN, _DAYS_HOME = 0, 1
_CHANCES = slice(2, 2 + N_CHANCES)
_NORMALS = slice(2 + N_CHANCES, 2 + N_CHANCES + 2 * N_NORMALS)
_N_KEYED = 2 + N_CHANCES + 2 * N_NORMALS
_PERSON, _CROSSING, _FIRST_DEPARTED = (WHO_COLUMNS.index(name)
                                       for name in ("person_id", "crossing", "first_departed_at"))

SetOff = Callable[[Departures], None]


class CrossingAgain:
    """The children who came home from the northern border and may set off again."""

    def __init__(self, p: Parameters, streams: RandomStreams, ledger: Ledger, end_day: int,
                 abroad: SetOff) -> None:
        """`abroad` receives a batch of children who left again (the northern border's `expect`)."""
        self.share_again = p.share_reunified_handed_back_again
        self.days_home_mean = p.days_home_before_leaving_again_mean
        self.days_abroad_mean = p.days_abroad_mean
        self.streams = streams
        self.ledger = ledger
        self.end_day = end_day
        self.abroad = abroad
        # each crossing is handed back at a point drawn from the shares, with that crossing's draw
        self._point_cumulative = cumulative_shares([point.share for point in p.geography.points])
        self._who: list[np.ndarray] = []  # who came home (rows of `WHO_COLUMNS`), not yet decided
        self._home_at: list[np.ndarray] = []
        self._one_who: list[tuple] = []  # the same, one child at a time
        self._one_home_at: list[float] = []

    @property
    def active(self) -> bool:
        return self.share_again > 0

    def came_home(self, who: np.ndarray, home_at: np.ndarray) -> None:
        """Children reunified from the north (`who`: one row of `WHO_COLUMNS` each) reach home at
        `home_at`; told on the day they leave custody."""
        if self.active and home_at.size:
            self._who.append(who)
            self._home_at.append(home_at)

    def came_home_one(self, who: tuple, home_at: float) -> None:
        """One child reunified from the north reaches home at `home_at` (see `came_home`)."""
        if self.active:
            self._one_who.append(who)
            self._one_home_at.append(home_at)

    def set_off(self) -> None:
        """The children who came home before today decide whether to leave again; those who do
        are sent abroad (the start of a day, before anything else happens in it)."""
        if self._one_who:
            self._who.append(np.array(self._one_who, dtype=float))
            self._home_at.append(np.array(self._one_home_at))
            self._one_who, self._one_home_at = [], []
        if not self._who:
            return
        who, home_at = np.concatenate(self._who), np.concatenate(self._home_at)
        self._who, self._home_at = [], []
        person = who[:, _PERSON].astype(np.int64)
        crossing = who[:, _CROSSING].astype(np.int64)
        # keyed by when the child first left (ids shift between scenarios, that time does not)
        first_left = np.ascontiguousarray(who[:, _FIRST_DEPARTED]).view(np.uint64)
        draws = self.streams.keyed("crossing again", first_left, crossing, _N_KEYED)
        days_home = 1.0 + exponential_days(max(self.days_home_mean - 1.0, 0.0), draws[:, _DAYS_HOME])
        departs_at = home_at + days_home
        again = ((draws[:, _AGAIN] < self.share_again) & (crossing < MAX_CROSSINGS)
                 & (departs_at < self.end_day))
        if not again.any():
            return
        order = np.flatnonzero(again)
        order = order[np.lexsort((crossing[order], person[order]))]  # the same in both paths
        self.abroad(self._next_crossing(who[order], departs_at[order], draws[order]))

    def _next_crossing(self, who: np.ndarray, departs_at: np.ndarray, draws: np.ndarray) -> Departures:
        column = {name: who[:, i] for i, name in enumerate(WHO_COLUMNS)}
        chances = draws[:, _CHANCES]
        u1, u2 = draws[:, _NORMALS][:, 0::2], draws[:, _NORMALS][:, 1::2]
        normals = np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
        flag = {name: column[name].astype(bool) for name in ("accompanied", "girl", "far_from_border",
                                                             "trafficking_victim", "in_need_of_protection",
                                                             "harmed_in_transit")}
        code = {name: column[name].astype(np.int64) for name in ("age", "origin", "reason")}  # not point
        days_abroad = exponential_days(self.days_abroad_mean, chances[:, Chance.DAYS_ABROAD])
        return Departures(Route.NORTH, self.ledger.new_crossing_ids(departs_at), departs_at, chances, normals,
                          **flag, **code, reaches_border_at=departs_at + days_abroad,
                          point=np.searchsorted(self._point_cumulative, chances[:, Chance.REPATRIATION_POINT],
                                                side="right"),
                          person_id=column["person_id"].astype(np.int64),
                          crossing=column["crossing"].astype(np.int64) + 1,
                          first_departed_at=column["first_departed_at"])
