"""Course planning: when each session of a protocol falls, and how far a course has drifted.

Protocols are editable templates (REFERENCE §1: mesotherapy rhythms are not standardised),
so dates are windows, not appointments. Each session after the first is measured from the
previous session's *target*, using the interval of the phase that session belongs to: the
gap leading into session 11 of a "10 weekly, then 6 monthly" course is a monthly gap.

A clinic is shut on some weekdays and dates. Given its ``OpenDays``, every window is pulled
onto days it is open: the target moves to the next open day (or the previous one when the
next is past the window), and the window's ends move inward onto open days. The caller
passes the closed days in; this module reads no database.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pistor.clinical.catalog.types import Protocol, Severity
from pistor.clinical.codes import FindingCode
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.findings import Finding, sort_findings

MAINTENANCE = "maintenance"
_SEARCH_DAYS = 400  # how far to look for an open day before calling the calendar shut


@dataclass(frozen=True)
class OpenDays:
    """When the clinic is open: weekdays it is closed every week (0 = Monday) and dates it
    is shut (bank holidays, training days)."""

    closed_weekdays: frozenset[int] = frozenset()
    closed_dates: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not all(0 <= w <= 6 for w in self.closed_weekdays):
            raise ClinicalDataError("Weekdays run from 0 (Monday) to 6 (Sunday).", field="weekday")
        if len(self.closed_weekdays) >= 7:
            raise ClinicalDataError(
                "The clinic is closed every day of the week; set its opening days first.",
                field="opening_hours",
            )

    def is_open(self, day: date) -> bool:
        return day.weekday() not in self.closed_weekdays and day not in self.closed_dates

    def next_open(self, day: date) -> date:
        """``day`` if the clinic is open then, else the first open day after it."""
        return self._walk(day, 1)

    def previous_open(self, day: date) -> date:
        return self._walk(day, -1)

    def _walk(self, day: date, step: int) -> date:
        for offset in range(_SEARCH_DAYS):
            candidate = day + timedelta(days=step * offset)
            if self.is_open(candidate):
                return candidate
        raise ClinicalDataError(
            f"The clinic has no open day within {_SEARCH_DAYS} days of {day.isoformat()}.",
            field="closed_dates",
        )


ALWAYS_OPEN = OpenDays()


@dataclass(frozen=True)
class PlannedSession:
    """One session's window: book it between ``earliest`` and ``latest``, ideally on ``target``."""

    number: int
    phase: str  # the protocol phase's name, or "maintenance"
    earliest: date
    target: date
    latest: date


@dataclass(frozen=True)
class Rhythm:
    """The interval that leads into a session, and the phase it belongs to."""

    phase: str
    interval_min_days: int
    interval_target_days: int
    interval_max_days: int


def plan_course(
    protocol: Protocol,
    first_session: date,
    *,
    sessions: int | None = None,
    maintenance_horizon: date | None = None,
    open_days: OpenDays = ALWAYS_OPEN,
) -> list[PlannedSession]:
    """Every session of ``protocol`` from ``first_session``, with maintenance after the course.

    ``sessions`` sets the first phase's count (the whole course for single-phase protocols)
    and must lie within that phase's range. Maintenance with a fixed ``count`` plans that many
    top-ups; open-ended maintenance runs up to ``maintenance_horizon``, by default one year
    after the last course session. An explicit horizon also cuts a counted maintenance short.
    Every window keeps to the days in ``open_days`` (a first session on a closed day moves
    to the next open one).
    """
    course = course_rhythms(protocol, sessions=sessions)
    planned: list[PlannedSession] = []
    for number, rhythm in enumerate(course, start=1):
        if number == 1:
            first = open_days.next_open(first_session)
            planned.append(PlannedSession(1, rhythm.phase, first, first, first))
        else:
            planned.append(_after(planned[-1].target, number, rhythm, open_days))
    planned.extend(
        _maintenance(
            protocol,
            number=len(planned) + 1,
            anchor=planned[-1].target,
            already_done=0,
            horizon=maintenance_horizon,
            default_horizon=_add_years(planned[-1].target, 1),
            open_days=open_days,
        )
    )
    return planned


def check_adherence(
    protocol: Protocol, done_dates: Sequence[date], *, sessions: int | None = None
) -> list[Finding]:
    """How the sessions actually done fit ``protocol``, each gap measured from the one before.

    Pass the ``sessions`` count the course was planned with, so each session is measured
    against the phase it was planned in.

    A session earlier than its window is a warning (the skin or fat has not had the time the
    protocol allows for). A late one is a note, or a warning when the gap is more than twice
    the phase's longest interval, since the course effect may have been lost. More sessions
    than the protocol allows is a warning here, because these sessions already happened; the
    safety screen is what blocks a label limit before a session.
    """
    done = sorted(done_dates)
    findings: list[Finding] = []
    course = course_rhythms(protocol, sessions=sessions)
    evidence = (f"protocol:{protocol.code}", *protocol.sources)
    limit = max_sessions(protocol, sessions=sessions)
    for index in range(1, len(done)):
        number = index + 1
        rhythm = rhythm_for_session(protocol, number, course=course)
        if rhythm is None:
            continue
        gap = (done[index] - done[index - 1]).days
        label = "Maintenance session" if rhythm.phase == MAINTENANCE else "Session"
        where = f"{label} {number} on {done[index].isoformat()}"
        if gap < rhythm.interval_min_days:
            findings.append(
                Finding(
                    FindingCode.INTERVAL_TOO_SHORT,
                    Severity.WARN,
                    f"{where} came {gap} days after the previous one; "
                    f"{protocol.name} allows at least "
                    f"{rhythm.interval_min_days} days in the {rhythm.phase} phase.",
                    evidence,
                )
            )
        elif gap > rhythm.interval_max_days:
            severity = Severity.WARN if gap > 2 * rhythm.interval_max_days else Severity.INFO
            findings.append(
                Finding(
                    FindingCode.INTERVAL_TOO_LONG,
                    severity,
                    f"{where} came {gap} days after the previous one; {protocol.name} "
                    f"plans at most {rhythm.interval_max_days} days in the {rhythm.phase} "
                    "phase. Consider whether the course needs to restart.",
                    evidence,
                )
            )
    if limit is not None and len(done) > limit:
        findings.append(
            Finding(
                FindingCode.TOO_MANY_SESSIONS,
                Severity.WARN,
                f"{len(done)} sessions have been done; {protocol.name} allows at most {limit}.",
                evidence,
            )
        )
    return list(sort_findings(findings))


def replan(
    protocol: Protocol,
    done_dates: Sequence[date],
    *,
    today: date,
    sessions: int | None = None,
    maintenance_horizon: date | None = None,
    open_days: OpenDays = ALWAYS_OPEN,
) -> list[PlannedSession]:
    """The sessions still to come after a missed or moved session, keeping their numbers.

    The next session is planned from the last session actually done; if its target has
    already passed it is due now, so it is planned for ``today``, and the rest follow from it.
    Open-ended maintenance runs to ``maintenance_horizon``, by default one year after the
    later of the last course session and the last session done. Windows keep to
    ``open_days``.
    """
    done = sorted(done_dates)
    for index, day in enumerate(done):
        if day > today:
            raise ClinicalDataError(
                f"A session done on {day.isoformat()} is after today ({today.isoformat()}).",
                field=f"done_dates[{index}]",
            )
    if not done:
        return plan_course(
            protocol,
            today,
            sessions=sessions,
            maintenance_horizon=maintenance_horizon,
            open_days=open_days,
        )
    course = course_rhythms(protocol, sessions=sessions)
    remaining: list[PlannedSession] = []
    anchor = done[-1]
    for number in range(len(done) + 1, len(course) + 1):
        session = _after(anchor, number, course[number - 1], open_days)
        if not remaining:
            session = _due_now(session, today, open_days)
        remaining.append(session)
        anchor = session.target
    last_course = remaining[-1].target if remaining else done[len(course) - 1]
    maintenance = _maintenance(
        protocol,
        number=max(len(done), len(course)) + 1,
        anchor=anchor,
        already_done=max(0, len(done) - len(course)),
        horizon=maintenance_horizon,
        default_horizon=_add_years(max(last_course, done[-1]), 1),
        today=None if remaining else today,
        open_days=open_days,
    )
    remaining.extend(maintenance)
    return remaining


def course_rhythms(protocol: Protocol, *, sessions: int | None = None) -> list[Rhythm]:
    """One rhythm per course session (maintenance excluded), in order."""
    _validate(protocol)
    rhythms: list[Rhythm] = []
    for index, phase in enumerate(protocol.phases):
        count = phase.sessions_default
        if index == 0 and sessions is not None:
            if not phase.sessions_min <= sessions <= phase.sessions_max or sessions < 1:
                raise ClinicalDataError(
                    f"{protocol.name} plans {phase.sessions_min} to {phase.sessions_max} "
                    f"sessions in its {phase.name} phase; {sessions} is outside that range.",
                    field="sessions",
                )
            count = sessions
        rhythm = Rhythm(
            phase.name, phase.interval_min_days, phase.interval_target_days, phase.interval_max_days
        )
        rhythms.extend([rhythm] * count)
    if not rhythms:
        raise ClinicalDataError(
            f"Protocol {protocol.code} plans no sessions.", field="protocol.phases"
        )
    return rhythms


def rhythm_for_session(
    protocol: Protocol, number: int, *, course: Sequence[Rhythm] | None = None
) -> Rhythm | None:
    """The rhythm leading into session ``number`` (1-based); None past the protocol's end."""
    rhythms = course if course is not None else course_rhythms(protocol)
    if number <= len(rhythms):
        return rhythms[number - 1]
    maintenance = protocol.maintenance
    if maintenance is None:
        return None
    if maintenance.count is not None and number > len(rhythms) + maintenance.count:
        return None
    return Rhythm(
        MAINTENANCE,
        maintenance.interval_min_days,
        maintenance.interval_target_days,
        maintenance.interval_max_days,
    )


def max_sessions(protocol: Protocol, *, sessions: int | None = None) -> int | None:
    """The most sessions the protocol allows, or None when maintenance is open-ended."""
    _validate(protocol)
    total = sum(
        sessions if index == 0 and sessions is not None else phase.sessions_max
        for index, phase in enumerate(protocol.phases)
    )
    if protocol.maintenance is None:
        return total
    if protocol.maintenance.count is None:
        return None
    return total + protocol.maintenance.count


def _after(
    anchor: date, number: int, rhythm: Rhythm, open_days: OpenDays = ALWAYS_OPEN
) -> PlannedSession:
    return keep_to_open_days(
        PlannedSession(
            number,
            rhythm.phase,
            anchor + timedelta(days=rhythm.interval_min_days),
            anchor + timedelta(days=rhythm.interval_target_days),
            anchor + timedelta(days=rhythm.interval_max_days),
        ),
        open_days,
    )


def keep_to_open_days(session: PlannedSession, open_days: OpenDays) -> PlannedSession:
    """The window pulled onto open days: the target to the next open day (the previous one
    if the next lies past the window; a window with no open day stretches to the next), and
    each end inward to an open day no further than the target."""
    if open_days is ALWAYS_OPEN or not (open_days.closed_weekdays or open_days.closed_dates):
        return session
    target = open_days.next_open(session.target)
    if target > session.latest:
        before = open_days.previous_open(session.target)
        if before >= session.earliest:
            target = before
    earliest = min(open_days.next_open(session.earliest), target)
    latest = max(open_days.previous_open(session.latest), target)
    return PlannedSession(session.number, session.phase, earliest, target, latest)


def _due_now(
    session: PlannedSession, today: date, open_days: OpenDays = ALWAYS_OPEN
) -> PlannedSession:
    if session.target >= today:
        return session
    day = open_days.next_open(today)
    return PlannedSession(session.number, session.phase, day, day, max(session.latest, day))


def _maintenance(
    protocol: Protocol,
    *,
    number: int,
    anchor: date,
    already_done: int,
    horizon: date | None,
    default_horizon: date,
    today: date | None = None,
    open_days: OpenDays = ALWAYS_OPEN,
) -> Iterator[PlannedSession]:
    maintenance = protocol.maintenance
    if maintenance is None:
        return
    remaining = None if maintenance.count is None else maintenance.count - already_done
    limit: date | None = horizon
    if limit is None and remaining is None:
        limit = default_horizon
    rhythm = Rhythm(
        MAINTENANCE,
        maintenance.interval_min_days,
        maintenance.interval_target_days,
        maintenance.interval_max_days,
    )
    planned = 0
    while remaining is None or planned < remaining:
        session = _after(anchor, number, rhythm, open_days)
        if today is not None and planned == 0:
            session = _due_now(session, today, open_days)
        if limit is not None and session.target > limit:
            return
        yield session
        anchor = session.target
        number += 1
        planned += 1


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def _validate(protocol: Protocol) -> None:
    for index, phase in enumerate(protocol.phases):
        where = f"protocol.phases[{index}]"
        if not 0 <= phase.sessions_min <= phase.sessions_default <= phase.sessions_max:
            raise ClinicalDataError(
                f"Protocol {protocol.code}, phase {phase.name}: session counts must satisfy "
                "0 <= minimum <= default <= maximum.",
                field=f"{where}.sessions_default",
            )
        _validate_intervals(
            protocol.code,
            phase.name,
            where,
            phase.interval_min_days,
            phase.interval_target_days,
            phase.interval_max_days,
        )
    if protocol.maintenance is not None:
        m = protocol.maintenance
        _validate_intervals(
            protocol.code,
            MAINTENANCE,
            "protocol.maintenance",
            m.interval_min_days,
            m.interval_target_days,
            m.interval_max_days,
        )
        if m.count is not None and m.count < 0:
            raise ClinicalDataError(
                f"Protocol {protocol.code}: maintenance count cannot be negative.",
                field="protocol.maintenance.count",
            )


def _validate_intervals(
    code: str, phase: str, where: str, low: int, target: int, high: int
) -> None:
    if not (0 <= low <= target <= high and target >= 1):
        raise ClinicalDataError(
            f"Protocol {code}, {phase}: intervals must satisfy 0 <= minimum <= target <= maximum "
            f"with a target of at least one day (got {low}/{target}/{high}).",
            field=f"{where}.interval_target_days",
        )
