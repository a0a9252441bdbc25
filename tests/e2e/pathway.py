"""Helpers the care-pathway journeys share: a second browser (the patient's phone), signing
a canvas with a mouse or a finger, and a practitioner signed in with her second factor."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PageProblems
from tests.e2e.test_journeys import enter_code, give_authenticator, sign_in


def new_page(browser, live_server, **context_options):
    """A fresh browser context (nobody signed in) and its page.

    The page collects JavaScript errors and CSP refusals as the ``page`` fixture's does, so
    ``assert_page_was_clean`` works on it too; the caller closes the context.
    """
    context = browser.new_context(base_url=live_server.url, locale="en-GB", **context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = PageProblems()
    page.on("console", problems.console)
    page.on("pageerror", problems.page_error)
    page.problems = problems
    return context, page


def new_phone(browser, live_server):
    """A touch-screen phone: the patient's own device, not signed in."""
    return new_page(
        browser,
        live_server,
        has_touch=True,
        is_mobile=True,
        viewport={"width": 412, "height": 860},
    )


def sign_in_with_code(page, user, totp_key: bytes) -> None:
    """Sign in with password and authenticator code (practitioners and managers use both)."""
    give_authenticator(user, totp_key)
    sign_in(page, user)
    enter_code(page, totp_key)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))


def draw_with_mouse(page, selector: str) -> None:
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(
            box["x"] + 20 + step * 25, box["y"] + box["height"] * (0.3 + 0.4 * (step % 2))
        )
    page.mouse.up()


def draw_with_finger(page, selector: str) -> None:
    """Touch events through Chromium's DevTools input, as a finger on a tablet would."""
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    cdp = page.context.new_cdp_session(page)
    x0, y0 = box["x"] + 20, box["y"] + box["height"] * 0.6
    cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]}
    )
    for step in range(1, 14):
        point = {"x": x0 + step * 20, "y": y0 - (step % 3) * 15}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
