"""Plan pages: create from a protocol, the dated course, quote PDF, gate panel, prices."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from conftest import signed_in_client
from pistor.patients.tests.factories import PatientFactory
from pistor.plans.models import Plan, PriceItem, PricingSettings
from pistor.plans.tests.factories import fat_plan, rejuvenation_plan, standard_prices
from pistor.testing.pathway import make_intake
from pistor.testing.queries import assert_query_cap

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, given_name="Amara", family_name="Okafor")


def _ok(response):
    assert response.status_code == 200


def test_creating_a_plan_on_the_page_shows_the_dated_course(client, clinic, patient, practitioner):
    signed_in_client(client, practitioner)
    page = client.get(reverse("plans:list", args=[patient.pk]))
    assert page.status_code == 200 and b"seed-course-10-weekly" in page.content
    response = client.post(
        reverse("plans:create", args=[patient.pk]),
        {
            "protocol_code": "skin-rejuvenation:seed-course-10-weekly",
            "first_session": "2026-12-07",
            "areas": "Face, neck",
            "technique_code": "nappage",
            "product_codes": ["nctf-135ha"],
        },
    )
    plan = Plan.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("plans:detail", args=[plan.pk]))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert b"Mon 7 Dec 2026" in page.content and b"Mon 14 Dec 2026" in page.content
    assert b"course-timeline" in page.content and b"gate-panel" in page.content
    assert plan.areas == ["face", "neck"]


def test_a_plan_outside_the_protocol_without_reason_shows_the_warning_and_writes_nothing(
    client, clinic, patient, practitioner
):
    signed_in_client(client, practitioner)
    response = client.post(
        reverse("plans:create", args=[patient.pk]),
        {
            "protocol_code": "skin-rejuvenation:seed-course-10-weekly",
            "first_session": "2026-12-07",
            "sessions": "30",
            "areas": "face",
            "technique_code": "nappage",
            "product_codes": ["nctf-135ha"],
        },
    )
    assert response.status_code == 422 and b"Give a reason" in response.content
    assert Plan.objects.count() == 0


def test_the_quote_pdf_has_the_patient_plan_and_totals(
    client, clinic, patient, practitioner, manager
):
    standard_prices(clinic=clinic, by=manager)
    plan = rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner)
    signed_in_client(client, practitioner)
    response = client.get(reverse("plans:quote_pdf", args=[plan.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Amara Okafor" in text and plan.protocol_name in text and "Harbour Skin Clinic" in text
    assert "3040.00" in text  # 16 sessions × (150 + 40)


def test_the_soy_allergic_patients_plan_page_says_why_in_plain_words(
    client, clinic, patient, practitioner
):
    make_intake(patient, allergens=["soy"])
    plan = fat_plan(clinic=clinic, patient=patient, by=practitioner)
    signed_in_client(client, practitioner)
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert 'data-open="false"' in page
    assert "soy" in page.lower() and "cannot be overridden" in page


def test_reception_cannot_see_plans_and_other_clinics_get_404(
    client, clinic, patient, practitioner, receptionist, other_clinic_user
):
    plan = rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner)
    signed_in_client(client, receptionist)
    assert client.get(reverse("plans:detail", args=[plan.pk])).status_code == 403
    client.logout()
    signed_in_client(client, other_clinic_user)
    assert client.get(reverse("plans:detail", args=[plan.pk])).status_code == 404
    assert client.get(reverse("plans:quote_pdf", args=[plan.pk])).status_code == 404


def test_managers_keep_the_price_list(client, clinic, manager, practitioner):
    signed_in_client(client, manager)
    response = client.post(
        reverse("plans:price_set"),
        {"kind": "session", "indication_code": "skin-rejuvenation", "area": "", "amount": "150"},
    )
    assert response.status_code == 302 and PriceItem.objects.get().amount == 150
    bad = client.post(
        reverse("plans:price_set"),
        {"kind": "product", "product_code": "nctf-135ha", "amount": "-5"},
    )
    assert bad.status_code == 422 and PriceItem.objects.count() == 1
    assert client.post(reverse("plans:vat_set"), {"vat_rate": "20"}).status_code == 302
    assert PricingSettings.objects.get().vat_rate == 20
    assert client.post(reverse("plans:vat_set"), {"vat_rate": "120"}).status_code == 422
    client.logout()
    signed_in_client(client, practitioner)
    assert client.get(reverse("plans:prices")).status_code == 403


def test_the_plan_page_has_a_query_cap(client, clinic, patient, practitioner):
    make_intake(patient)
    plan = rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner)
    signed_in_client(client, practitioner)

    def grow(n):
        for _ in range(n):
            rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner)
        make_intake(patient, version=1000 + n)

    assert_query_cap(
        lambda: client.get(reverse("plans:detail", args=[plan.pk])),
        grow=grow,
        sizes=(2, 8),
        cap=40,
        check=_ok,
    )


def test_the_consent_drawn_up_from_a_plan_states_the_course_and_its_cost(
    client, clinic, patient, practitioner, manager
):
    from pistor.consents.models import Consent

    standard_prices(clinic=clinic, by=manager)
    plan = rejuvenation_plan(clinic=clinic, patient=patient, by=practitioner)
    signed_in_client(client, practitioner)
    response = client.post(reverse("plans:consent", args=[plan.pk]))
    consent = Consent.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{consent.pk}/")
    text = " ".join(p for s in consent.sections for p in s["paragraphs"])
    assert "Number of sessions in the course: 16, from about 07 December 2026" in text
    assert "GBP 3040.00 including VAT" in text
    assert consent.product_codes == ["nctf-135ha"]
    assert consent.indication_code == "skin-rejuvenation"


def test_the_suggested_first_session_fills_the_date_picker(client, patient, practitioner):
    # A browser shows a date input empty unless its value is ISO (2026-12-15); the page's
    # suggestion, a week from today, used to arrive as 15/12/2026 and vanish.
    signed_in_client(client, practitioner)
    page = client.get(reverse("plans:list", args=[patient.pk])).content.decode()
    suggested = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    assert f'type="date" name="first_session" value="{suggested}"' in page
