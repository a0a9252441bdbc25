from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pistor.clinical.catalog.types import Maintenance, Phase, Protocol, Severity
from pistor.clinical.codes import FindingCode
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.protocols import (
    MAINTENANCE,
    OpenDays,
    PlannedSession,
    check_adherence,
    course_rhythms,
    plan_course,
    replan,
)
from pistor.clinical.tests.builders import DC_LABEL, WEEKLY

START = date(2027, 1, 4)


@st.composite
def phases(draw: st.DrawFn, index: int) -> Phase:
    low = draw(st.integers(1, 8))
    high = draw(st.integers(low, 15))
    default = draw(st.integers(low, high))
    imin = draw(st.integers(0, 60))
    itarget = draw(st.integers(max(imin, 1), 90))
    imax = draw(st.integers(itarget, 120))
    return Phase(f"phase-{index}", low, default, high, imin, itarget, imax)


@st.composite
def protocols(draw: st.DrawFn) -> Protocol:
    count = draw(st.integers(1, 3))
    drawn = tuple(draw(phases(i)) for i in range(count))
    maintenance = None
    if draw(st.booleans()):
        imin = draw(st.integers(1, 90))
        itarget = draw(st.integers(imin, 180))
        imax = draw(st.integers(itarget, 240))
        maintenance = Maintenance(imin, itarget, imax, draw(st.none() | st.integers(0, 5)))
    return Protocol("p", "Generated", "", ("cellulite",), drawn, ("S1",), maintenance)


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


def _phase_of(protocol: Protocol, session: PlannedSession) -> tuple[int, int]:
    if session.phase == MAINTENANCE:
        assert protocol.maintenance is not None
        m = protocol.maintenance
        return m.interval_min_days, m.interval_max_days
    phase = next(p for p in protocol.phases if p.name == session.phase)
    return phase.interval_min_days, phase.interval_max_days


def _a_year_after(day: date) -> date:
    """The same day a year on; from 29 February, the 28th (a course may end on a leap day,
    and Hypothesis found one)."""
    if (day.month, day.day) == (2, 29):
        return date(day.year + 1, 2, 28)
    return date(day.year + 1, day.month, day.day)


@given(protocols(), dates)
def test_planned_sessions_are_in_order_with_windows_around_their_targets(
    protocol: Protocol, start: date
) -> None:
    plan = plan_course(protocol, start)
    assert [s.number for s in plan] == list(range(1, len(plan) + 1))
    assert plan[0].earliest == plan[0].target == plan[0].latest == start
    for session in plan:
        assert session.earliest <= session.target <= session.latest
    targets = [s.target for s in plan]
    assert targets == sorted(targets)


@given(protocols(), dates)
def test_consecutive_targets_respect_the_interval_of_the_later_sessions_phase(
    protocol: Protocol, start: date
) -> None:
    plan = plan_course(protocol, start)
    for previous, session in zip(plan, plan[1:], strict=False):
        low, high = _phase_of(protocol, session)
        assert low <= (session.target - previous.target).days <= high
        assert session.earliest == previous.target + timedelta(days=low)
        assert session.latest == previous.target + timedelta(days=high)


@given(protocols(), dates, st.data())
def test_course_length_stays_within_the_protocols_range(
    protocol: Protocol, start: date, data: st.DataObject
) -> None:
    first = protocol.phases[0]
    sessions = data.draw(st.integers(first.sessions_min, first.sessions_max))
    plan = plan_course(protocol, start, sessions=sessions)
    course = [s for s in plan if s.phase != MAINTENANCE]
    low = sessions + sum(p.sessions_min for p in protocol.phases[1:])
    high = sessions + sum(p.sessions_max for p in protocol.phases[1:])
    assert low <= len(course) <= high
    assert sum(1 for s in course if s.phase == first.name) >= sessions
    maintenance = [s for s in plan if s.phase == MAINTENANCE]
    if protocol.maintenance is None:
        assert not maintenance
    elif protocol.maintenance.count is not None:
        assert len(maintenance) == protocol.maintenance.count
    else:
        assert all(s.target <= _a_year_after(course[-1].target) for s in maintenance)


@given(protocols(), dates, st.integers(0, 30), st.integers(0, 400))
def test_replan_keeps_numbering_and_never_plans_in_the_past(
    protocol: Protocol, start: date, done_count: int, delay: int
) -> None:
    plan = plan_course(protocol, start)
    done = [s.target for s in plan[:done_count]]
    today = (done[-1] if done else start) + timedelta(days=delay)
    remaining = replan(protocol, done, today=today)
    if remaining:
        assert remaining[0].number == len(done) + 1
        assert remaining[0].target >= today
        assert [s.number for s in remaining] == list(
            range(len(done) + 1, len(done) + 1 + len(remaining))
        )
    for session in remaining:
        assert session.earliest <= session.target <= session.latest


def test_seed_protocol_gives_ten_weekly_then_six_monthly_then_three_monthly() -> None:
    plan = plan_course(WEEKLY, START)
    initial = [s for s in plan if s.phase == "initial"]
    monthly = [s for s in plan if s.phase == "monthly"]
    maintenance = [s for s in plan if s.phase == MAINTENANCE]
    assert (len(initial), len(monthly)) == (10, 6)
    assert [s.number for s in maintenance] == [17, 18, 19, 20]
    assert plan[10].earliest == initial[-1].target + timedelta(days=28)


def test_session_count_outside_the_range_names_the_sessions_field() -> None:
    with pytest.raises(ClinicalDataError) as error:
        plan_course(WEEKLY, START, sessions=16)
    assert error.value.field == "sessions"
    with pytest.raises(ClinicalDataError):
        plan_course(WEEKLY, START, sessions=4)


def test_explicit_horizon_bounds_maintenance() -> None:
    plan = plan_course(WEEKLY, START, maintenance_horizon=date(2028, 1, 1))
    assert plan[-1].phase == MAINTENANCE
    assert all(s.target <= date(2028, 1, 1) for s in plan)
    assert len([s for s in plan if s.phase == MAINTENANCE]) == 1


def test_a_course_ending_on_29_february_keeps_maintenance_within_the_year_after() -> None:
    # One session on a leap day, then maintenance with no set count: its default horizon is
    # a year on, which has no 29 February.
    single = Phase("single", 1, 1, 1, 0, 1, 1)
    protocol = Protocol(
        "p", "Leap day", "", ("cellulite",), (single,), ("S1",), Maintenance(30, 30, 30, None)
    )
    plan = plan_course(protocol, date(2028, 2, 29))
    maintenance = [s for s in plan if s.phase == MAINTENANCE]
    assert plan[0].target == date(2028, 2, 29)
    assert maintenance and maintenance[-1].target <= date(2029, 2, 28)


def test_inconsistent_protocol_data_names_the_phase() -> None:
    bad = Protocol("bad", "Bad", "", (), (Phase("p", 1, 2, 3, 10, 5, 20),), ())
    with pytest.raises(ClinicalDataError) as error:
        plan_course(bad, START)
    assert error.value.field == "protocol.phases[0].interval_target_days"


def test_a_session_too_soon_is_a_warning_measured_from_the_previous_session() -> None:
    done = [START, START + timedelta(days=7), START + timedelta(days=10)]
    findings = check_adherence(WEEKLY, done)
    assert [(f.code, f.severity) for f in findings] == [
        (FindingCode.INTERVAL_TOO_SHORT, Severity.WARN)
    ]
    assert "3 days" in findings[0].message


def test_a_late_session_is_a_note_and_a_very_late_one_a_warning() -> None:
    late = check_adherence(WEEKLY, [START, START + timedelta(days=20)])
    assert [(f.code, f.severity) for f in late] == [(FindingCode.INTERVAL_TOO_LONG, Severity.INFO)]
    very_late = check_adherence(WEEKLY, [START, START + timedelta(days=60)])
    assert [(f.code, f.severity) for f in very_late] == [
        (FindingCode.INTERVAL_TOO_LONG, Severity.WARN)
    ]


def test_on_time_sessions_have_no_findings_and_order_does_not_matter() -> None:
    plan = plan_course(WEEKLY, START)
    done = [s.target for s in plan[:12]]
    assert check_adherence(WEEKLY, list(reversed(done))) == []


def test_more_sessions_than_the_label_protocol_allows_is_flagged() -> None:
    done = [START + timedelta(days=30 * i) for i in range(7)]
    findings = check_adherence(DC_LABEL, done)
    assert [f.code for f in findings] == [FindingCode.TOO_MANY_SESSIONS]


def test_replan_after_a_missed_session_starts_today_and_keeps_numbers() -> None:
    done = [START, START + timedelta(days=7)]
    today = START + timedelta(days=30)
    remaining = replan(WEEKLY, done, today=today)
    assert remaining[0].number == 3
    assert remaining[0].target == today
    assert remaining[1].target == today + timedelta(days=7)


def test_replan_after_a_moved_session_plans_from_the_actual_date() -> None:
    done = [START, START + timedelta(days=10)]
    remaining = replan(WEEKLY, done, today=done[-1])
    assert remaining[0].target == done[-1] + timedelta(days=7)


def test_replan_rejects_sessions_done_in_the_future() -> None:
    with pytest.raises(ClinicalDataError) as error:
        replan(WEEKLY, [START + timedelta(days=3)], today=START)
    assert error.value.field == "done_dates[0]"


def test_replan_in_maintenance_continues_maintenance() -> None:
    plan = plan_course(WEEKLY, START)
    done = [s.target for s in plan[:17]]
    remaining = replan(WEEKLY, done, today=done[-1])
    assert remaining[0].number == 18
    assert all(s.phase == MAINTENANCE for s in remaining)


def test_course_rhythms_follow_phase_counts() -> None:
    rhythms = course_rhythms(WEEKLY, sessions=5)
    assert [r.phase for r in rhythms] == ["initial"] * 5 + ["monthly"] * 6


def test_case_seed_course_planned_from_4_january_2027() -> None:
    from pistor.clinical.catalog import get_protocol, load_catalog

    protocol = get_protocol(load_catalog(), "seed-course-10-weekly")
    plan = plan_course(protocol, START)
    course, monthly, maintenance = plan[:10], plan[10:16], plan[16:]
    assert plan[0].target == START
    assert all(
        7 <= (b.target - a.target).days <= 14 for a, b in zip(course, course[1:], strict=False)
    )
    assert all(
        (b.earliest - a.target).days >= 7 and (b.latest - a.target).days <= 14
        for a, b in zip(course, course[1:], strict=False)
    )
    assert len(monthly) == 6 and {s.phase for s in monthly} == {"monthly"}
    assert all(
        28 <= (b.target - a.target).days <= 31
        for a, b in zip(plan[9:16], plan[10:16], strict=False)
    )
    assert maintenance and {s.phase for s in maintenance} == {MAINTENANCE}
    gaps = [(b.target - a.target).days for a, b in zip(plan[15:], plan[16:], strict=False)]
    assert all(84 <= gap <= 98 for gap in gaps)
    assert maintenance[-1].target <= _a_year_after(plan[15].target)
    assert [s.number for s in plan] == list(range(1, len(plan) + 1))


# --- Closed days --------------------------------------------------------------------------

SHUT_WEEKENDS_AND_WEDNESDAYS = OpenDays(
    closed_weekdays=frozenset({2, 5, 6}), closed_dates=frozenset({date(2027, 1, 18)})
)


def _open_everywhere(sessions: list[PlannedSession], days: OpenDays) -> None:
    for s in sessions:
        assert days.is_open(s.target), s
        assert days.is_open(s.earliest) and days.is_open(s.latest), s
        assert s.earliest <= s.target <= s.latest


def test_no_window_targets_a_day_the_clinic_is_closed() -> None:
    plan = plan_course(WEEKLY, START, open_days=SHUT_WEEKENDS_AND_WEDNESDAYS)
    _open_everywhere(plan, SHUT_WEEKENDS_AND_WEDNESDAYS)
    # Monday 18 January is a closed date: session 3 moves to Tuesday 19th.
    assert plan[2].target == date(2027, 1, 19)
    # A first session asked for on a Saturday starts on the Monday after.
    assert plan_course(WEEKLY, date(2027, 1, 9), open_days=SHUT_WEEKENDS_AND_WEDNESDAYS)[
        0
    ].target == date(2027, 1, 11)


def test_replan_keeps_to_open_days_too() -> None:
    remaining = replan(
        WEEKLY,
        [START, date(2027, 1, 12)],
        today=date(2027, 1, 12),
        open_days=SHUT_WEEKENDS_AND_WEDNESDAYS,
    )
    _open_everywhere(remaining, SHUT_WEEKENDS_AND_WEDNESDAYS)
    assert remaining[0].number == 3 and remaining[0].target == date(2027, 1, 19)


def test_a_clinic_closed_every_weekday_is_refused() -> None:
    with pytest.raises(ClinicalDataError, match="closed every day"):
        OpenDays(closed_weekdays=frozenset(range(7)))


@given(
    protocols(),
    dates,
    st.frozensets(st.integers(0, 6), max_size=5),
    st.frozensets(dates, max_size=20),
)
def test_windows_always_land_on_open_days(
    protocol: Protocol, first: date, weekdays: frozenset[int], shut: frozenset[date]
) -> None:
    days = OpenDays(closed_weekdays=weekdays, closed_dates=shut)
    _open_everywhere(
        plan_course(protocol, first, open_days=days, maintenance_horizon=first + timedelta(400)),
        days,
    )
