"""Outcomes in a real browser: a practitioner records Hexsel CSS scores at baseline and
after session 6 and sees the progress chart (sessions marked) on the patient's record, then
records a grade 2 bruise that lasted 12 days and sees it flagged for review."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pistor.outcomes.models import Measurement, SideEffect
from pistor.outcomes.tests.factories import signed_session
from tests.e2e.test_journeys import assert_page_was_clean, enter_code, give_authenticator, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _score(page, patient_pk, timepoint, day, answers, session_number=None):
    page.goto(f"/outcomes/patient/{patient_pk}/")
    page.locator("#id_pair").select_option("cellulite:hexsel-css")
    page.locator("#choose-scale").click()
    for code, value in answers.items():
        page.locator(f"#id_item-{code}").fill(str(value))
    page.locator("#id_timepoint").select_option(timepoint)
    if session_number is not None:
        page.locator("#id_session_number").fill(str(session_number))
    page.locator("#id_measured_on").fill(day.isoformat())
    page.locator("#save-score").click()
    expect(page.locator("#progress")).to_be_visible()


def test_journey_scores_with_a_progress_chart_and_a_flagged_bruise(
    page, clinic, practitioner, totp_key
):
    plan, _session = signed_session(clinic, practitioner)
    patient = plan.patient
    give_authenticator(practitioner, totp_key)
    sign_in(page, practitioner)
    enter_code(page, totp_key)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))

    today = timezone.localdate()
    page.goto(f"/patients/{patient.pk}/")
    page.locator("#patient-outcomes").click()
    expect(page).to_have_url(re.compile(rf"/outcomes/patient/{patient.pk}/"))

    # An answer out of range is refused with the item's name; nothing is saved.
    _score(page, patient.pk, "baseline", today - dt.timedelta(days=42),
           {"A": 3, "B": 2, "C": 2, "D": 5, "E": 2})  # fmt: skip
    expect(page.locator("#outcome-error")).to_contain_text("Laxity, flaccidity or sagging: 5")
    assert not Measurement.objects.exists()

    _score(page, patient.pk, "baseline", today - dt.timedelta(days=42),
           {"A": 3, "B": 2, "C": 2, "D": 2, "E": 2})  # fmt: skip
    _score(page, patient.pk, "during", today, {"A": 2, "B": 1, "C": 1, "D": 2, "E": 1}, 6)
    chart = page.locator("#chart-hexsel-css")
    expect(chart.locator("circle.score-point")).to_have_count(2)
    expect(chart.locator("line.session-tick")).to_have_count(1)
    expect(page.locator("#scores-hexsel-css")).to_contain_text("session 6")

    page.goto(f"/patients/{patient.pk}/")
    expect(page.locator("#outcome-progress #chart-hexsel-css circle.score-point")).to_have_count(2)

    page.goto(f"/outcomes/patient/{patient.pk}/")
    page.locator("#id_event_code").select_option("bruising")
    page.locator("#id_onset").fill((today - dt.timedelta(days=12)).isoformat())
    page.locator("#id_resolved_on").fill(today.isoformat())
    page.locator("#id_grade").select_option("2")
    page.locator("#id_areas").fill("left thigh")
    page.locator("#save-side-effect").click()
    row = page.locator("#side-effect-table tr.flagged")
    expect(row).to_contain_text("Flagged for review")
    expect(row).to_contain_text("Bruising lasted 12 days")
    assert SideEffect.objects.get().grade == 2
    assert_page_was_clean(page)
