"""Slot finding: when can an appointment of a given length take place?

Pure functions, no Django. Times are timezone-aware ``datetime``s; weekly working hours
are wall-clock times in the clinic's time zone, turned into real instants one day at a
time, so a weekly 10:00 session stays at 10:00 local time across the daylight-saving
changes (``zoneinfo`` gives each date its own offset).

A resource (a practitioner, a room, a device) is a ``Calendar``: the intervals it works
and the intervals it is already taken (appointments with their buffer, absences). An
appointment type needs several resources; each need is a list of alternatives (any free
treatment room will do). A slot is free when, for every need, one alternative has a gap
holding the appointment and its buffer. The buffer (clean-up, notes) may run past the end
of the working hours but not into the next appointment.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")
MAX_DAYS = 400  # a search never spans more than about a year and a month


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open span of time ``[start, end)`` between two aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Intervals take timezone-aware datetimes.")
        # Held in UTC: Python compares and subtracts datetimes sharing one zone by their
        # wall clocks, which goes wrong in the hour the clocks go back.
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))
        if self.end <= self.start:
            raise ValueError("An interval ends after it starts.")

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class WeeklyHours:
    """Working hours on one weekday (0 = Monday) in local wall-clock time."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("Weekdays run from 0 (Monday) to 6 (Sunday).")
        if self.end <= self.start:
            raise ValueError("Working hours end after they start.")


@dataclass(frozen=True)
class Calendar:
    """One resource's time: when it works and when it is already taken."""

    key: str
    working: tuple[Interval, ...]
    busy: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class Slot:
    """A free start, its end, and the resource chosen for each need (in order)."""

    start: datetime
    end: datetime
    resources: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _Gap:
    start: datetime
    end: datetime
    # True when the gap ends because the working hours end (the buffer may overrun it).
    soft_end: bool


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant a wall-clock time happens on ``day`` in ``tz``.

    A wall time skipped by a spring change (01:30 in London on the last Sunday of March)
    lands an hour later, as clocks show; an ambiguous autumn time takes its first occurrence.
    """
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz)
    # Round-trip through UTC normalises a non-existent wall time onto the real clock.
    return aware.astimezone(UTC).astimezone(tz)


def working_intervals(
    *,
    weekly: Iterable[WeeklyHours],
    day_from: date,
    day_to: date,
    tz: ZoneInfo,
    exceptions: dict[date, Sequence[tuple[time, time]]] | None = None,
    closed: Iterable[date] = (),
) -> list[Interval]:
    """Real intervals of a weekly pattern from ``day_from`` to ``day_to`` inclusive.

    ``exceptions`` replaces a date's hours (an empty list: not working that day);
    ``closed`` dates have no hours at all (the clinic is shut).
    """
    if day_to < day_from:
        return []
    if (day_to - day_from).days > MAX_DAYS:
        raise ValueError(f"Search at most {MAX_DAYS} days at a time.")
    by_day: dict[int, list[WeeklyHours]] = {}
    for rule in weekly:
        by_day.setdefault(rule.weekday, []).append(rule)
    shut = set(closed)
    overrides = exceptions or {}
    out: list[Interval] = []
    day = day_from
    while day <= day_to:
        if day not in shut:
            if day in overrides:
                spans = list(overrides[day])
            else:
                spans = [(r.start, r.end) for r in by_day.get(day.weekday(), [])]
            for start, end in spans:
                if end > start:
                    out.append(Interval(local_instant(day, start, tz), local_instant(day, end, tz)))
        day += timedelta(days=1)
    return merge(out)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined."""
    out: list[Interval] = []
    for item in sorted(intervals):
        if out and item.start <= out[-1].end:
            if item.end > out[-1].end:
                out[-1] = Interval(out[-1].start, item.end)
        else:
            out.append(item)
    return out


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Where both sets of intervals hold (each set merged first)."""
    left, right = merge(a), merge(b)
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i].start, right[j].start)
        end = min(left[i].end, right[j].end)
        if start < end:
            out.append(Interval(start, end))
        if left[i].end < right[j].end:
            i += 1
        else:
            j += 1
    return out


def _gaps(calendar: Calendar) -> list[_Gap]:
    busy = merge(calendar.busy)
    out: list[_Gap] = []
    k = 0
    for window in merge(calendar.working):
        cursor = window.start
        while k < len(busy) and busy[k].end <= cursor:
            k += 1
        j = k
        while j < len(busy) and busy[j].start < window.end:
            if busy[j].start > cursor:
                out.append(_Gap(cursor, busy[j].start, soft_end=False))
            cursor = max(cursor, busy[j].end)
            j += 1
        if cursor < window.end:
            # Whatever is booked right after closing still bounds the buffer.
            nxt = busy[j].start if j < len(busy) else None
            soft = nxt is None or nxt >= window.end
            out.append(_Gap(cursor, window.end, soft_end=soft))
    return out


class _Index:
    """A calendar's gaps, searchable by start time in O(log n)."""

    def __init__(self, calendar: Calendar) -> None:
        self.key = calendar.key
        self.gaps = _gaps(calendar)
        self.starts = [g.start for g in self.gaps]
        # The busy intervals bound a buffer that runs past a soft end.
        self.busy = merge(calendar.busy)
        self.busy_starts = [b.start for b in self.busy]

    def holds(self, start: datetime, duration: timedelta, buffer: timedelta) -> bool:
        i = bisect.bisect_right(self.starts, start) - 1
        if i < 0:
            return False
        gap = self.gaps[i]
        end = start + duration
        if start < gap.start or end > gap.end:
            return False
        if end + buffer <= gap.end:
            return True
        if not gap.soft_end:
            return False
        j = bisect.bisect_left(self.busy_starts, gap.end)
        return j >= len(self.busy) or end + buffer <= self.busy[j].start


def clip(calendar: Calendar, start: datetime, end: datetime) -> Calendar:
    """The part of ``calendar`` that touches ``[start, end]`` (a linear scan; for repeated
    windows over one calendar, ``WindowIndex`` does it in O(log n))."""
    return Calendar(
        key=calendar.key,
        working=tuple(w for w in calendar.working if w.start <= end and w.end >= start),
        busy=tuple(b for b in calendar.busy if b.start <= end and b.end >= start),
    )


class _Sorted:
    """Intervals sorted by start, with the running latest end, so the ones touching a
    window are found by bisection even when some are long (a fortnight's absence)."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        self.items = sorted(intervals)
        self.starts = [i.start for i in self.items]
        self.max_end: list[datetime] = []
        for item in self.items:
            latest = self.max_end[-1] if self.max_end else item.end
            self.max_end.append(max(latest, item.end))

    def touching(self, start: datetime, end: datetime) -> list[Interval]:
        lo = bisect.bisect_left(self.max_end, start)
        hi = bisect.bisect_right(self.starts, end)
        return [i for i in self.items[lo:hi] if i.end >= start]


class WindowIndex:
    """One calendar prepared for many short searches (a course's sessions, one window
    each): ``clip`` costs O(log n) plus what the window holds. ``add_busy`` records time
    taken since (a session just placed)."""

    def __init__(self, calendar: Calendar) -> None:
        self.key = calendar.key
        self._working = _Sorted(calendar.working)
        self._busy = _Sorted(calendar.busy)
        self._added: list[Interval] = []

    def add_busy(self, interval: Interval) -> None:
        self._added.append(interval)

    def clip(self, start: datetime, end: datetime) -> Calendar:
        added = [b for b in self._added if b.start <= end and b.end >= start]
        return Calendar(
            key=self.key,
            working=tuple(self._working.touching(start, end)),
            busy=(*self._busy.touching(start, end), *added),
        )


def _grid_start(instant: datetime, step: timedelta, tz: ZoneInfo) -> datetime:
    """The first start at or after ``instant`` on the local grid of ``step`` from midnight."""
    local = instant.astimezone(tz)
    midnight = local_instant(local.date(), time(0), tz).astimezone(UTC)
    elapsed = instant.astimezone(UTC) - midnight
    steps = -(-elapsed // step)  # ceiling division of timedeltas
    # Stepping in UTC: adding to a zoned datetime would step the wall clock into the hour
    # that does not exist on the night the clocks go forward.
    return midnight + steps * step


def find_slots(
    *,
    needs: Sequence[Sequence[Calendar]],
    duration: timedelta,
    buffer: timedelta = timedelta(0),
    step: timedelta = timedelta(minutes=15),
    tz: ZoneInfo,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    limit: int | None = None,
) -> list[Slot]:
    """Free starts for an appointment of ``duration`` (+ ``buffer``) needing every resource.

    ``needs[0]`` are the candidate practitioners; candidate starts run on a local grid of
    ``step`` (10:00, 10:15, ...) inside their working hours. Each start is checked against
    every need in O(log n), so the search grows with the candidates, not with the square
    of the appointments. Returns at most ``limit`` slots, earliest first; a start is listed
    once, with the first free alternative of each need.
    """
    if duration <= timedelta(0):
        raise ValueError("An appointment lasts longer than zero minutes.")
    if buffer < timedelta(0) or step <= timedelta(0):
        raise ValueError("Buffer and step cannot be negative.")
    if not needs or not needs[0]:
        return []
    indexes = [[_Index(c) for c in alternatives] for alternatives in needs]
    candidates: set[datetime] = set()
    for calendar in needs[0]:
        for window in merge(calendar.working):
            start = _grid_start(window.start, step, tz)
            if not_before is not None and start < not_before:
                start = _grid_start(not_before, step, tz)
            start = start.astimezone(UTC)
            while start + duration <= window.end:
                if not_after is not None and start > not_after:
                    break
                candidates.add(start)
                start += step
    out: list[Slot] = []
    for start in sorted(candidates):
        chosen: list[str] = []
        for alternatives in indexes:
            pick = next((ix.key for ix in alternatives if ix.holds(start, duration, buffer)), None)
            if pick is None:
                break
            chosen.append(pick)
        else:
            out.append(Slot(start=start, end=start + duration, resources=tuple(chosen)))
            if limit is not None and len(out) >= limit:
                break
    return out


def is_free(
    *,
    needs: Sequence[Sequence[Calendar]],
    start: datetime,
    duration: timedelta,
    buffer: timedelta = timedelta(0),
) -> tuple[str, ...] | None:
    """The resources that would take an appointment at ``start``, or None if one need fails."""
    chosen: list[str] = []
    for alternatives in needs:
        pick = next((c.key for c in alternatives if _Index(c).holds(start, duration, buffer)), None)
        if pick is None:
            return None
        chosen.append(pick)
    return tuple(chosen)
