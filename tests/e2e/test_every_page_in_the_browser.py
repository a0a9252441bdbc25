"""Every kind of page the demo links to runs cleanly in Chromium.

The server-side walk (``pistor/demo/tests/test_every_link.py``) proves each link opens; only
a browser sees what the page then does: a script that fails, a refusal by the Content
Security Policy, a value the browser rejects (a date picker given 15/12/2026 shows empty
and says so only in the console), or a form control a screen reader cannot name. Each demo
account, one of every role, opens up to two pages of each kind (addresses alike but for
their ids), following links from the home page.
"""

from __future__ import annotations

import html
import re
from collections import Counter, deque

import pytest
from django.test import Client

from conftest import signed_in_client
from pistor.accounts.models import User
from pistor.demo.data import STAFF
from pistor.demo.services import demo_load

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

_LINK = re.compile(r'href="(/[^"#]*)')
_NOT_OPENED = re.compile(r"/accounts/logout/|^/static/|^/media/|^/api/|\.pdf|\.csv|\.ics")
_OF_EACH_KIND = 2
# Form controls a screen reader could not name: no label, no aria-label(ledby), no title,
# and (for a button) no text.
_UNNAMED_CONTROLS = """() => Array.from(document.querySelectorAll("input,select,textarea,button"))
  .filter((el) => el.type !== "hidden" && !el.closest("[hidden]"))
  .filter((el) => !((el.labels && el.labels.length) || el.getAttribute("aria-label")
    || el.getAttribute("aria-labelledby") || el.getAttribute("title")
    || (el.tagName === "BUTTON" && el.textContent.trim())
    || (["submit", "button"].includes(el.type) && el.value)))
  .map((el) => el.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("email", [email for email, *_ in STAFF])
def test_every_kind_of_page_runs_cleanly_and_names_its_controls(page, live_server, email):
    demo_load()
    signed_in = signed_in_client(Client(), User.objects.get(email=email))
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": signed_in.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"{page.url}: {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    seen: set[str] = set()
    kinds: Counter[str] = Counter()
    queue = deque(["/"])
    while queue:
        url = queue.popleft()
        kind = re.sub(r"\d+", "N", url.split("?")[0])
        if url in seen or kinds[kind] >= _OF_EACH_KIND:
            continue
        seen.add(url)
        kinds[kind] += 1
        response = page.goto(url)
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        problems += [
            f"{url}: no name for {control}" for control in page.evaluate(_UNNAMED_CONTROLS)
        ]
        for href in _LINK.findall(page.content()):
            link = html.unescape(href)
            if link not in seen and not _NOT_OPENED.search(link):
                queue.append(link)
    # Even reception's walk reaches the calendar, patients and their records.
    assert len(kinds) > 15, sorted(kinds)
    assert problems == []
