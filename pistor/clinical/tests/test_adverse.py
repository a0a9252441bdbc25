"""Grading side effects and the review rule (REFERENCE §5.1, §5.4): pure, no database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pistor.clinical import adverse
from pistor.clinical.catalog import load_catalog
from pistor.clinical.errors import ClinicalDataError

CATALOG = load_catalog()
TIMED = sorted(c for c, s in CATALOG.side_effects.items() if s.review_after_minutes)


@given(
    code=st.sampled_from(TIMED),
    onset=st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)),
    lasted=st.integers(0, 60),
    grade=st.integers(1, 2),
)
def test_a_mild_event_is_flagged_exactly_when_it_outlasts_its_expected_duration(
    code, onset, lasted, grade
):
    kind = CATALOG.side_effects[code]
    assert kind.review_after_minutes is not None
    reasons = adverse.review_reasons(
        side_effect=kind, onset=onset, resolved_on=onset + dt.timedelta(days=lasted),
        ctcae_grade=grade, local_grade=None, today=onset + dt.timedelta(days=lasted),
    )  # fmt: skip
    assert bool(reasons) == (lasted > kind.review_after_minutes // 1440)


@given(grade=st.integers(3, 5), code=st.sampled_from(sorted(CATALOG.side_effects)))
def test_every_grade_of_3_or_more_is_flagged(grade, code):
    day = dt.date(2026, 1, 1)
    reasons = adverse.review_reasons(
        side_effect=CATALOG.side_effects[code], onset=day, resolved_on=day, ctcae_grade=grade,
        local_grade=None, today=day,
    )  # fmt: skip
    assert reasons and reasons[0].code == "grade"


@pytest.mark.parametrize("grade", [0, 6, 7, -1, True, "2", 2.0])
def test_a_grade_outside_1_to_5_is_refused(grade):
    with pytest.raises(ClinicalDataError) as exc:
        adverse.check_grades(ctcae_grade=grade, local_kind="", local_grade=None)
    assert exc.value.field == "grade"


def test_pruritus_has_no_grade_4_but_redness_does():
    adverse.check_grades(ctcae_grade=1, local_kind="erythema-induration", local_grade=4)
    with pytest.raises(ClinicalDataError):
        adverse.check_grades(ctcae_grade=1, local_kind="pruritus", local_grade=4)


def test_an_event_cannot_resolve_before_it_began():
    with pytest.raises(ClinicalDataError) as exc:
        adverse.check_dates(
            onset=dt.date(2026, 1, 5), resolved_on=dt.date(2026, 1, 4), today=dt.date(2026, 2, 1)
        )
    assert exc.value.field == "resolved_on"
