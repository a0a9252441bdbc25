"""Placing and reading allergy tests: the observation window, finality, allergies recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from pistor.allergytests.models import AllergyTest, AllergyTestReading, RecordedAllergy
from pistor.allergytests.services import allergy_test_place, allergy_test_read
from pistor.audit.models import AuditEvent
from pistor.core.errors import Conflict, ValidationFailed
from pistor.intake.selectors import patient_facts_get
from pistor.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic)


def place(clinic, patient, nurse, now, **kw):
    values = {
        "placed_at": now,
        "sites": "left forearm",
        "products": ["lipostabil"],
        "batches": "L123",
    }
    values.update(kw)
    return allergy_test_place(clinic=clinic, patient=patient, actor=nurse, now=now, **values)


def test_placing_records_products_lots_and_an_audit_event(clinic, patient, nurse):
    test = place(clinic, patient, nurse, timezone.now())
    assert test.products == ["lipostabil"] and test.batches == "L123"
    assert AuditEvent.objects.filter(event_type="allergy_test.placed").count() == 1


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"products": ["no-such-product"]}, "products"),
        ({"products": []}, "products"),
        ({"sites": "  "}, "sites"),
        ({"placed_at": timezone.now() + dt.timedelta(days=1)}, "placed_at"),
        ({"placed_at": dt.datetime(2026, 1, 1, 9, 0)}, "placed_at"),  # noqa: DTZ001 (naive on purpose)
    ],
)
def test_placing_with_bad_input_writes_nothing(clinic, patient, nurse, kw, field):
    with pytest.raises(ValidationFailed) as caught:
        place(clinic, patient, nurse, timezone.now(), **kw)
    assert field in caught.value.fields
    assert not AllergyTest.objects.exists()
    assert not AuditEvent.objects.filter(event_type="allergy_test.placed").exists()


def test_a_reading_2_hours_after_placing_is_refused_and_25_hours_accepted(
    clinic, patient, nurse, moving_clock
):
    test = place(clinic, patient, nurse, moving_clock.now())
    moving_clock.advance(dt.timedelta(hours=2))
    with pytest.raises(ValidationFailed) as caught:
        allergy_test_read(
            clinic=clinic,
            test=test,
            actor=nurse,
            read_at=moving_clock.now(),
            result="negative",
            now=moving_clock.now(),
        )
    assert "at least 24 hours" in caught.value.fields["read_at"][0]
    assert not AllergyTestReading.objects.exists()
    moving_clock.advance(dt.timedelta(hours=23))
    reading = allergy_test_read(
        clinic=clinic,
        test=test,
        actor=nurse,
        read_at=moving_clock.now(),
        result="negative",
        now=moving_clock.now(),
    )
    assert reading.result == "negative"


def test_the_clinic_window_is_used_when_longer(clinic, patient, nurse):
    clinic.allergy_test_min_read_hours = 48
    clinic.save()
    placed = timezone.now() - dt.timedelta(hours=30)
    test = place(clinic, patient, nurse, timezone.now(), placed_at=placed)
    with pytest.raises(ValidationFailed) as caught:
        allergy_test_read(
            clinic=clinic,
            test=test,
            actor=nurse,
            read_at=timezone.now(),
            result="negative",
            now=timezone.now(),
        )
    assert "48 hours" in caught.value.message


def test_a_reading_before_placement_or_in_the_future_is_refused(clinic, patient, nurse):
    now = timezone.now()
    test = place(clinic, patient, nurse, now, placed_at=now - dt.timedelta(hours=30))
    for when, text in (
        (now - dt.timedelta(hours=31), "before"),
        (now + dt.timedelta(hours=2), "future"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            allergy_test_read(
                clinic=clinic, test=test, actor=nurse, read_at=when, result="negative", now=now
            )
        assert text in caught.value.fields["read_at"][0]
    assert not AllergyTestReading.objects.exists()


def test_an_unknown_result_is_refused(clinic, patient, nurse):
    now = timezone.now()
    test = place(clinic, patient, nurse, now, placed_at=now - dt.timedelta(hours=30))
    with pytest.raises(ValidationFailed):
        allergy_test_read(
            clinic=clinic, test=test, actor=nurse, read_at=now, result="maybe", now=now
        )
    assert not AllergyTestReading.objects.exists()


def test_a_reading_is_final(clinic, patient, nurse):
    now = timezone.now()
    test = place(clinic, patient, nurse, now, placed_at=now - dt.timedelta(hours=30))
    allergy_test_read(
        clinic=clinic, test=test, actor=nurse, read_at=now, result="negative", now=now
    )
    with pytest.raises(Conflict):
        allergy_test_read(
            clinic=clinic, test=test, actor=nurse, read_at=now, result="positive", now=now
        )
    assert AllergyTestReading.objects.get().result == "negative"
    assert not RecordedAllergy.objects.exists()


def test_a_positive_reading_records_the_allergy_the_facts_then_carry(clinic, patient, nurse):
    now = timezone.now()
    test = place(clinic, patient, nurse, now, placed_at=now - dt.timedelta(hours=30))
    allergy_test_read(
        clinic=clinic, test=test, actor=nurse, read_at=now, result="positive", now=now
    )
    ingredients = set(RecordedAllergy.objects.values_list("ingredient", flat=True))
    assert ingredients == {"phosphatidylcholine", "deoxycholic-acid"}
    assert "soy" in patient_facts_get(patient=patient, now=now).allergens
