"""How long a session lasted, against the catalog's usual 10 to 50 minutes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from pistor.clinical.catalog import load_catalog
from pistor.clinical.sessions import session_duration_finding, session_minutes


@pytest.mark.parametrize(
    ("minutes", "code"),
    [(9, "session-duration:short"), (10, None), (50, None), (51, "session-duration:long")],
)
def test_a_duration_outside_10_to_50_minutes_is_a_caution(minutes, code):
    finding = session_duration_finding(minutes, catalog=load_catalog())
    assert (finding.code if finding else None) == code
    if finding:
        assert finding.severity == "warn" and "seed-001" in finding.evidence


def test_minutes_are_real_time_across_a_clock_change():
    london = ZoneInfo("Europe/London")
    start = dt.datetime(2026, 3, 29, 0, 40, tzinfo=london)  # the clocks go forward at 01:00
    end = dt.datetime(2026, 3, 29, 2, 10, tzinfo=london)
    assert session_minutes(start, end) == 30
    with pytest.raises(ValueError):
        session_minutes(start.replace(tzinfo=None), end)
