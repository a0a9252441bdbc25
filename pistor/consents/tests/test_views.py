"""Consent pages through the test client: draw up, sign, countersign, freeze, links, PDF."""

from __future__ import annotations

import datetime as dt
import functools
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from conftest import signed_in_client
from pistor.consents.models import Consent
from pistor.consents.services import consent_link_create
from pistor.consents.tests.factories import draft_consent, signature_data_url, signed_consent
from pistor.patients.tests.factories import PatientFactory
from pistor.records.services import record_verify
from pistor.testing.queries import assert_query_cap

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, given_name="Amara", family_name="Okafor")


def test_practitioner_draws_up_patient_signs_at_desk_and_countersigns(
    client, clinic, patient, practitioner
):
    signed_in_client(client, practitioner)
    response = client.post(
        reverse("consents:create", args=[patient.pk]),
        {
            "kind": "treatment",
            "indication_code": "skin-rejuvenation",
            "product_codes": ["nctf-135ha"],
        },
    )
    consent = Consent.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/consents/{consent.pk}/")
    page = client.get(reverse("consents:detail", args=[consent.pk]))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert (
        b"How strong the evidence is" in page.content
        and b"patient-signature-canvas" in page.content
    )
    response = client.post(
        reverse("consents:sign", args=[consent.pk]),
        {"signed_name": "Amara Okafor", "signature": signature_data_url()},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("consents:countersign", args=[consent.pk]), {"signature": signature_data_url()}
    )
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.is_signed and record_verify(consent)
    page = client.get(reverse("consents:detail", args=[consent.pk]))
    assert b"cannot be changed" in page.content and b"patient-signature-image" in page.content


def test_a_bad_signature_on_the_page_shows_a_message_and_writes_nothing(
    client, clinic, patient, practitioner
):
    consent = draft_consent(clinic=clinic, patient=patient, by=practitioner)
    signed_in_client(client, practitioner)
    response = client.post(
        reverse("consents:sign", args=[consent.pk]),
        {"signed_name": "Amara Okafor", "signature": "data:image/png;base64,aGVsbG8="},
    )
    assert response.status_code == 422 and b"not a valid PNG" in response.content
    consent.refresh_from_db()
    assert not consent.patient_has_signed


def test_no_page_changes_a_signed_consent(client, clinic, patient, practitioner):
    consent = signed_consent(clinic=clinic, patient=patient, by=practitioner)
    before = (consent.content_sha256, bytes(consent.patient_signature or b""))
    signed_in_client(client, practitioner)
    for name, data in [
        ("consents:sign", {"signed_name": "Forger", "signature": signature_data_url()}),
        ("consents:countersign", {"signature": signature_data_url()}),
        ("consents:link", {}),
    ]:
        response = client.post(reverse(name, args=[consent.pk]), data)
        assert response.status_code == 409, name
    consent.refresh_from_db()
    assert (consent.content_sha256, bytes(consent.patient_signature or b"")) == before
    assert consent.patient_signed_name == "Amara Okafor"


def test_withdrawing_on_the_page_needs_a_reason(client, clinic, patient, practitioner):
    consent = signed_consent(clinic=clinic, patient=patient, by=practitioner)
    signed_in_client(client, practitioner)
    assert (
        client.post(reverse("consents:withdraw", args=[consent.pk]), {"reason": ""}).status_code
        == 422
    )
    response = client.post(
        reverse("consents:withdraw", args=[consent.pk]), {"reason": "Moving away."}
    )
    assert response.status_code == 302
    page = client.get(reverse("consents:detail", args=[consent.pk]))
    assert b"withdrawn" in page.content and b"Moving away." in page.content


def test_reception_may_not_open_consents_and_other_clinics_get_404(
    client, clinic, patient, practitioner, receptionist, other_clinic_user
):
    consent = draft_consent(clinic=clinic, patient=patient, by=practitioner)
    signed_in_client(client, receptionist)
    assert client.get(reverse("consents:detail", args=[consent.pk])).status_code == 403
    client.logout()
    signed_in_client(client, other_clinic_user)
    assert client.get(reverse("consents:detail", args=[consent.pk])).status_code == 404
    assert client.get(reverse("consents:list", args=[patient.pk])).status_code == 404


def test_nurse_cannot_countersign(client, clinic, patient, practitioner, nurse):
    consent = draft_consent(clinic=clinic, patient=patient, by=practitioner)
    signed_in_client(client, nurse)
    response = client.post(
        reverse("consents:countersign", args=[consent.pk]), {"signature": signature_data_url()}
    )
    assert response.status_code == 403


def test_patient_signs_through_the_link_once(client, clinic, patient, practitioner):
    consent = draft_consent(clinic=clinic, patient=patient, by=practitioner)
    _, token = consent_link_create(consent=consent, by=practitioner)
    url = reverse("consents:public_sign", args=[token])
    page = client.get(url)
    assert page.status_code == 200 and b"public-signature-canvas" in page.content
    assert "no-store" in page["Cache-Control"]
    bad = client.post(url, {"signed_name": "Amara Okafor", "signature": ""})
    assert bad.status_code == 422
    done = client.post(url, {"signed_name": "Amara Okafor", "signature": signature_data_url()})
    assert done.status_code == 200 and b"Thank you" in done.content
    consent.refresh_from_db()
    assert consent.patient_signed_via == "link"
    again = client.get(url)
    assert again.status_code == 410 and b"already been used" in again.content


def test_a_refused_signature_names_its_faults_to_a_screen_reader(
    client, clinic, patient, practitioner
):
    consent = draft_consent(clinic=clinic, patient=patient, by=practitioner)
    _, token = consent_link_create(consent=consent, by=practitioner)
    url = reverse("consents:public_sign", args=[token])

    def described_fault(html: str, element: str) -> str:
        tag = re.search(element, html)
        assert tag is not None, element
        described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
        assert described is not None, tag.group(0)
        fault = re.search(rf'<ul class="errorlist" id="{described.group(1)}"[^>]*>(.*?)</ul>', html)
        assert fault is not None, described.group(1)
        return fault.group(1)

    too_long = client.post(url, {"signed_name": "x" * 201, "signature": ""})
    assert too_long.status_code == 422
    html = too_long.content.decode()
    name = r'<input[^>]*id="public-signed-name"[^>]*>'
    assert "200 characters" in described_fault(html, name)
    assert 'aria-invalid="true"' in re.search(name, html).group(0)  # type: ignore[union-attr]

    unsigned = client.post(url, {"signed_name": "Amara Okafor", "signature": ""})
    assert unsigned.status_code == 422
    assert "<li>" in described_fault(unsigned.content.decode(), r"<canvas[^>]*>")


def test_expired_and_tampered_links_are_refused_with_a_clear_page(
    client, clinic, patient, practitioner
):
    consent = draft_consent(clinic=clinic, patient=patient, by=practitioner)
    _, token = consent_link_create(
        consent=consent, by=practitioner, now=timezone.now() - dt.timedelta(hours=49)
    )
    expired = client.get(reverse("consents:public_sign", args=[token]))
    assert expired.status_code == 410 and b"has expired" in expired.content
    _, token = consent_link_create(consent=consent, by=practitioner)
    tampered = client.get(reverse("consents:public_sign", args=[token[:-3] + "xyz"]))
    assert tampered.status_code == 404 and b"not valid" in tampered.content
    posted = client.post(
        reverse("consents:public_sign", args=["forged"]),
        {"signed_name": "X", "signature": signature_data_url()},
    )
    assert posted.status_code == 404
    consent.refresh_from_db()
    assert not consent.patient_has_signed


def test_the_pdf_carries_the_name_the_text_and_both_signature_images(
    client, clinic, patient, practitioner
):
    consent = signed_consent(clinic=clinic, patient=patient, by=practitioner)
    signed_in_client(client, practitioner)
    response = client.get(reverse("consents:pdf", args=[consent.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Amara Okafor" in text and "Your right to change your mind" in text
    images = [image for page in reader.pages for image in page.images]
    assert len(images) >= 2


def _ok(response):
    assert response.status_code == 200


def test_consent_pages_have_a_query_cap(client, clinic, patient, practitioner):
    consent = signed_consent(clinic=clinic, patient=patient, by=practitioner)
    signed_in_client(client, practitioner)

    def grow(n):
        for _ in range(n):
            signed_consent(clinic=clinic, patient=patient, by=practitioner)

    for url in (
        reverse("consents:detail", args=[consent.pk]),
        reverse("consents:list", args=[patient.pk]),
    ):
        assert_query_cap(
            functools.partial(client.get, url),
            grow=grow,
            sizes=(2, 12),
            cap=25,
            check=_ok,
        )
