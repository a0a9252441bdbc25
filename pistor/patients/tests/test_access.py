from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import RequestFactory

from pistor.audit.models import AuditEvent
from pistor.clinics.permissions import Action
from pistor.core.errors import Forbidden, NotFound
from pistor.patients.access import patient_get_for_user
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PISTOR = Path(__file__).resolve().parents[2]


def viewed_events():
    return list(AuditEvent.objects.filter(event_type="patient.viewed"))


def test_opening_a_record_is_audited(clinic, nurse):
    patient = PatientFactory.create(clinic=clinic)
    got = patient_get_for_user(request_or_user=nurse, clinic=clinic, pk=patient.pk)
    assert got == patient
    (event,) = viewed_events()
    assert (event.clinic_id, event.actor, event.subject_type, event.subject_id) == (
        clinic.pk,
        nurse,
        "patient",
        str(patient.pk),
    )


def test_a_request_uses_its_membership(clinic, receptionist):
    patient = PatientFactory.create(clinic=clinic)
    request = RequestFactory().get("/")
    request.user = receptionist
    request.membership = receptionist.memberships.get()  # type: ignore[attr-defined]
    assert patient_get_for_user(request_or_user=request, clinic=clinic, pk=patient.pk) == patient
    assert viewed_events()[0].actor == receptionist


def test_another_clinics_patient_is_not_found_and_not_audited(clinic, other_clinic, nurse):
    theirs = PatientFactory.create(clinic=other_clinic)
    with pytest.raises(NotFound):
        patient_get_for_user(request_or_user=nurse, clinic=clinic, pk=theirs.pk)
    assert viewed_events() == []


def test_a_user_without_membership_of_the_clinic_is_refused(clinic, other_clinic_user):
    patient = PatientFactory.create(clinic=clinic)
    with pytest.raises(Forbidden):
        patient_get_for_user(request_or_user=other_clinic_user, clinic=clinic, pk=patient.pk)
    assert viewed_events() == []


def test_an_inactive_membership_gives_no_access(clinic):
    user = UserFactory()
    MembershipFactory(user=user, clinic=clinic, role="practitioner", is_active=False)
    patient = PatientFactory.create(clinic=clinic)
    with pytest.raises(Forbidden):
        patient_get_for_user(request_or_user=user, clinic=clinic, pk=patient.pk)


def test_the_role_must_allow_the_action(clinic, nurse, practitioner):
    patient = PatientFactory.create(clinic=clinic)
    with pytest.raises(Forbidden):
        patient_get_for_user(
            request_or_user=nurse, clinic=clinic, pk=patient.pk, action=Action.PATIENT_ARCHIVE
        )
    assert patient_get_for_user(
        request_or_user=practitioner, clinic=clinic, pk=patient.pk, action=Action.PATIENT_ARCHIVE
    )


def test_views_and_api_never_query_patients_directly():
    """Pages and endpoints fetch patients through access.py, which checks role and audits."""
    offenders = []
    for pattern in ("**/views.py", "**/api.py", "**/views/*.py", "**/api/*.py"):
        for path in PISTOR.glob(pattern):
            if "tests" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            if re.search(r"\bPatient\.objects\b|\bPatient\._default_manager\b", text):
                offenders.append(str(path.relative_to(PISTOR.parent)))
    assert offenders == [], f"use pistor.patients.access instead of Patient.objects in {offenders}"
    # The scan really covers the modules it guards.
    assert (PISTOR / "patients" / "views.py").exists()
