"""A page part fetched in place (HTMX) that cannot be shown says so, instead of doing nothing.

htmx 2 leaves the page unchanged on an error answer it is not told to swap, and on a lost
connection. These journeys make the live patient search meet each failure, with the browser's
own request routing standing in for the server or the network going wrong.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from pistor.patients.services import patient_create
from tests.e2e.test_journeys import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _is_live_search(url: str) -> bool:
    return "/patients/?" in url and "q=" in url


def test_journey_live_search_says_when_the_server_or_the_connection_fails(
    page, clinic, receptionist
):
    patient_create(
        clinic=clinic,
        actor=None,
        given_name="Maëlle",
        family_name="Durand",
        date_of_birth=dt.date(1988, 4, 2),
    )
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    sign_in(page, receptionist)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))
    page.goto("/patients/")
    results = page.locator("#patient-results")
    notice = page.locator("#request-problem")

    # The server fails: the person is told, above the results that did not change.
    page.route(_is_live_search, lambda route: route.fulfill(status=500, body="boom"))
    page.fill("#patient-search", "durand")
    expect(notice).to_contain_text("server error")
    expect(notice).to_contain_text("Nothing on this page was changed")
    expect(notice).to_have_attribute("role", "alert")
    assert page.evaluate("document.getElementById('request-problem').nextElementSibling.id") == (
        "patient-results"
    )
    expect(results).not_to_contain_text("boom")

    # Refused for lack of rights: a different message, in the same single notice.
    page.unroute(_is_live_search)
    page.route(_is_live_search, lambda route: route.fulfill(status=403, body="no"))
    page.fill("#patient-search", "duran")
    expect(notice).to_contain_text("not allowed")
    expect(page.locator("#request-problem")).to_have_count(1)

    # The connection drops.
    page.unroute(_is_live_search)
    page.route(_is_live_search, lambda route: route.abort("internetdisconnected"))
    page.fill("#patient-search", "dura")
    expect(notice).to_contain_text("could not be reached")

    # Back to normal: the next answer shows the patient and takes the notice away.
    page.unroute(_is_live_search)
    page.fill("#patient-search", "durand")
    expect(results.get_by_role("link", name="Durand, Maëlle")).to_be_visible()
    expect(notice).to_have_count(0)
    assert script_errors == []
