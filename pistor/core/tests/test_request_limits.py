"""Oversize bodies, caching of patient data, and the styled error pages."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings

from conftest import signed_in_client
from pistor.api.services import api_token_create
from pistor.patients.models import Patient
from pistor.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

TOO_BIG = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024


def _bearer(user, clinic):
    _token, raw = api_token_create(user=user, clinic=clinic, name="test", actor=None)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_an_oversize_form_answers_413_on_a_page_and_saves_nothing(client, practitioner):
    signed_in_client(client, practitioner)
    body = "given_name=Ann&notes=" + "a" * TOO_BIG
    response = client.post("/patients/new/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "more than Pistor accepts" in response.content.decode()
    assert Patient.objects.count() == 0


def test_an_oversize_sign_in_answers_413(client):
    response = client.post(
        "/accounts/login/",
        "username=" + "a" * TOO_BIG,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413


def test_an_oversize_api_body_answers_413_in_the_error_shape(client, practitioner, clinic):
    body = '{"given_name": "' + "a" * TOO_BIG + '"}'
    response = client.post(
        "/api/v1/patients", body, content_type="application/json", **_bearer(practitioner, clinic)
    )
    assert response.status_code == 413
    assert response.json()["message"]
    assert "extra" in response.json()
    assert Patient.objects.count() == 0


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=5)
def test_a_body_with_too_many_fields_answers_413_not_500(client):
    body = "&".join(f"f{i}=x" for i in range(50))
    response = client.post(
        "/accounts/login/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413


def test_a_body_under_the_limit_is_read_as_usual(client):
    response = client.post("/accounts/login/", {"username": "a@example.org", "password": "x"})
    assert response.status_code == 200


def test_signed_in_pages_are_never_stored_by_a_cache(client, practitioner, clinic):
    signed_in_client(client, practitioner)
    patient = PatientFactory.create(clinic=clinic)
    for url in ("/", "/patients/", f"/patients/{patient.pk}/", "/patients/?q=ann"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_api_responses_are_never_stored_by_a_cache(client, practitioner, clinic):
    patient = PatientFactory.create(clinic=clinic)
    for url in ("/api/v1/patients", f"/api/v1/patients/{patient.pk}"):
        response = client.get(url, **_bearer(practitioner, clinic))
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
    # Refusals too: they can say whether a record exists.
    assert "no-store" in client.get("/api/v1/patients")["Cache-Control"]


def test_a_page_asked_with_the_wrong_method_gets_the_styled_405(client, practitioner):
    signed_in_client(client, practitioner)
    response = client.get("/accounts/logout/")
    assert response.status_code == 405
    assert "can't be used that way" in response.content.decode()
    assert "POST" in response["Allow"]


def test_the_api_keeps_its_own_405(client, practitioner, clinic):
    response = client.delete("/api/v1/patients", **_bearer(practitioner, clinic))
    assert response.status_code == 405
    assert "can't be used that way" not in response.content.decode()


def test_the_favicon_is_served_not_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.parametrize(
    ("template", "heading"),
    [
        ("403.html", "You can't open this page"),
        ("404.html", "We couldn't find that page"),
        ("405.html", "can't be used that way"),
        ("413.html", "more than Pistor accepts"),
        ("500.html", "Something went wrong"),
    ],
)
def test_error_pages_use_the_house_style(rf, template, heading):
    from django.template.loader import render_to_string

    request = rf.get("/")
    html = render_to_string(template, request=request if template != "500.html" else None)
    assert heading in html
    assert "pistor.css" in html and 'class="error-page card"' in html


def test_a_missing_page_is_the_styled_404(client, practitioner):
    signed_in_client(client, practitioner)
    with override_settings(DEBUG=False):
        response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()
