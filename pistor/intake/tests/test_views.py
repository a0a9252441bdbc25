"""Intake pages through the client: roles, other clinics, the desk form and the patient link."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import signed_in_client
from pistor.intake.models import IntakeForm, IntakeLink
from pistor.intake.services import intake_link_create
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.pathway import bulk_intakes, make_intake
from pistor.testing.queries import assert_query_cap

pytestmark = pytest.mark.django_db

GOOD = {
    "pregnant": "no",
    "breastfeeding": "no",
    "smoking": "never",
    "sun_exposure": "low",
    "weight_kg": "70",
    "fitzpatrick": "2",
    "medications": ["coumarin"],
    "save": "complete",
}


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic)


def test_reception_fills_the_form_at_the_desk(client, patient, receptionist):
    c = signed_in_client(client, receptionist)
    url = reverse("intake:record", args=[patient.pk])
    assert c.get(url).status_code == 200
    response = c.post(url, GOOD)
    assert response.status_code == 302
    form = IntakeForm.objects.get()
    assert form.status == "complete" and form.medications == ["coumarin"]


def test_reception_may_not_read_the_history(client, patient, receptionist):
    c = signed_in_client(client, receptionist)
    assert c.get(reverse("intake:history", args=[patient.pk])).status_code == 403


@pytest.mark.parametrize("weight", ["0", "900"])
def test_an_implausible_weight_is_shown_beside_the_field(client, patient, nurse, weight):
    c = signed_in_client(client, nurse)
    response = c.post(reverse("intake:record", args=[patient.pk]), {**GOOD, "weight_kg": weight})
    assert response.status_code == 422
    assert 'id="errors-weight_kg"' in response.content.decode()
    assert not IntakeForm.objects.exists()


def test_a_code_outside_the_catalog_is_refused_on_the_page(client, patient, nurse):
    c = signed_in_client(client, nurse)
    response = c.post(reverse("intake:record", args=[patient.pk]), {**GOOD, "allergens": ["x"]})
    assert response.status_code == 422
    assert not IntakeForm.objects.exists()


def test_a_draft_is_saved_without_the_required_answers(client, patient, nurse):
    c = signed_in_client(client, nurse)
    response = c.post(reverse("intake:record", args=[patient.pk]), {"save": "draft"})
    assert response.status_code == 302
    assert IntakeForm.objects.get().status == "draft"


def test_another_clinics_patient_is_a_404(client, other_clinic, practitioner):
    stranger: Any = PatientFactory(clinic=other_clinic)
    c = signed_in_client(client, practitioner)
    for name in ("intake:history", "intake:record"):
        assert c.get(reverse(name, args=[stranger.pk])).status_code == 404
    assert c.post(reverse("intake:link_create", args=[stranger.pk])).status_code == 404


def test_the_history_page_is_private_and_its_queries_capped(client, patient, practitioner):
    c = signed_in_client(client, practitioner)
    url = reverse("intake:history", args=[patient.pk])
    made = {"n": 0}

    def grow(n):
        bulk_intakes(patient, n, start=made["n"] + 1)
        made["n"] += n

    c.get(url)  # first request of the session: warms the session and audit chain rows
    assert_query_cap(
        lambda: c.get(url),
        grow=grow,
        sizes=(3, 120),
        cap=20,
        check=lambda r: r.status_code == 200,
    )
    assert "no-store" in c.get(url)["Cache-Control"]


def test_reception_sends_a_link_the_patient_completes_once(client, patient, receptionist):
    c = signed_in_client(client, receptionist)
    response = c.post(reverse("intake:link_create", args=[patient.pk]))
    assert response.status_code == 200
    url = response.context["url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert token not in IntakeLink.objects.get().token_hash
    client.logout()
    path = reverse("intake:fill", args=[token])
    assert client.get(path).status_code == 200
    response = client.post(path, GOOD)
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    assert IntakeForm.objects.get().source == "link"
    again = client.get(path)
    assert again.status_code == 410 and "already been used" in again.content.decode()


def test_expired_and_tampered_links_get_a_clear_page(client, patient, receptionist):
    _, token = intake_link_create(
        clinic=patient.clinic,
        patient=patient,
        actor=receptionist,
        now=timezone.now() - dt.timedelta(days=8),
    )
    expired = client.get(reverse("intake:fill", args=[token]))
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    tampered = client.post(reverse("intake:fill", args=[token[:-2] + "zz"]), GOOD)
    assert tampered.status_code == 404 and "not valid" in tampered.content.decode()
    assert not IntakeForm.objects.exists()


def test_an_incomplete_patient_submission_shows_what_is_missing(client, patient, receptionist):
    _, token = intake_link_create(
        clinic=patient.clinic, patient=patient, actor=receptionist, now=timezone.now()
    )
    response = client.post(reverse("intake:fill", args=[token]), {"pregnant": "no"})
    assert response.status_code == 422
    assert 'id="errors-weight_kg"' in response.content.decode()


def test_the_patient_page_links_to_the_pathway(client, patient, practitioner):
    make_intake(patient)
    c = signed_in_client(client, practitioner)
    html = c.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert reverse("intake:history", args=[patient.pk]) in html
    assert reverse("allergytests:list", args=[patient.pk]) in html


def test_the_screen_opened_from_a_patient_starts_from_the_record(client, patient, practitioner):
    make_intake(patient, medications=["coumarin"], allergens=["soy"], weight_kg="77.0")
    c = signed_in_client(client, practitioner)
    html = c.get(reverse("tools:screen") + f"?patient={patient.pk}").content.decode()
    assert '<option value="coumarin" selected>' in html
    assert '<option value="soy" selected>' in html
    assert 'value="77.0"' in html
    assert "Nothing typed here is stored" not in html
    assert 'id="save-facts-to-record"' in html


def test_facts_changed_in_a_tool_are_saved_back_as_a_new_version(client, patient, practitioner):
    make_intake(patient, medications=["coumarin"], smoking="current")
    c = signed_in_client(client, practitioner)
    response = c.post(
        reverse("intake:from_tools"),
        {"patient_id": patient.pk, "medications": ["aspirin"], "weight_kg": "70", "pregnant": "on"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and 'id="facts-saved"' in response.content.decode()
    latest = IntakeForm.objects.get(version=2)
    assert latest.source == "tools" and latest.medications == ["aspirin"]
    assert latest.pregnant is True and latest.smoking == "current"  # carried over


def test_saving_bad_facts_from_a_tool_writes_nothing(client, patient, practitioner):
    make_intake(patient)
    c = signed_in_client(client, practitioner)
    response = c.post(reverse("intake:from_tools"), {"patient_id": patient.pk, "weight_kg": "900"})
    assert response.status_code == 422
    assert IntakeForm.objects.count() == 1
