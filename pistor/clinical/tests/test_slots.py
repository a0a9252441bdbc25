from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pistor.clinical.slots import (
    Calendar,
    Interval,
    Slot,
    WeeklyHours,
    WindowIndex,
    clip,
    find_slots,
    intersect,
    is_free,
    local_instant,
    merge,
    working_intervals,
)

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
WEEKDAYS_9_TO_5 = [WeeklyHours(d, time(9), time(17)) for d in range(5)]


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return local_instant(day, time(hh, mm), LONDON)


def _cal(key: str, day_from: date, day_to: date, busy=()) -> Calendar:
    working = working_intervals(weekly=WEEKDAYS_9_TO_5, day_from=day_from, day_to=day_to, tz=LONDON)
    return Calendar(key=key, working=tuple(working), busy=tuple(busy))


def test_a_weekly_ten_oclock_session_stays_at_ten_local_across_both_clock_changes():
    # Sundays in 2027: clocks go forward on 28 March and back on 31 October.
    weekly = [WeeklyHours(0, time(10), time(11))]
    found = []
    for monday in (date(2027, 3, 22), date(2027, 3, 29), date(2027, 10, 25), date(2027, 11, 1)):
        cal = Calendar(
            "ann",
            tuple(working_intervals(weekly=weekly, day_from=monday, day_to=monday, tz=LONDON)),
        )
        [slot] = find_slots(needs=[[cal]], duration=timedelta(minutes=60), tz=LONDON)
        found.append(slot.start)
    assert [s.astimezone(LONDON).time() for s in found] == [time(10)] * 4
    # ... which is a different UTC hour in summer and in winter.
    assert [s.astimezone(UTC).hour for s in found] == [10, 9, 9, 10]


def test_the_grid_keeps_to_local_quarter_hours_on_the_day_the_clocks_change():
    day = date(2027, 3, 28)  # a Sunday; clocks jump from 01:00 to 02:00
    cal = Calendar("ann", (Interval(_at(day, 0), _at(day, 4)),))
    starts = [
        s.start.astimezone(LONDON).strftime("%H:%M")
        for s in find_slots(
            needs=[[cal]], duration=timedelta(minutes=60), step=timedelta(hours=1), tz=LONDON
        )
    ]
    assert starts == ["00:00", "02:00", "03:00"]  # 01:00 does not exist that night


def test_an_existing_appointment_and_its_buffer_are_not_offered_again():
    day = date(2027, 1, 4)
    taken = Interval(_at(day, 10), _at(day, 10, 45))  # a 30-minute session + 15 buffer
    cal = _cal("ann", day, day, busy=[taken])
    starts = {
        s.start
        for s in find_slots(
            needs=[[cal]], duration=timedelta(minutes=30), buffer=timedelta(minutes=15), tz=LONDON
        )
    }
    assert _at(day, 9) in starts
    assert _at(day, 9, 15) in starts  # ends 09:45, buffer to 10:00 just fits
    assert _at(day, 9, 30) not in starts  # its buffer would run into the 10:00 session
    assert _at(day, 10) not in starts and _at(day, 10, 30) not in starts
    assert _at(day, 10, 45) in starts
    # The buffer may run past closing; the appointment itself may not.
    assert _at(day, 16, 30) in starts and _at(day, 16, 45) not in starts


def test_every_need_must_be_met_by_one_of_its_alternatives():
    day = date(2027, 1, 4)
    ann = _cal("ann", day, day)
    room1 = _cal("room-1", day, day, busy=[Interval(_at(day, 9), _at(day, 12))])
    room2 = _cal("room-2", day, day, busy=[Interval(_at(day, 9), _at(day, 10))])
    gun = _cal("gun", day, day, busy=[Interval(_at(day, 10), _at(day, 11))])
    slots = find_slots(
        needs=[[ann], [room1, room2], [gun]],
        duration=timedelta(minutes=60),
        step=timedelta(hours=1),
        tz=LONDON,
    )
    assert [(s.start.astimezone(LONDON).hour, s.resources) for s in slots][:3] == [
        (11, ("ann", "room-2", "gun")),
        (12, ("ann", "room-1", "gun")),
        (13, ("ann", "room-1", "gun")),
    ]
    assert (
        is_free(needs=[[ann], [room1], [gun]], start=_at(day, 9), duration=timedelta(hours=1))
        is None
    )


def test_closed_days_and_exceptions_replace_the_weekly_pattern():
    monday, tuesday = date(2027, 1, 4), date(2027, 1, 5)
    spans = working_intervals(
        weekly=WEEKDAYS_9_TO_5,
        day_from=monday,
        day_to=tuesday,
        tz=LONDON,
        exceptions={tuesday: [(time(13), time(15))]},
        closed=[monday],
    )
    assert spans == [Interval(_at(tuesday, 13), _at(tuesday, 15))]


@pytest.mark.parametrize("bad", [timedelta(0), timedelta(minutes=-5)])
def test_a_zero_or_negative_length_is_refused(bad):
    with pytest.raises(ValueError, match="longer than zero"):
        find_slots(needs=[[_cal("a", date(2027, 1, 4), date(2027, 1, 4))]], duration=bad, tz=LONDON)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        Interval(datetime(2027, 1, 1, 9), datetime(2027, 1, 1, 10))  # noqa: DTZ001


# --- Properties ---------------------------------------------------------------------------

BASE = date(2027, 3, 22)  # the week of the spring change


@st.composite
def busy_sets(draw: st.DrawFn) -> list[Interval]:
    out = []
    for _ in range(draw(st.integers(0, 12))):
        day = BASE + timedelta(days=draw(st.integers(0, 13)))
        start = draw(st.integers(8 * 4, 17 * 4)) * 15
        length = draw(st.integers(1, 16)) * 5
        s = local_instant(day, time(start // 60, start % 60), LONDON)
        out.append(Interval(s, s + timedelta(minutes=length)))
    return out


@settings(max_examples=60, deadline=None)
@given(busy=busy_sets(), minutes=st.integers(10, 60), buffer=st.integers(0, 20))
def test_no_offered_slot_overlaps_anything_taken_or_leaves_the_working_hours(busy, minutes, buffer):
    cal = _cal("ann", BASE, BASE + timedelta(days=13), busy=busy)
    duration, buf = timedelta(minutes=minutes), timedelta(minutes=buffer)
    slots = find_slots(needs=[[cal]], duration=duration, buffer=buf, tz=LONDON)
    for slot in slots:
        taken = Interval(slot.start, slot.end + buf)
        assert not any(taken.overlaps(b) for b in busy)
        assert any(w.start <= slot.start and slot.end <= w.end for w in cal.working)
        local = slot.start.astimezone(LONDON)
        assert local.minute % 15 == 0 and local.second == 0


@settings(max_examples=60, deadline=None)
@given(busy=busy_sets(), minutes=st.integers(10, 60))
def test_every_free_quarter_hour_is_offered(busy, minutes):
    day_to = BASE + timedelta(days=13)
    cal = _cal("ann", BASE, day_to, busy=busy)
    duration = timedelta(minutes=minutes)
    offered = {s.start for s in find_slots(needs=[[cal]], duration=duration, tz=LONDON)}
    for window in cal.working:
        start = window.start
        while start + duration <= window.end:
            free = not any(Interval(start, start + duration).overlaps(b) for b in busy)
            assert (start in offered) == free
            start += timedelta(minutes=15)


@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 50)), max_size=20),
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 50)), max_size=20),
)
def test_intersect_and_merge_agree_with_minute_sets(a_spans, b_spans):
    origin = datetime(2027, 1, 4, tzinfo=UTC)

    def spans(raw):
        return [
            Interval(origin + timedelta(minutes=s), origin + timedelta(minutes=s + n))
            for s, n in raw
        ]

    def minutes(intervals):
        return {
            m
            for i in intervals
            for m in range(
                int((i.start - origin).total_seconds() // 60),
                int((i.end - origin).total_seconds() // 60),
            )
        }

    a, b = spans(a_spans), spans(b_spans)
    assert minutes(merge(a)) == minutes(a)
    assert minutes(intersect(a, b)) == minutes(a) & minutes(b)
    merged = merge(a)
    assert all(x.end < y.start for x, y in zip(merged, merged[1:], strict=False))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60 * 24 * 27), st.integers(15, 120)), max_size=60),
    st.integers(0, 20),
    st.integers(1, 6),
)
def test_a_clipped_calendar_offers_the_same_slots_inside_its_window(busy, first, length):
    """The course planner clips calendars to each session's window; it must lose nothing."""
    start_day = date(2027, 3, 1)
    base = _at(start_day, 0)
    taken = [
        Interval(base + timedelta(minutes=m), base + timedelta(minutes=m + d)) for m, d in busy
    ]
    whole = [_cal("staff:1", start_day, start_day + timedelta(days=27), taken)]
    lo = _at(start_day + timedelta(days=first), 0)
    hi = _at(start_day + timedelta(days=first + length), 0)

    def search(needs: list[list[Calendar]]) -> list[Slot]:
        return find_slots(
            needs=needs,
            duration=timedelta(minutes=30),
            buffer=timedelta(minutes=15),
            tz=LONDON,
            not_before=lo,
            not_after=hi,
        )

    margin = timedelta(days=1)
    clipped = [clip(c, lo - margin, hi + margin) for c in whole]
    expected = search([whole])
    assert search([clipped]) == expected
    indexed = [WindowIndex(c).clip(lo - margin, hi + margin) for c in whole]
    assert search([indexed]) == expected
    # Time taken after indexing counts too.
    if expected:
        index = WindowIndex(whole[0])
        index.add_busy(Interval(expected[0].start, expected[0].end))
        again = search([[index.clip(lo - margin, hi + margin)]])
        assert expected[0].start not in [x.start for x in again]
