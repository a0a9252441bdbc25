"""Text holding a NUL character is refused at every page's door, not stored or crashed on.

PostgreSQL cannot store NUL in text (the view that read the form itself used to answer
500 there) and SQLite would keep it silently. These walk the doors that read a form or a
query string without a Django form field: each refuses with 400 and writes nothing, and
the same request without the NUL still reaches its view. The API refuses NUL through its
own schemas, naming the field (tests/api/test_bad_input.py, test_patients_api.py).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import signed_in_client
from pistor.accounts.models import User
from pistor.allergytests.models import AllergyTestReading
from pistor.audit.models import AuditEvent
from pistor.core.middleware import UNSTORABLE_TEXT_MESSAGE
from pistor.demo.services import demo_load
from pistor.inventory.models import Administration
from pistor.patients.models import Patient
from pistor.records.models import Addendum
from pistor.treatments.models import TreatmentSession

pytestmark = pytest.mark.django_db

NUL = "line one\x00line two"


@pytest.fixture
def practitioner_client(client):
    demo_load()
    return signed_in_client(client, User.objects.get(email="practitioner@harbour.example"))


def _doors():
    """(method, address, form) of each door that reads text outside a form field."""
    session = TreatmentSession.objects.filter(signed_at__isnull=False).first()
    reading = AllergyTestReading.objects.select_related("test").first()
    assert session is not None and reading is not None
    patient = Patient.objects.get(pk=session.patient_id)
    return [
        (
            "post",
            reverse("treatments:addendum", args=[session.pk]),
            {"text": NUL, "reason": "correction"},
        ),
        (
            "post",
            reverse("allergytests:addendum", args=[reading.test.patient_id, reading.test_id]),
            {"text": NUL, "reason": "correction"},
        ),
        (
            "post",
            reverse("inventory:use") + f"?patient={patient.pk}",
            {"product": NUL, "quantity": "1"},
        ),
        # A form built on Django's fields, and a search through the query string.
        ("post", reverse("patients:edit", args=[patient.pk]), {"given_name": NUL}),
        ("get", reverse("patients:list"), {"q": NUL}),
    ]


def _written():
    return (
        AuditEvent.objects.exclude(
            event_type__in=["patient.viewed", "patient.list_viewed"]
        ).count(),
        Addendum.objects.count(),
        Administration.objects.count(),
    )


def test_every_door_refuses_text_holding_nul_and_writes_nothing(practitioner_client):
    before = _written()
    for method, address, form in _doors():
        response = getattr(practitioner_client, method)(address, form)
        assert response.status_code == 400, address
        assert UNSTORABLE_TEXT_MESSAGE in response.content.decode(), address
    assert _written() == before


def test_the_same_requests_without_nul_reach_their_views(practitioner_client):
    for method, address, form in _doors():
        clean = {key: value.replace("\x00", " ") for key, value in form.items()}
        response = getattr(practitioner_client, method)(address, clean)
        assert response.status_code != 400 or UNSTORABLE_TEXT_MESSAGE not in str(
            response.content
        ), address
        assert response.status_code < 500, address


def test_a_nul_in_a_field_name_is_refused_too(practitioner_client):
    patient = Patient.objects.order_by("pk").first()
    assert patient is not None
    response = practitioner_client.post(
        reverse("patients:edit", args=[patient.pk]), {"given\x00name": "Ana"}
    )
    assert response.status_code == 400
    assert UNSTORABLE_TEXT_MESSAGE in response.content.decode()
