"""The record page's panels from other apps: gathered by the view, each shown only to the
roles that may see it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import signed_in_client
from pistor.patients.record import _PANELS
from pistor.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_every_app_panel_is_registered_at_start_up():
    assert {"inventory_notices", "outcome_progress", "treatment_timeline"} <= set(_PANELS)


def test_a_role_sees_only_the_panels_it_may(client, clinic, practitioner, receptionist):
    patient: Any = PatientFactory(clinic=clinic)
    url = reverse("patients:detail", args=[patient.pk])
    clinical = signed_in_client(client, practitioner).get(url).content.decode()
    assert 'id="treatment-timeline"' in clinical and 'id="outcome-progress"' in clinical
    # Panels render with the page's request, so their links follow the person's permissions.
    assert 'id="patient-record-use"' in clinical
    client.logout()
    desk = signed_in_client(client, receptionist).get(url).content.decode()
    assert 'id="treatment-timeline"' not in desk and 'id="outcome-progress"' not in desk
