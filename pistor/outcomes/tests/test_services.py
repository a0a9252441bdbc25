"""Scores through the clinical core, the side-effect register's rules and flags, and the
safety-net calls."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pistor.audit.models import AuditEvent
from pistor.clinical.catalog import load_catalog
from pistor.core.errors import ValidationFailed
from pistor.outcomes.models import FollowUpCall, Measurement, SideEffect
from pistor.outcomes.selectors import review_list, review_reasons
from pistor.outcomes.services import (
    follow_up_calls_schedule,
    measurement_record,
    side_effect_record,
    side_effect_resolve,
    side_effect_review,
)
from pistor.outcomes.tests.factories import CSS, signed_session
from pistor.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)
CATALOG = load_catalog()


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic)


def _css(clinic, patient, by, answers=CSS, **kw):
    kw.setdefault("timepoint", "baseline")
    return measurement_record(
        clinic=clinic, patient=patient, by=by, scale_code="hexsel-css",
        indication_code="cellulite", answers=answers, today=TODAY, **kw,
    )  # fmt: skip


def _effect(clinic, patient, by, **kw):
    kw.setdefault("event_code", "bruising")
    kw.setdefault("onset", TODAY - dt.timedelta(days=12))
    kw.setdefault("grade", 2)
    return side_effect_record(clinic=clinic, patient=patient, by=by, today=TODAY, **kw)


def test_a_hexsel_score_is_the_clinical_cores_sum_and_band(clinic, patient, practitioner):
    m = _css(clinic, patient, practitioner)
    assert m.total == Decimal(9) and m.band == "moderate"
    assert m.answers == {k: str(v) for k, v in CSS.items()}
    assert AuditEvent.objects.filter(event_type="outcome.measurement_recorded").count() == 1


def test_an_answer_out_of_range_is_refused_by_name_and_nothing_is_written(
    clinic, patient, practitioner
):
    with pytest.raises(ValidationFailed) as exc:
        _css(clinic, patient, practitioner, answers={**CSS, "B": 4})
    assert "Depth of depressions: 4 is outside 0 to 3." in exc.value.message
    assert "answers.B" in exc.value.fields
    assert not Measurement.objects.exists()
    assert not AuditEvent.objects.filter(event_type="outcome.measurement_recorded").exists()


def test_a_scale_the_catalog_does_not_list_for_the_indication_is_refused(
    clinic, patient, practitioner
):
    with pytest.raises(ValidationFailed) as exc:
        measurement_record(
            clinic=clinic, patient=patient, by=practitioner, scale_code="norwood",
            indication_code="cellulite", answers={"norwood": 2}, timepoint="baseline",
        )  # fmt: skip
    assert "does not list this scale for Cellulite" in exc.value.message
    assert not Measurement.objects.exists()


def test_during_the_course_needs_the_session_number(clinic, patient, practitioner):
    with pytest.raises(ValidationFailed) as exc:
        _css(clinic, patient, practitioner, timepoint="during")
    assert "session_number" in exc.value.fields
    m = _css(clinic, patient, practitioner, timepoint="during", session_number=6)
    assert m.session_number == 6


def test_a_future_date_is_refused(clinic, patient, practitioner):
    with pytest.raises(ValidationFailed):
        _css(clinic, patient, practitioner, measured_on=TODAY + dt.timedelta(days=1))


def test_a_score_linked_to_a_session_takes_its_indication_plan_and_place(clinic, practitioner):
    plan, session = signed_session(clinic, practitioner)
    m = measurement_record(
        clinic=clinic, patient=plan.patient, by=practitioner, scale_code="gais",
        answers={"gais": 2}, timepoint="during", session_id=session.pk,
    )  # fmt: skip
    assert (m.indication_code, m.protocol_code, m.session_number) == (
        "skin-rejuvenation", plan.protocol_code, 1,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"grade": 7}, "grade", "Grade 7 does not exist"),
        ({"grade": 0}, "grade", "Grade 0 does not exist"),
        (
            {"resolved_on": TODAY - dt.timedelta(days=20)},
            "resolved_on",
            "cannot resolve",
        ),
        ({"onset": TODAY + dt.timedelta(days=1)}, "onset", "future"),
        ({"event_code": "dragon-bite"}, "event_code", "catalog"),
        ({"local_kind": "pruritus", "local_grade": 4}, "local_grade", "grade 4 does not exist"),
        ({"local_kind": "sneezing", "local_grade": 1}, "local_kind", "not a local reaction"),
        ({"outcome": "resolved"}, "resolved_on", "Give the date it resolved"),
    ],
)
def test_bad_side_effects_are_refused_clearly_and_nothing_is_written(
    clinic, patient, practitioner, change, field, words
):
    with pytest.raises(ValidationFailed) as exc:
        _effect(clinic, patient, practitioner, **change)
    assert field in exc.value.fields
    assert words in exc.value.message
    assert not SideEffect.objects.exists()
    assert not AuditEvent.objects.filter(event_type="outcome.side_effect_recorded").exists()


def test_a_bruise_of_12_days_is_flagged_and_one_of_10_is_not(clinic, patient, practitioner):
    long = _effect(clinic, patient, practitioner, resolved_on=TODAY)
    short = _effect(clinic, patient, practitioner, resolved_on=TODAY - dt.timedelta(days=2))
    assert review_reasons(long, CATALOG, TODAY) == (
        "Bruising lasted 12 days; expected: 7-10 days (about 2 weeks after collagenase).",
    )
    assert review_reasons(short, CATALOG, TODAY) == ()
    assert [e.pk for e in review_list(clinic_id=clinic.pk, today=TODAY)] == [long.pk]


def test_every_grade_of_3_or_more_is_flagged(clinic, patient, practitioner):
    effect = _effect(
        clinic, patient, practitioner, event_code="hypersensitivity", grade=3,
        onset=TODAY, resolved_on=TODAY,
    )  # fmt: skip
    local = _effect(
        clinic, patient, practitioner, event_code="pain", grade=2, local_kind="pain",
        local_grade=3, onset=TODAY,
    )  # fmt: skip
    assert list(review_reasons(effect, CATALOG, TODAY)) == ["CTCAE grade 3 (3 or more)."]
    assert review_reasons(local, CATALOG, TODAY) == ("Local reaction grade 3.",)
    assert {e.pk for e in review_list(clinic_id=clinic.pk, today=TODAY)} == {effect.pk, local.pk}


def test_an_open_swelling_is_flagged_once_today_passes_five_days(clinic, patient, practitioner):
    onset = TODAY - dt.timedelta(days=5)
    effect = _effect(clinic, patient, practitioner, event_code="swelling", onset=onset)
    assert effect.expected_end_on == TODAY
    assert review_list(clinic_id=clinic.pk, today=TODAY) == []
    tomorrow = TODAY + dt.timedelta(days=1)
    assert [e.pk for e in review_list(clinic_id=clinic.pk, today=tomorrow)] == [effect.pk]
    assert "has lasted 6 days" in review_reasons(effect, CATALOG, tomorrow)[0]


# REFERENCE §5.1 gives a number for these and no other: each gets its review point.
REFERENCE_DURATIONS_DAYS = {"burning": 0, "erythema": 3, "swelling": 5, "bruising": 10}


def test_every_side_effect_with_a_duration_in_the_reference_has_one_in_the_catalog():
    with_duration = {
        c: s.review_after_minutes // 1440
        for c, s in CATALOG.side_effects.items()
        if s.review_after_minutes is not None
    }
    assert with_duration == REFERENCE_DURATIONS_DAYS


@pytest.mark.parametrize(("code", "days"), sorted(REFERENCE_DURATIONS_DAYS.items()))
def test_each_is_flagged_a_day_after_its_expected_duration_and_not_before(
    clinic, patient, practitioner, code, days
):
    onset = TODAY - dt.timedelta(days=days + 1)
    within = _effect(clinic, patient, practitioner, event_code=code, onset=onset,
                     resolved_on=onset + dt.timedelta(days=days))  # fmt: skip
    beyond = _effect(clinic, patient, practitioner, event_code=code, onset=onset,
                     resolved_on=onset + dt.timedelta(days=days + 1))  # fmt: skip
    flagged = {e.pk for e in review_list(clinic_id=clinic.pk, today=TODAY)}
    assert flagged == {beyond.pk}
    assert within.pk not in flagged


def test_a_reviewed_event_leaves_the_list(clinic, patient, practitioner):
    effect = _effect(clinic, patient, practitioner, resolved_on=TODAY)
    with pytest.raises(ValidationFailed):
        side_effect_review(effect=effect, by=practitioner, note=" ")
    side_effect_review(effect=effect, by=practitioner, note="Bruising on warfarin; advised.")
    assert review_list(clinic_id=clinic.pk, today=TODAY) == []


def test_resolving_checks_the_date_and_writes_it(clinic, patient, practitioner):
    effect = _effect(clinic, patient, practitioner, event_code="swelling")
    with pytest.raises(ValidationFailed) as exc:
        side_effect_resolve(
            effect=effect, by=practitioner, resolved_on=effect.onset - dt.timedelta(days=1),
            today=TODAY,
        )  # fmt: skip
    assert "cannot resolve" in exc.value.message
    effect.refresh_from_db()
    assert effect.resolved_on is None
    done = side_effect_resolve(effect=effect, by=practitioner, resolved_on=TODAY, today=TODAY)
    assert done.resolved_on == TODAY and done.outcome == "resolved"


def test_an_event_linked_to_a_session_suspects_its_batches(clinic, practitioner):
    plan, session = signed_session(clinic, practitioner)
    effect = side_effect_record(
        clinic=clinic, patient=plan.patient, by=practitioner, event_code="swelling",
        onset=session.started_at.date(), grade=1, session_id=session.pk,
    )  # fmt: skip
    lots = [b.lot for b in effect.batches.all()]
    assert lots == ["NC1"]


def test_another_patients_session_cannot_be_linked(clinic, practitioner):
    _plan, session = signed_session(clinic, practitioner)
    stranger = PatientFactory(clinic=clinic)
    with pytest.raises(ValidationFailed):
        _effect(clinic, stranger, practitioner, session_id=session.pk)
    with pytest.raises(ValidationFailed):
        _css(clinic, stranger, practitioner, session_id=session.pk)


def test_no_safety_net_call_after_a_face_course(clinic, practitioner):
    signed_session(clinic, practitioner)
    assert not FollowUpCall.objects.exists()


def test_a_body_course_gets_safety_net_calls_counting_from_the_last_session(clinic, practitioner):
    _plan, first = signed_session(clinic, practitioner)
    first.indication_code = "cellulite"  # as if a cellulite course (in memory only)
    calls = follow_up_calls_schedule(session=first, by=practitioner)
    day = first.started_at.date()
    assert sorted(c.due_on for c in calls) == [
        day + dt.timedelta(days=28),
        day + dt.timedelta(days=84),
    ]
    assert "painful lumps" in calls[0].question
    later = first
    later.started_at = first.started_at + dt.timedelta(days=7)
    follow_up_calls_schedule(session=later, by=practitioner)
    assert sorted(FollowUpCall.objects.values_list("due_on", flat=True)) == [
        day + dt.timedelta(days=35), day + dt.timedelta(days=91),
    ]  # fmt: skip


def test_the_report_counts_signed_sessions_only_per_product_and_batch(clinic, practitioner):
    from pistor.outcomes.report import outcomes_report
    from pistor.treatments.services import cocktail_line_add, session_start

    plan, session = signed_session(clinic, practitioner)
    draft = session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner)
    cocktail_line_add(session=draft, by=practitioner, code="nctf-135ha", volume="1")
    side_effect_record(
        clinic=clinic, patient=plan.patient, by=practitioner, event_code="bruising",
        onset=session.started_at.date(), grade=1, session_id=session.pk,
    )  # fmt: skip
    report = outcomes_report(clinic_id=clinic.pk, catalog=CATALOG)
    assert report.sessions == 1
    assert [(r.scope, r.events, r.sessions) for r in report.rates_by_product] == [
        ("nctf-135ha", 1, 1)
    ]
    assert [(r.scope, r.events, r.sessions) for r in report.rates_by_batch] == [("NC1", 1, 1)]
    assert report.rates_by_batch[0].note == "Too few to draw conclusions."
