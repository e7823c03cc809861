"""The event calendar: what happens to children, in time order, a day at a time.

Today's events sit in a heap, later ones in one list per day (heapified when their day comes), so
the heap stays small. Order is by time; ties go in the order the events were scheduled, which is
what makes a run the same bit for bit for the same seed.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

Action = Callable[[Any, float], None]
#: (time, scheduling order, action, subject): `action(subject, time)` happens at `time`.
Event = tuple[float, int, Action, Any]


class EventCalendar:
    """One model's events; `day` is the day being run (events before its end are due today)."""

    def __init__(self) -> None:
        self.day = 0
        self._today: list[Event] = []
        self._later: dict[int, list[Event]] = {}
        self._sequence = itertools.count()

    def schedule(self, time: float, action: Action, subject: Any) -> None:
        """Make `action(subject, time)` happen at `time` (ties: in the order they were scheduled)."""
        day = int(time)
        if day > self.day:
            later = self._later.get(day)
            if later is None:
                self._later[day] = [(time, next(self._sequence), action, subject)]
            else:
                later.append((time, next(self._sequence), action, subject))
        else:
            heapq.heappush(self._today, (time, next(self._sequence), action, subject))

    def schedule_many(self, times: np.ndarray, action: Action, subjects: Sequence[Any]) -> None:
        """`action(subjects[k], times[k])` for every k, scheduled in the order of `times` (ties in
        the order given), as if by one `schedule` call each, but day by day in one go."""
        n = times.size
        if not n:
            return
        order = np.argsort(times, kind="stable")
        times = times[order]
        first = next(self._sequence)
        self._sequence = itertools.count(first + n)
        events = [(time, first + i, action, subjects[k])
                  for i, (time, k) in enumerate(zip(times.tolist(), order.tolist(), strict=True))]
        days = times.astype(np.int64)
        bounds = np.flatnonzero(np.diff(days)) + 1
        for start, end in zip([0, *bounds.tolist()], [*bounds.tolist(), n], strict=True):
            day = int(days[start])
            if day <= self.day:
                for event in events[start:end]:
                    heapq.heappush(self._today, event)
            else:
                self._later.setdefault(day, []).extend(events[start:end])

    def run_day(self) -> None:
        """Make every event due before the end of `day` happen, in order (events they schedule
        for today happen too), then move on to the next day."""
        events = self._today
        later = self._later.pop(self.day, None)
        if later:
            events.extend(later)
            heapq.heapify(events)
        pop = heapq.heappop
        while events:  # every event in the heap is due today
            time, _, action, subject = pop(events)
            action(subject, time)
        self.day += 1

    def pending(self) -> Iterator[tuple[Action, Any]]:
        """The action and subject of every event still to happen, in no particular order."""
        for _, _, action, subject in self._today:
            yield action, subject
        for events in self._later.values():
            for _, _, action, subject in events:
                yield action, subject
