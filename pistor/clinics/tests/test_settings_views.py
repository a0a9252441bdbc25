"""The clinic settings page, through HTTP as a manager uses it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import signed_in_client
from pistor.audit.models import AuditEvent
from pistor.clinical.catalog import load_catalog
from pistor.clinics.models import Clinic
from pistor.clinics.selectors import configurable_cautions

pytestmark = pytest.mark.django_db

URL = "/clinics/settings/"


def _form(**changes: Any) -> dict[str, Any]:
    """The form as the page sends it unchanged: today's settings, every caution at default."""
    data: dict[str, Any] = {
        "allergy_test_min_read_hours": "24",
        "fitzpatrick_pigmentation_threshold": "4",
        "allergy_test_policy": "every-new-patient",
    }
    data.update({f"caution-{row.fact}": "" for row in configurable_cautions(load_catalog())})
    data.update(changes)
    return data


def _stored(clinic: Clinic) -> tuple[int, int, dict]:
    clinic.refresh_from_db()
    return (
        clinic.allergy_test_min_read_hours,
        clinic.fitzpatrick_pigmentation_threshold,
        clinic.caution_severity_overrides,
    )


def _error_beside(html: str, field: str) -> str:
    marker = f'id="field-{field}"'
    assert marker in html, f"no field {field} on the page"
    own = html.split(marker, 1)[1].split('id="field-', 1)[0]  # up to the next field
    errors = re.search(r'<ul class="errorlist"[^>]*>(.*?)</ul>', own, re.S)
    assert errors, f"no error shown beside {field}"
    return re.sub(r"<[^>]+>", " ", errors.group(1))


def test_a_manager_sees_each_adjustable_caution_with_its_ingredients_and_sources(client, manager):
    signed_in_client(client, manager)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    row = re.search(r'<tr id="caution-row-hypertension">(.*?)</tr>', html, re.S)
    assert row, "hypertension is adjustable (yohimbine) and must be listed"
    text = row.group(1)
    assert "Yohimbine" in text and "/catalog/ingredients/yohimbine/" in text
    assert "Aminophylline" not in text  # its hypertension caution is a label one
    assert 'badge-warn">warn<' in text
    assert load_catalog().sources["S40"].title in text
    assert 'name="caution-hypertension"' in text and "Catalog default (warn)" in text
    assert 'id="caution-row-porphyria"' not in html
    assert 'value="24"' in html  # the current read window


def test_saving_stores_the_settings_says_so_and_writes_one_audit_event(client, clinic, manager):
    signed_in_client(client, manager)
    response = client.post(
        URL,
        _form(
            allergy_test_min_read_hours="48",
            fitzpatrick_pigmentation_threshold="3",
            **{"caution-hypertension": "block"},
        ),
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain == [(URL, 302)]
    assert f"Settings for {clinic.name} saved." in response.content.decode()
    assert _stored(clinic) == (48, 3, {"hypertension": "block"})
    assert AuditEvent.objects.filter(event_type="clinic.settings_updated").count() == 1
    # The saved choice is what the page shows next time.
    html = client.get(URL).content.decode()
    assert re.search(r'name="caution-hypertension" value="block"[^>]*checked', html)


def test_setting_a_caution_back_to_default_removes_the_override(client, clinic, manager):
    signed_in_client(client, manager)
    client.post(URL, _form(**{"caution-hypertension": "block"}))
    client.post(URL, _form())
    assert _stored(clinic)[2] == {}
    assert AuditEvent.objects.filter(event_type="clinic.settings_updated").count() == 2


def test_saving_without_a_change_writes_nothing(client, manager):
    signed_in_client(client, manager)
    response = client.post(URL, _form(), follow=True)
    assert "Nothing to save" in response.content.decode()
    assert not AuditEvent.objects.filter(event_type="clinic.settings_updated").exists()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"allergy_test_min_read_hours": "12"}, "allergy_test_min_read_hours", "never less"),
        ({"allergy_test_min_read_hours": "soon"}, "allergy_test_min_read_hours", "whole number"),
        ({"allergy_test_min_read_hours": "9999"}, "allergy_test_min_read_hours", "At most 720"),
        (
            {"fitzpatrick_pigmentation_threshold": "9"},
            "fitzpatrick_pigmentation_threshold",
            "valid choice",
        ),
        ({"caution-hypertension": "forbid"}, "caution-hypertension", "valid choice"),
    ],
)
def test_bad_input_is_shown_beside_its_field_with_422_and_nothing_is_stored(
    client, clinic, manager, changes, field, words
):
    signed_in_client(client, manager)
    response = client.post(URL, _form(**{"caution-peptic-ulcer": "block", **changes}))
    html = response.content.decode()
    assert response.status_code == 422
    assert words in _error_beside(html, field)
    assert "Nothing was saved" in html
    assert _stored(clinic) == (24, 4, {})
    assert not AuditEvent.objects.filter(event_type="clinic.settings_updated").exists()


@pytest.mark.parametrize("role", ["practitioner", "nurse", "receptionist"])
def test_only_managers_may_open_or_post_the_settings(client, request, clinic, role):
    signed_in_client(client, request.getfixturevalue(role))
    assert client.get(URL).status_code == 403
    assert client.post(URL, _form(allergy_test_min_read_hours="48")).status_code == 403
    assert _stored(clinic) == (24, 4, {})


def test_the_home_page_links_managers_to_the_settings_and_nobody_else(
    client, manager, receptionist
):
    signed_in_client(client, manager)
    assert 'id="home-clinic-settings"' in client.get("/").content.decode()
    client.logout()
    signed_in_client(client, receptionist)
    assert 'id="home-clinic-settings"' not in client.get("/").content.decode()


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_the_manager_chooses_when_allergy_tests_are_needed(client, clinic, manager):
    signed_in_client(client, manager)
    response = client.post(URL, _form(allergy_test_policy="new-ingredients"))
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.allergy_test_policy == "new-ingredients"
