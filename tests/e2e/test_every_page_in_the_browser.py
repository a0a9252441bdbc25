"""Every kind of page the demo links to runs cleanly in Chromium.

The server-side walk (``pistor/demo/tests/test_every_link.py``) proves each link opens; only
a browser sees what the page then does: a script that fails, a refusal by the Content
Security Policy, a value the browser rejects (a date picker given 15/12/2026 shows empty
and says so only in the console), or what a screen reader user would miss: a control, link
or image with no name, a description pointing at an id the page lacks (Django points each
field with help text at ``<id>_helptext``, so a template that draws the help text itself
must give it that id), no main region, not exactly one top heading. Each demo
account, one of every role, opens up to two pages of each kind (addresses alike but for
their ids and their query's values), following links from the home page. Signed out, the
same walk starts from every kind of address a patient is sent (intake, consent signing,
online booking and its manage link, live and refused) and from the sign-in pages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import signed_in_client
from pistor.accounts.models import User
from pistor.accounts.services import staff_create
from pistor.clinics.models import Clinic
from pistor.consents.constants import ConsentKind
from pistor.consents.services import consent_create, consent_link_create
from pistor.core import clock
from pistor.demo.data import DEMO_PASSWORD, HARBOUR, STAFF
from pistor.demo.services import demo_load
from pistor.intake.services import intake_link_create
from pistor.onlinebooking.selectors import bookable_types, booking_settings_get, public_slots
from pistor.onlinebooking.services import BookingDetails, manage_token, public_booking_make
from pistor.patients.models import Patient
from pistor.testing.markup import site_links

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

_NOT_OPENED = re.compile(r"/accounts/logout/|^/static/|^/media/|^/api/|\.pdf|\.csv|\.ics")
_OF_EACH_KIND = 2
# Where a signed-out walk may go: the rest answers with the sign-in page.
_PUBLIC = re.compile(r"^/(book|intake/fill|consents/s|accounts)/")
# What a screen reader user would miss on a page, each fault named with the element:
# a form control, link or image with no name; a label or ARIA reference to an id the page
# does not have; no language, no main region, or not exactly one top heading.
_ACCESSIBILITY_FAULTS = """() => {
  const faults = [];
  const shown = (el) => !el.closest("[hidden]") && el.type !== "hidden";
  const named = (el) => el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")
    || el.getAttribute("title");
  const tag = (el) => el.outerHTML.slice(0, 120);
  for (const el of document.querySelectorAll("input,select,textarea,button")) {
    if (shown(el) && !((el.labels && el.labels.length) || named(el)
        || (el.tagName === "BUTTON" && el.textContent.trim())
        || (["submit", "button"].includes(el.type) && el.value)))
      faults.push("no name for " + tag(el));
  }
  for (const el of document.querySelectorAll("a[href]")) {
    if (shown(el) && !(el.textContent.trim() || named(el) || el.querySelector("img[alt]")))
      faults.push("no name for the link " + tag(el));
  }
  for (const el of document.querySelectorAll("img:not([alt])")) faults.push("no alt on " + tag(el));
  for (const el of document.querySelectorAll("svg[role=img]")) {
    if (!named(el)) faults.push("no name for the image " + tag(el));
  }
  for (const el of document.querySelectorAll("[aria-labelledby],[aria-describedby],label[for]")) {
    const ids = [el.getAttribute("aria-labelledby"), el.getAttribute("aria-describedby"),
                 el.getAttribute("for")].join(" ").split(/\\s+/).filter(Boolean);
    for (const id of ids) {
      if (!document.getElementById(id)) faults.push(`#${id} missing, named by ` + tag(el));
    }
  }
  if (!document.documentElement.lang) faults.push("no lang on <html>");
  if (!document.querySelector("main")) faults.push("no <main>");
  const headings = document.querySelectorAll("h1").length;
  if (headings !== 1) faults.push(`${headings} <h1> headings`);
  return faults;
}"""


@dataclass
class _Walk:
    kinds: Counter[str] = field(default_factory=Counter)
    landed: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def _walk(
    page,
    starts: list[str],
    *,
    within: re.Pattern[str] | None = None,
    refused: frozenset[str] = frozenset(),
) -> _Walk:
    """Open every page reachable from ``starts`` (up to two of each kind), following links
    that ``within`` matches. Every page must answer 2xx except the ``refused`` ones, which
    must answer a 4xx page of their own."""
    walk = _Walk()
    problems, kinds = walk.problems, walk.kinds

    def console(message) -> None:
        # A refused link's own 4xx is reported in the console too; it is what was asked for.
        if message.type not in ("error", "warning") or (
            urlsplit(page.url).path in refused and "status of 4" in message.text
        ):
            return
        problems.append(f"{page.url}: {message.type}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    seen: set[str] = set()
    queue = deque(starts)
    while queue:
        url = queue.popleft()
        # A kind is an address but for its ids, with the names of its query's fields: the
        # booking page's visit types (?type=) and free times (?type=&start=) differ.
        path, _, query = url.partition("?")
        kind = re.sub(r"\d+", "N", path) + "?" + "&".join(sorted(parse_qs(query)))
        if url in seen or kinds[kind] >= _OF_EACH_KIND:
            continue
        seen.add(url)
        kinds[kind] += 1
        response = page.goto(url)
        assert response is not None, url
        walk.landed.add(urlsplit(page.url).path)
        if url in refused:
            if not 400 <= response.status < 500:
                problems.append(f"{url}: {response.status}, a refusal expected")
        elif not response.ok:
            problems.append(f"{url}: {response.status}")
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        problems += [f"{url}: {fault}" for fault in page.evaluate(_ACCESSIBILITY_FAULTS)]
        for link in site_links(url, page.content()):
            if link in seen or _NOT_OPENED.search(link):
                continue
            if within is None or within.search(link):
                queue.append(link)
    return walk


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
    walk = _walk(page, ["/"])
    # Even reception's walk reaches the calendar, patients and their records.
    assert len(walk.kinds) > 15, sorted(walk.kinds)
    assert walk.problems == [], "\n".join(walk.problems)


def _public_links() -> tuple[list[str], frozenset[str]]:
    """The addresses a patient or a signed-out person is given: each kind of link the
    clinic sends, live and refused, and the sign-in pages."""
    clinic = Clinic.objects.get(slug=HARBOUR)
    manager = User.objects.get(email="manager@harbour.example")
    patient = Patient.objects.for_clinic(clinic).filter(archived_at__isnull=True).first()
    assert patient is not None
    _, intake_token = intake_link_create(
        clinic=clinic, patient=patient, actor=manager, now=clock.now()
    )
    consent = consent_create(
        clinic=clinic,
        patient=patient,
        by=manager,
        kind=ConsentKind.TREATMENT,
        indication_code="skin-rejuvenation",
        product_codes=[],
    )
    _, consent_token = consent_link_create(consent=consent, by=manager)
    now = clock.now()
    conf = booking_settings_get(clinic=clinic)
    visit = bookable_types(clinic=clinic)[0]
    slot = public_slots(clinic=clinic, conf=conf, appointment_type=visit, now=now, limit=1)[0]
    booking = public_booking_make(
        clinic=clinic,
        appointment_type=visit,
        starts_at=slot.start,
        details=BookingDetails(
            given_name="Ines",
            family_name="Walker",
            date_of_birth=dt.date(1990, 3, 14),
            email="ines.walker@example.org",
        ),
        now=now,
        build_url=lambda path: path,
    )
    refused = [
        "/intake/fill/not-a-link/",
        "/consents/s/not-a-link/",
        "/book/manage/not-a-link/",
        "/accounts/invitation/not-an-invitation/",
    ]
    live = [
        f"/intake/fill/{intake_token}/",
        f"/consents/s/{consent_token}/",
        f"/book/{HARBOUR}/",
        f"/book/manage/{manage_token(booking)}/",
        "/accounts/login/",
    ]
    return live + refused, frozenset(refused)


def test_every_public_page_runs_cleanly_and_names_its_controls(page, live_server):
    """The pages reached without signing in: the intake form, consent signing, online
    booking, and signing in itself (password, second factor, setting one up)."""
    demo_load()
    links, refused = _public_links()
    walk = _walk(page, links, within=_PUBLIC, refused=refused)
    # A visit's free times and the details form are the booking page's own addresses.
    assert f"/book/{HARBOUR}/?start&type" in walk.kinds, sorted(walk.kinds)
    assert "/accounts/password-reset/" in walk.landed, sorted(walk.landed)
    assert walk.problems == [], "\n".join(walk.problems)


@pytest.mark.parametrize("email", ["practitioner@harbour.example", "nurse@harbour.example"])
def test_the_second_factor_pages_run_cleanly_and_name_their_controls(page, live_server, email):
    """After the password: entering a code (an account with an authenticator) or setting
    one up (an account that must have one and has none)."""
    demo_load()
    user = User.objects.get(email=email)
    if not TOTPDevice.objects.filter(user=user).exists():
        # A nurse needs no second factor; a practitioner who has none yet is asked for one.
        user = staff_create(
            email="new.practitioner@harbour.example",
            full_name="Dr New Practitioner",
            password=DEMO_PASSWORD,
            clinic=Clinic.objects.get(slug=HARBOUR),
            role="practitioner",
            actor=None,
        )
    half_signed_in = signed_in_client(Client(), user, verified=False)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": half_signed_in.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    walk = _walk(page, ["/"], within=_PUBLIC)
    assert walk.landed & {"/accounts/verify/", "/accounts/setup-2fa/"}, walk.landed
    assert walk.problems == [], "\n".join(walk.problems)
