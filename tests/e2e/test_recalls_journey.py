"""Reception works through the due recalls: the worklist shows a patient whose top-up is
due and the recall the worker sent; from her record reception opens her messages and
records that she wants no more offers (issue 11 §7)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from pistor.core import clock
from pistor.messaging.jobs import course_reminders_send
from pistor.messaging.models import MessagePreference
from pistor.messaging.tests.factories import course_plan, given_sessions, patient
from tests.e2e.test_journeys import assert_page_was_clean, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_journey_reception_calls_a_due_recall_and_records_the_opt_out(
    page, clinic, practitioner, receptionist
):
    margaret = patient(clinic, given_name="Margaret", family_name="Ellison")
    plan = course_plan(clinic, practitioner, margaret)
    last = clock.now() - dt.timedelta(days=200)
    given_sessions(plan, practitioner, [last - dt.timedelta(weeks=w) for w in range(5, -1, -1)])
    course_reminders_send(clinic=clinic, now=clock.now())

    sign_in(page, receptionist)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))
    page.locator("#nav-recalls").click()
    expect(page.get_by_role("heading", name="Due recalls")).to_be_visible()
    row = page.locator("#recall-table tbody tr").first
    expect(row).to_contain_text("Margaret Ellison")
    expect(row).to_contain_text("Maintenance top-up")
    expect(row).to_contain_text("Sent")

    row.get_by_role("link", name="Margaret Ellison").click()
    page.locator("#patient-messages").click()
    expect(page.locator("#message-table")).to_contain_text("Maintenance recall")
    form = page.locator("#preferences-form")
    form.get_by_label("Text message").check()
    form.get_by_label(re.compile("No maintenance recalls or offers")).check()
    page.locator("#preferences-save").click()
    expect(page.locator("#preferences-form").get_by_label("Text message")).to_be_checked()
    saved = MessagePreference.objects.get(patient=margaret)
    assert saved.channel == "sms" and saved.marketing_opt_out
    assert_page_was_clean(page)
