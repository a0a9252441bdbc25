"""Consultation pages: recording with the checklist, the screen shown, overriding a warning."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import signed_in_client
from pistor.clinical.catalog import load_catalog
from pistor.consultations.models import Consultation, ScreeningOverride
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.pathway import make_consultation, make_intake, make_override
from pistor.testing.queries import assert_query_cap

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    p = PatientFactory(clinic=clinic)
    make_intake(p, medications=["coumarin"])
    return p


def form_data(**extra):
    data = {
        "indications": ["localised-fat"],
        "area_0": "abdomen",
        "findings_0": ["scar"],
        "products": ["lipostabil"],
        "anaesthesia": "topical-cream",
        "expectations_discussed": "on",
        "scale__pain-nrs__pain": "",
    }
    for item in load_catalog().checklist:
        data[f"check_{item.code}"] = "on"
    data.update(extra)
    return data


def test_the_practitioner_records_and_sees_the_anticoagulant_warning(client, patient, practitioner):
    c = signed_in_client(client, practitioner)
    response = c.post(reverse("consultations:record", args=[patient.pk]), form_data())
    assert response.status_code == 302, response.content.decode()[:3000]
    consultation = Consultation.objects.get()
    page = c.get(response["Location"]).content.decode()
    assert "bleeding" in page.lower()
    assert 'id="override-form"' in page
    assert consultation.area_findings == {"abdomen": ["scar"]}


def test_an_unanswered_checklist_point_is_refused_on_the_page(client, patient, nurse):
    c = signed_in_client(client, nurse)
    data = form_data()
    del data["check_consent"]
    response = c.post(reverse("consultations:record", args=[patient.pk]), data)
    assert response.status_code == 422
    assert "still open" in response.content.decode()
    assert not Consultation.objects.exists()


def test_override_with_a_reason_then_without(client, patient, practitioner):
    consultation = make_consultation(patient, practitioner, products=["lipostabil"])
    c = signed_in_client(client, practitioner)
    url = reverse("consultations:override", args=[patient.pk, consultation.pk])
    short = c.post(url, {"finding_codes": ["bleeding-risk-strong"], "reason": "ok"})
    assert short.status_code == 422 and 'id="override-errors"' in short.content.decode()
    assert not ScreeningOverride.objects.exists()
    done = c.post(url, {"finding_codes": ["bleeding-risk-strong"], "reason": "GP agrees; INR 2.1"})
    assert done.status_code == 302
    page = c.get(done["Location"]).content.decode()
    assert "GP agrees; INR 2.1" in page


@pytest.mark.parametrize("who", ["nurse", "manager", "receptionist"])
def test_only_a_practitioner_may_override(client, patient, practitioner, request, who):
    consultation = make_consultation(patient, practitioner, products=["lipostabil"])
    c = signed_in_client(client, request.getfixturevalue(who))
    url = reverse("consultations:override", args=[patient.pk, consultation.pk])
    response = c.post(url, {"finding_codes": ["bleeding-risk-strong"], "reason": "A long reason"})
    assert response.status_code == 403
    assert not ScreeningOverride.objects.exists()


def test_reception_may_neither_read_nor_record(client, patient, practitioner, receptionist):
    consultation = make_consultation(patient, practitioner)
    c = signed_in_client(client, receptionist)
    assert c.get(reverse("consultations:list", args=[patient.pk])).status_code == 403
    assert c.get(reverse("consultations:record", args=[patient.pk])).status_code == 403
    detail = reverse("consultations:detail", args=[patient.pk, consultation.pk])
    assert c.get(detail).status_code == 403


def test_another_clinics_consultation_is_a_404(
    client, other_clinic, practitioner, other_clinic_user
):
    stranger: Any = PatientFactory(clinic=other_clinic)
    theirs = make_consultation(stranger, other_clinic_user)
    c = signed_in_client(client, practitioner)
    assert c.get(reverse("consultations:list", args=[stranger.pk])).status_code == 404
    assert c.get(reverse("consultations:detail", args=[stranger.pk, theirs.pk])).status_code == 404


def test_the_detail_page_queries_are_capped(client, patient, practitioner):
    consultation = make_consultation(patient, practitioner, products=["lipostabil"])
    c = signed_in_client(client, practitioner)
    url = reverse("consultations:detail", args=[patient.pk, consultation.pk])

    def grow(n):
        for _ in range(n):
            make_override(consultation, practitioner, ["bleeding-risk-strong"], "reason given")
            make_consultation(patient, practitioner, consulted_at=consultation.consulted_at)

    c.get(url)
    assert_query_cap(
        lambda: c.get(url),
        grow=grow,
        sizes=(2, 30),
        cap=25,
        check=lambda r: r.status_code == 200,
    )
