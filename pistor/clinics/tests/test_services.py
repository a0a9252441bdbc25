"""Opening a clinic, and the clinic settings that the care-pathway gates read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from pistor.audit.models import AuditEvent
from pistor.clinical.gates import AllergyTestFacts, BatchFacts, ConsentFacts, can_start_session
from pistor.clinical.safety import Screening
from pistor.clinics.models import Clinic
from pistor.clinics.services import clinic_create
from pistor.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def test_a_new_clinic_reads_allergy_tests_after_24_hours_unless_it_chooses_longer():
    default = clinic_create(name="Harbour", slug="harbour")
    cautious = clinic_create(name="Quayside", slug="quayside", allergy_test_min_read_hours=48)
    assert default.allergy_test_min_read_hours == 24
    assert cautious.allergy_test_min_read_hours == 48
    event = AuditEvent.objects.get(clinic=cautious, event_type="clinic.created")
    assert event.after is not None
    assert event.after["allergy_test_min_read_hours"] == 48


def test_a_clinic_cannot_read_allergy_tests_sooner_than_24_hours():
    with pytest.raises(ValidationFailed) as caught:
        clinic_create(name="Hasty", slug="hasty", allergy_test_min_read_hours=12)
    assert "never less" in caught.value.fields["allergy_test_min_read_hours"][0]
    assert not Clinic.objects.filter(slug="hasty").exists()


def test_the_database_refuses_a_read_window_below_24_hours_written_around_the_service():
    clinic = clinic_create(name="Harbour", slug="harbour")
    with pytest.raises(IntegrityError), transaction.atomic():
        Clinic.objects.filter(pk=clinic.pk).update(allergy_test_min_read_hours=23)


def test_the_session_gate_honours_the_clinics_longer_read_window():
    clinic = clinic_create(name="Quayside", slug="quayside", allergy_test_min_read_hours=48)
    now = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
    read_after_30_hours = AllergyTestFacts(
        frozenset({"redensity-1"}), now - timedelta(hours=40), now - timedelta(hours=10), "negative"
    )
    decision = can_start_session(
        consent=ConsentFacts(now - timedelta(days=3), frozenset({"plan-1"}), withdrawn=False),
        plan_code="plan-1",
        products_used=["redensity-1"],
        allergy_tests=[read_after_30_hours],
        screening=Screening(()),
        override=None,
        batches=[BatchFacts("redensity-1", "LOT-1", date(2027, 12, 31), Decimal(3))],
        now=now,
        min_read_hours=clinic.allergy_test_min_read_hours,
    )
    assert not decision.allowed
    assert any("48" in reason.message for reason in decision.reasons)
