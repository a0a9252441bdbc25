"""The demo shows a plan ready with its gate open and a soy-allergic patient blocked."""

from __future__ import annotations

import pytest
from django.utils import timezone

from pistor.audit.services import audit_verify
from pistor.consents.models import Consent
from pistor.demo.services import demo_load
from pistor.patients.models import Patient
from pistor.plans.models import Plan, PriceItem
from pistor.plans.selectors import plan_gate, plan_get

pytestmark = pytest.mark.django_db


def _plan(given):
    patient = Patient.objects.get(given_name=given, clinic__slug="harbour-skin-clinic")
    plan = Plan.objects.get(patient=patient)
    return plan_get(clinic_id=plan.clinic_id, pk=plan.pk)


def test_the_demo_has_a_ready_plan_and_a_blocked_one_and_reloads_idempotently():
    demo_load()
    ready = plan_gate(plan=_plan("Björn"), now=timezone.now())
    assert ready.open, [(s.key, s.problems) for s in ready.steps]
    blocked = plan_gate(plan=_plan("Chloé"), now=timezone.now())
    assert not blocked.open
    assert "soy" in " ".join(p for s in blocked.steps for p in s.problems).lower()
    counts = (Plan.objects.count(), Consent.objects.count(), PriceItem.objects.count())
    demo_load()
    assert (Plan.objects.count(), Consent.objects.count(), PriceItem.objects.count()) == counts
    assert not audit_verify()
