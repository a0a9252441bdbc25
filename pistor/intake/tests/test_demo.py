"""The demo shows each stage of the first visit, and loading it again changes nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from pistor.allergytests.models import AllergyTest
from pistor.consultations.models import Consultation
from pistor.consultations.selectors import consultation_latest, override_facts_get
from pistor.demo.services import demo_load
from pistor.intake.models import IntakeForm, IntakeLink
from pistor.intake.selectors import patient_facts_get
from pistor.patients.models import Patient

pytestmark = pytest.mark.django_db


def _p(given):
    return Patient.objects.get(given_name=given, clinic__slug="harbour-skin-clinic")


def test_the_demo_has_patients_at_each_stage_and_reloads_idempotently():
    demo_load()
    assert IntakeLink.objects.filter(patient=_p("Zoë"), used_at__isnull=True).exists()
    assert IntakeForm.objects.filter(patient=_p("José"), status="complete").exists()
    override = override_facts_get(patient=_p("Siobhán"))
    assert override is not None and any(c.startswith("bleeding") for c in override.finding_codes)
    waiting = AllergyTest.objects.get(patient=_p("Ngozi"))
    assert not hasattr(waiting, "reading")
    assert AllergyTest.objects.get(patient=_p("Björn")).reading.result == "negative"
    chloe = _p("Chloé")
    assert "soy" in patient_facts_get(patient=chloe, now=timezone.now()).allergens
    latest = consultation_latest(patient=chloe)
    assert latest is not None
    assert any(f["severity"] == "block" and "soy" in f["code"] for f in latest.screening)
    counts = (IntakeForm.objects.count(), Consultation.objects.count(), AllergyTest.objects.count())
    demo_load()
    assert (
        IntakeForm.objects.count(),
        Consultation.objects.count(),
        AllergyTest.objects.count(),
    ) == counts
