"""An allergy-test reading is a signed record: hashed as read, refused any change by the
database itself, corrected only by addenda shown beside it (pages and API)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from conftest import signed_in_client
from pistor.allergytests.models import AllergyTestReading
from pistor.allergytests.services import allergy_reading_add_addendum, allergy_test_read
from pistor.audit.models import AuditEvent
from pistor.core.errors import ValidationFailed
from pistor.patients.tests.factories import PatientFactory
from pistor.records.guard import SIGNED_ROW_MESSAGE
from pistor.records.models import Addendum
from pistor.records.services import record_verify
from pistor.testing.pathway import make_test
from tests.api.helpers import ApiClient, assert_error_shape, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic)


@pytest.fixture
def reading(clinic, patient, nurse):
    now = timezone.now()
    test = make_test(patient, nurse, result=None)
    test.placed_at = now - dt.timedelta(hours=30)
    test.save(update_fields=["placed_at"])
    return allergy_test_read(
        clinic=clinic, test=test, actor=nurse, read_at=now, result="negative", now=now
    )


def test_a_reading_is_signed_by_its_reader_with_the_hash_of_what_was_read(reading, nurse):
    stored = AllergyTestReading.objects.get(pk=reading.pk)
    assert stored.is_signed and stored.signed_by == nurse
    assert stored.content["result"] == "negative" and stored.content["test"] == reading.test_id
    assert record_verify(stored)
    assert AuditEvent.objects.filter(
        event_type="allergy_test.reading_signed", subject_id=str(reading.pk)
    ).exists()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE allergytests_allergytestreading SET result = 'positive' WHERE id = %s",
        "DELETE FROM allergytests_allergytestreading WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_a_signed_reading(reading, statement):
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as c:
        c.execute(statement, [reading.pk])
    assert SIGNED_ROW_MESSAGE in str(caught.value)
    assert AllergyTestReading.objects.get(pk=reading.pk).result == "negative"


def test_an_addendum_is_added_beside_the_reading_and_shown_on_the_page(
    client, patient, reading, nurse
):
    c = signed_in_client(client, nurse)
    url = reverse("allergytests:addendum", args=[patient.pk, reading.test_id])
    response = c.post(url, {"text": "Faint redness at 48 h.", "reason": "Seen at follow-up."})
    assert response.status_code == 302
    page = c.get(reverse("allergytests:list", args=[patient.pk])).content.decode()
    assert "Faint redness at 48 h." in page and "Seen at follow-up." in page
    assert AllergyTestReading.objects.get(pk=reading.pk).result == "negative"


def test_an_addendum_without_a_reason_is_refused_and_nothing_is_written(
    client, patient, reading, nurse
):
    c = signed_in_client(client, nurse)
    url = reverse("allergytests:addendum", args=[patient.pk, reading.test_id])
    response = c.post(url, {"text": "Something.", "reason": " "})
    assert response.status_code == 422
    assert "A reason is required." in response.content.decode()
    assert not Addendum.objects.exists()
    with pytest.raises(ValidationFailed):
        allergy_reading_add_addendum(reading=reading, author=nurse, text="", reason="Why.")
    assert not Addendum.objects.exists()


def test_an_addendum_on_a_test_not_yet_read_is_a_404(client, patient, nurse):
    unread = make_test(patient, nurse, result=None)
    c = signed_in_client(client, nurse)
    url = reverse("allergytests:addendum", args=[patient.pk, unread.pk])
    assert c.post(url, {"text": "x", "reason": "y"}).status_code == 404
    assert not Addendum.objects.exists()


def test_the_api_adds_an_addendum_and_lists_it_with_the_signed_reading(
    client, clinic, patient, reading, nurse, receptionist
):
    api = ApiClient(client, token_for(nurse, clinic))
    base = f"/api/v1/patients/{patient.pk}/allergy-tests"
    created = api.post(
        f"{base}/{reading.test_id}/reading/addenda",
        {"text": "Faint redness at 48 h.", "reason": "Seen at follow-up."},
    )
    assert created.status_code == 201, created.content
    listed = api.get(base).json()
    (test,) = listed
    assert test["reading"]["content_sha256"] == reading.content_sha256
    assert [a["text"] for a in test["reading_addenda"]] == ["Faint redness at 48 h."]
    refused = ApiClient(client, token_for(receptionist, clinic)).post(
        f"{base}/{reading.test_id}/reading/addenda", {}
    )
    assert_error_shape(refused, 403)
    assert Addendum.objects.count() == 1
