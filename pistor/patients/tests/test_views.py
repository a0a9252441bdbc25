from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from conftest import signed_in_client
from pistor.audit.models import AuditEvent
from pistor.patients.models import Patient
from pistor.patients.services import patient_archive
from pistor.patients.tests.factories import PatientFactory, build_patients
from pistor.testing.queries import assert_query_cap, count_queries

pytestmark = pytest.mark.django_db

FORM = {
    "given_name": "José",
    "family_name": "Martín",
    "date_of_birth": "1985-03-02",
    "sex": "male",
    "phone": "07700 900123",
    "email": "",
    "address": "",
    "preferred_language": "Spanish",
    "emergency_contact_name": "",
    "emergency_contact_phone": "",
    "gp_name": "",
    "gp_contact": "",
    "fitzpatrick_type": "3",
    "notes": "",
}


@pytest.fixture
def staff_client(client, practitioner):
    return signed_in_client(client, practitioner)


def test_list_page_has_a_live_search_box(staff_client, clinic):
    PatientFactory.create(clinic=clinic, given_name="José", family_name="Martín")
    response = staff_client.get(reverse("patients:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="patient-search"' in html
    assert 'name="q"' in html
    assert 'hx-get="/patients/"' in html
    assert 'hx-trigger="input changed delay:250ms, search"' in html
    assert 'hx-target="#patient-results"' in html
    assert "Martín, José" in html
    assert "<script>" not in html  # CSP: no inline scripts


def test_search_works_without_javascript(staff_client, clinic):
    PatientFactory.create(clinic=clinic, given_name="José", family_name="Martín")
    PatientFactory.create(clinic=clinic, given_name="Ann", family_name="Smith")
    response = staff_client.get(reverse("patients:list"), {"q": "jose"})
    html = response.content.decode()
    assert "<html" in html
    assert "Martín, José" in html
    assert "Smith" not in html


def test_htmx_search_gets_only_the_results_partial(staff_client, clinic):
    PatientFactory.create(clinic=clinic, given_name="José", family_name="Martín")
    response = staff_client.get(reverse("patients:list"), {"q": "MARTIN"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="patient-table"' in html
    assert "Martín, José" in html


def test_archived_patients_are_hidden_from_search_by_default(staff_client, clinic, practitioner):
    patient = PatientFactory.create(clinic=clinic, given_name="Ann", family_name="Gone")
    patient_archive(patient=patient, actor=practitioner, reason="Moved away")
    html = staff_client.get(reverse("patients:list"), {"q": "gone"}).content.decode()
    assert "Gone, Ann" not in html
    html = staff_client.get(
        reverse("patients:list"), {"q": "gone", "archived": "on"}
    ).content.decode()
    assert "Gone, Ann" in html
    assert "Archived" in html


def test_create_registers_and_redirects_to_the_record(staff_client, clinic):
    page = staff_client.get(reverse("patients:create")).content.decode()
    for field_id in ("id_given_name", "id_family_name", "id_date_of_birth", "id_phone", "id_sex"):
        assert f'id="{field_id}"' in page
    assert "Save patient" in page

    response = staff_client.post(reverse("patients:create"), FORM)
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    assert patient.clinic == clinic
    assert patient.record_number == "P-000001"
    assert patient.fitzpatrick_type == 3


def test_create_accepts_a_uk_date(staff_client):
    staff_client.post(reverse("patients:create"), {**FORM, "date_of_birth": "02/03/1985"})
    assert Patient.objects.get().date_of_birth == dt.date(1985, 3, 2)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", (timezone.localdate() + dt.timedelta(days=1)).isoformat(), "future"),
        ("phone", "phone me", "digits, spaces"),
        ("sex", "robot", "valid choice"),
    ],
)
def test_bad_input_shows_the_message_beside_the_field_and_stores_nothing(
    staff_client, field, value, message
):
    response = staff_client.post(reverse("patients:create"), {**FORM, field: value})
    assert response.status_code == 422
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert f'id="id_{field}"' in html
    assert 'aria-invalid="true"' in html
    assert Patient.objects.count() == 0
    assert AuditEvent.objects.filter(event_type="patient.created").count() == 0


def test_detail_shows_the_record_with_uk_dates_and_audits_the_view(
    staff_client, clinic, practitioner
):
    patient = PatientFactory.create(clinic=clinic, date_of_birth=dt.date(1985, 3, 2))
    response = staff_client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200
    assert "2 March 1985" in response.content.decode()
    event = AuditEvent.objects.get(event_type="patient.viewed")
    assert event.actor == practitioner
    assert event.subject_id == str(patient.pk)
    assert event.request_id == response["X-Request-Id"]


def test_a_user_of_another_clinic_gets_404(client, clinic, other_clinic_user):
    patient = PatientFactory.create(clinic=clinic)
    signed_in_client(client, other_clinic_user)
    for name in ("patients:detail", "patients:edit"):
        assert client.get(reverse(name, args=[patient.pk])).status_code == 404
    response = client.post(reverse("patients:archive", args=[patient.pk]), {"reason": "x"})
    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.archived_at is None
    assert not AuditEvent.objects.filter(event_type="patient.viewed").exists()


def test_a_missing_patient_gets_404(staff_client):
    assert staff_client.get(reverse("patients:detail", args=[999999])).status_code == 404
    assert staff_client.get("/patients/99999999999999999999999/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, clinic):
    patient = PatientFactory.create(clinic=clinic)
    for url in (reverse("patients:list"), reverse("patients:detail", args=[patient.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_edit_saves_and_audits_before_and_after(staff_client, clinic, practitioner):
    patient = PatientFactory.create(clinic=clinic, phone="07700 900123", family_name="Martin")
    page = staff_client.get(reverse("patients:edit", args=[patient.pk]))
    assert page.status_code == 200
    assert 'value="1985-03-02"' in page.content.decode()

    data = {
        **FORM,
        "given_name": patient.given_name,
        "family_name": "Martín",
        "sex": "female",
        "preferred_language": "",
        "fitzpatrick_type": "",
    }
    response = staff_client.post(reverse("patients:edit", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.family_name == "Martín"
    event = AuditEvent.objects.get(event_type="patient.updated")
    assert event.before == {"family_name": "Martin"}
    assert event.after == {"family_name": "Martín"}
    assert event.actor == practitioner


def test_bad_edit_shows_field_errors_and_changes_nothing(staff_client, clinic):
    patient = PatientFactory.create(clinic=clinic, family_name="Martin")
    data = {**FORM, "family_name": "Changed", "phone": "12"}
    response = staff_client.post(reverse("patients:edit", args=[patient.pk]), data)
    assert response.status_code == 422
    assert "phone" in response.context["form"].errors
    patient.refresh_from_db()
    assert patient.family_name == "Martin"


def test_archive_needs_a_reason_then_hides_the_patient(staff_client, clinic):
    patient = PatientFactory.create(clinic=clinic, family_name="Leaving")
    url = reverse("patients:archive", args=[patient.pk])
    response = staff_client.post(url, {"reason": ""})
    assert response.status_code == 422
    assert "reason" in response.context["archive_form"].errors
    patient.refresh_from_db()
    assert patient.archived_at is None

    response = staff_client.post(url, {"reason": "Moved to Leeds"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.archive_reason == "Moved to Leeds"
    listing = staff_client.get(reverse("patients:list")).content.decode()
    assert f"Leaving, {patient.given_name}" not in listing

    response = staff_client.post(reverse("patients:restore", args=[patient.pk]))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.archived_at is None


def test_archive_is_post_only(staff_client, clinic):
    patient = PatientFactory.create(clinic=clinic)
    assert staff_client.get(reverse("patients:archive", args=[patient.pk])).status_code == 405


def test_a_nurse_may_not_archive(client, clinic, nurse):
    patient = PatientFactory.create(clinic=clinic)
    signed_in_client(client, nurse)
    response = client.post(reverse("patients:archive", args=[patient.pk]), {"reason": "no"})
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.archived_at is None
    assert (
        "Archive patient"
        not in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    )


def test_search_page_and_live_search_make_the_same_queries_at_10_and_1000_patients(
    staff_client, clinic
):
    grow = lambda n: build_patients(clinic, n)  # noqa: E731
    ok = lambda response: response.status_code == 200 or pytest.fail(response)  # noqa: E731
    staff_client.get(reverse("patients:list"))  # warm the session
    # The page's own two queries, the session and membership, and the list's audit event.
    assert_query_cap(
        lambda: staff_client.get(reverse("patients:list"), {"q": "family"}),
        grow=grow,
        cap=18,
        check=ok,
    )


def test_live_search_queries_are_capped(staff_client, clinic):
    def grow(n):
        build_patients(clinic, n)

    staff_client.get(reverse("patients:list"))
    assert_query_cap(
        lambda: staff_client.get(reverse("patients:list"), {"q": "fam"}, HTTP_HX_REQUEST="true"),
        grow=grow,
        cap=18,
    )


def test_record_page_makes_the_same_queries_at_10_and_10000_patients(staff_client, clinic):
    """Issue 7: the record page's cost does not grow with the registry."""
    target = PatientFactory.create(clinic=clinic, family_name="Aardvark")

    def grow(n):
        build_patients(clinic, n)

    def opened(*, kept: bool):
        if not kept:  # the panels drawn afresh, as on the first opening after a change
            caches["record_panels"].clear()
        response = staff_client.get(reverse("patients:detail", args=[target.pk]))
        assert response.status_code == 200
        return response

    staff_client.get(reverse("patients:list"))
    drawn, kept = [], []
    for added in (10, 9_990):
        grow(added)
        drawn.append(count_queries(lambda: opened(kept=False))[0])
        # Opened again with nothing changed: one statement reads every panel's versions
        # in place of the panels' own queries.
        kept.append(count_queries(lambda: opened(kept=True))[0])
    assert drawn[0] == drawn[1] <= 19, drawn
    assert kept[0] == kept[1] <= 8, kept
    assert kept[0] < drawn[0]


def test_patient_page_offers_the_safety_screen_to_clinicians_but_not_reception(
    client, clinic, practitioner, receptionist
):
    patient = PatientFactory.create(clinic=clinic)
    url = f"/patients/{patient.pk}/"
    clinician_page = signed_in_client(client, practitioner).get(url).content.decode()
    assert f"/tools/screen/?patient={patient.pk}" in clinician_page
    client.logout()
    reception_page = signed_in_client(client, receptionist).get(url).content.decode()
    assert "/tools/screen/" not in reception_page
