"""A batch of departing children of one route, as numpy columns (one entry per child).

Drawn by the origin (`sim.model.stages.origin`) and passed through transit and the borders: every
stage reads and writes these columns, so the batch sits below them all.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.model.codes import Route


@dataclass
class Departures:
    """One day's departing children of one route, as columns (one entry per child).

    `chances` and `normals` are the children's personal draws (see `sim.model.child.Chance`, `Normal`);
    `reaches_border_at` is when the child is handed back by the United States (north) or ends
    their journey through Mexico (south, see `sim.model.stages.transit`).
    """

    route: Route
    child_id: np.ndarray
    departed_at: np.ndarray
    chances: np.ndarray
    normals: np.ndarray
    accompanied: np.ndarray
    age: np.ndarray
    girl: np.ndarray
    origin: np.ndarray
    far_from_border: np.ndarray
    reason: np.ndarray
    trafficking_victim: np.ndarray
    in_need_of_protection: np.ndarray
    harmed_in_transit: np.ndarray
    point: np.ndarray
    reaches_border_at: np.ndarray
    #: the child across crossings, and which crossing this is (default: each child's first)
    person_id: np.ndarray | None = None
    crossing: np.ndarray | None = None
    first_departed_at: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.person_id is None:
            self.person_id = self.child_id
        if self.crossing is None:
            self.crossing = np.ones(self.child_id.size, dtype=np.int64)
        if self.first_departed_at is None:
            self.first_departed_at = self.departed_at

    def __len__(self) -> int:
        return self.child_id.size

    def subset(self, keep: np.ndarray) -> Departures:
        """The children where `keep` is true, in the same order."""
        return Departures(self.route, *(getattr(self, field.name)[keep] for field in fields(self)[1:]))
