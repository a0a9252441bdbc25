"""Allergy-test pages: placing, a reading refused too early and accepted later, roles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from conftest import signed_in_client
from pistor.allergytests.models import AllergyTest, AllergyTestReading
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.pathway import make_test
from pistor.testing.queries import assert_query_cap

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic)


def test_place_then_read_at_2_hours_refused_and_25_hours_accepted(
    client, patient, nurse, moving_clock
):
    c = signed_in_client(client, nurse)
    response = c.post(
        reverse("allergytests:place", args=[patient.pk]),
        {"products": ["lipostabil"], "sites": "left forearm", "batches": "L1"},
    )
    assert response.status_code == 302
    test = AllergyTest.objects.get()
    read = reverse("allergytests:read", args=[patient.pk, test.pk])
    moving_clock.advance(dt.timedelta(hours=2))
    early = c.post(read, {"result": "negative"})
    assert early.status_code == 422
    assert "Too early" in early.content.decode()
    assert not AllergyTestReading.objects.exists()
    moving_clock.advance(dt.timedelta(hours=23))
    assert c.post(read, {"result": "negative"}).status_code == 302
    assert AllergyTestReading.objects.get().result == "negative"
    page = c.get(reverse("allergytests:list", args=[patient.pk])).content.decode()
    assert f'id="result-{test.pk}"' in page


def test_a_reading_dated_before_placement_is_refused(client, patient, nurse):
    test = make_test(patient, nurse)
    c = signed_in_client(client, nurse)
    before = (test.placed_at - dt.timedelta(hours=1)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    response = c.post(
        reverse("allergytests:read", args=[patient.pk, test.pk]),
        {"result": "negative", "read_at": before + "+00:00"},
    )
    assert response.status_code == 422 and "before the test was placed" in response.content.decode()


def test_an_unknown_product_is_refused(client, patient, nurse):
    c = signed_in_client(client, nurse)
    response = c.post(
        reverse("allergytests:place", args=[patient.pk]), {"products": ["x"], "sites": "arm"}
    )
    assert response.status_code == 422
    assert not AllergyTest.objects.exists()


def test_reception_may_not_see_or_record(client, patient, receptionist, nurse):
    test = make_test(patient, nurse)
    c = signed_in_client(client, receptionist)
    assert c.get(reverse("allergytests:list", args=[patient.pk])).status_code == 403
    place = reverse("allergytests:place", args=[patient.pk])
    assert c.post(place, {"products": ["lipostabil"], "sites": "arm"}).status_code == 403
    read = reverse("allergytests:read", args=[patient.pk, test.pk])
    assert c.post(read, {"result": "negative"}).status_code == 403


def test_another_clinics_test_is_a_404(client, other_clinic, other_clinic_user, nurse, patient):
    stranger: Any = PatientFactory(clinic=other_clinic)
    theirs = make_test(stranger, other_clinic_user)
    c = signed_in_client(client, nurse)
    assert c.get(reverse("allergytests:list", args=[stranger.pk])).status_code == 404
    # Their test under our patient's address is not found either.
    read = reverse("allergytests:read", args=[patient.pk, theirs.pk])
    assert c.post(read, {"result": "negative"}).status_code == 404


def test_the_list_queries_are_capped(client, patient, nurse):
    c = signed_in_client(client, nurse)
    url = reverse("allergytests:list", args=[patient.pk])

    def grow(n):
        for i in range(n):
            make_test(patient, nurse, result="negative" if i % 2 else None)

    c.get(url)
    assert_query_cap(
        lambda: c.get(url), grow=grow, sizes=(3, 40), cap=20, check=lambda r: r.status_code == 200
    )
