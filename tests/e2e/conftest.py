"""Browser journeys: Playwright driving Debian's Chromium against pytest-django's live server.

Never downloads a browser: it launches /usr/bin/chromium (``apt-get install chromium``).
A failing journey leaves a screenshot in test-results/.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's async-safety check
# would otherwise refuse the ORM calls the tests make between page steps.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("PISTOR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (never downloaded)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class PageProblems:
    """JavaScript errors and warnings, and Content-Security-Policy refusals, seen while a page
    ran."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def console(self, message) -> None:
        text = message.text
        # Warnings too: a browser reports a value it rejects (a date picker given 15/12/2026,
        # which it then shows empty) only as a console warning.
        if (
            message.type in ("error", "warning")
            and "favicon" not in text
            and "status of 4" not in text
        ):
            self.messages.append(text)

    def page_error(self, error) -> None:
        self.messages.append(str(error))


@pytest.fixture
def page(browser, live_server, request) -> Iterator:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = PageProblems()
    page.on("console", problems.console)
    page.on("pageerror", problems.page_error)
    page.problems = problems
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def totp_key():
    """A fresh 20-byte authenticator secret."""
    return secrets.token_bytes(20)


@pytest.fixture(autouse=True)
def _signed_row_guards_lifted_for_flush(request):
    """Journeys use a flushed database; Django flushes SQLite with DELETE, which the
    signed-row guard refuses. Restore the guards for the journey, lift them for the flush."""
    if "live_server" not in request.fixturenames and "page" not in request.fixturenames:
        yield
        return
    from django.db import connection

    from pistor.records.guard import guards_drop, guards_install

    request.getfixturevalue("transactional_db")
    guards_install(connection)
    yield
    guards_drop(connection)
