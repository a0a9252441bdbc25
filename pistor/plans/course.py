"""Laying out a plan's course from its protocol, with departures that need a reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pistor.clinical.catalog.types import Protocol
from pistor.clinical.protocols import (
    ALWAYS_OPEN,
    OpenDays,
    PlannedSession,
    keep_to_open_days,
    plan_course,
)

MAINTENANCE = "maintenance"


@dataclass(frozen=True)
class Layout:
    sessions: list[PlannedSession]
    warnings: list[str]


def sessions_range(protocol: Protocol) -> tuple[int, int, int]:
    phase = protocol.phases[0]
    return phase.sessions_min, phase.sessions_default, phase.sessions_max


def layout_course(
    protocol: Protocol,
    first: dt.date,
    sessions: int | None,
    open_days: OpenDays = ALWAYS_OPEN,
) -> Layout:
    """The protocol's course from ``first``; a count outside the first phase's range is
    laid out from the nearest limit, sessions added or removed at the end of the course at
    its last interval, and returned with a warning the practitioner must give a reason for.
    Open-ended maintenance runs one year past the course (the protocol engine's default).
    Every window keeps to the clinic's ``open_days``."""
    low, _, high = sessions_range(protocol)
    if sessions is None or low <= sessions <= high:
        return Layout(plan_course(protocol, first, sessions=sessions, open_days=open_days), [])
    clamped = max(low, min(high, sessions))
    planned = plan_course(protocol, first, sessions=clamped, open_days=open_days)
    phase = protocol.phases[0]
    # The first ``clamped`` sessions are the first phase: add or remove sessions there, and
    # move everything after it by as much as its last session moved.
    head, rest = list(planned[:clamped]), planned[clamped:]
    original_end = head[-1].target
    if sessions > high:
        for _ in range(sessions - high):
            last = head[-1].target
            head.append(
                PlannedSession(
                    0,
                    phase.name,
                    last + dt.timedelta(days=phase.interval_min_days),
                    last + dt.timedelta(days=phase.interval_target_days),
                    last + dt.timedelta(days=phase.interval_max_days),
                )
            )
    else:
        head = head[: max(1, sessions)]
    shift = head[-1].target - original_end
    rest = [
        PlannedSession(0, s.phase, s.earliest + shift, s.target + shift, s.latest + shift)
        for s in rest
    ]
    course = head + rest
    numbered = [
        keep_to_open_days(PlannedSession(i + 1, s.phase, s.earliest, s.target, s.latest), open_days)
        for i, s in enumerate(course)
    ]
    warning = (
        f"{sessions} sessions is outside {protocol.name}'s range of {low} to {high} for its "
        f"{phase.name} phase."
    )
    return Layout(numbered, [warning])
