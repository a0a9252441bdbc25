"""Photographs in a real browser: a practitioner takes a baseline photograph of the thighs
and another at session 6 of the course (the first one shows as a guide over the second),
then compares them side by side and with the slider."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pistor.audit.models import AuditEvent
from pistor.photos.demo import demo_thighs_image
from pistor.photos.models import Photo
from pistor.photos.tests.factories import photo_consent
from pistor.treatments.models import TreatmentSession
from pistor.treatments.services import (
    chart_area_add,
    cocktail_line_add,
    session_sign,
    session_start,
)
from pistor.treatments.tests.factories import ready_plan
from tests.e2e.test_journeys import assert_page_was_clean, enter_code, give_authenticator, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def live_server():
    """The live server, answering one request at a time.

    The test database is SQLite in memory, whose one connection the server's threads share
    with the test; a page of photographs makes the browser ask for several images at once,
    and each opening is audited (a write), which two threads on one connection cannot do
    together. A SQLite file or PostgreSQL queues such writes; here the server does.
    """
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread
    from pytest_django.live_server_helper import LiveServer

    class OneRequestAtATime(WSGIServer):
        def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
            # The server thread itself takes the connections over (LiveServerThread.run).
            super().__init__(*args, **kwargs)

    threaded = LiveServerThread.server_class
    LiveServerThread.server_class = OneRequestAtATime  # type: ignore[assignment]
    try:
        server = LiveServer("localhost")
    finally:
        LiveServerThread.server_class = threaded
    yield server
    server.stop()


def _course_of_six(clinic: Any, practitioner: Any) -> tuple[Any, list[TreatmentSession]]:
    """A patient like the demo's mid-course one: six signed weekly sessions behind her."""
    plan = ready_plan(clinic=clinic, by=practitioner)
    patient = plan.patient
    # The consent and allergy test are from today: the course runs from tomorrow, and the
    # services' clock is then moved past its sixth session.
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    sessions = []
    for week in range(6):
        at = start + dt.timedelta(days=7 * week)
        session = session_start(clinic=clinic, patient=patient, plan=plan, by=practitioner, now=at)
        cocktail_line_add(session=session, by=practitioner, code="nctf-135ha", volume="1", now=at)
        chart_area_add(
            session=session, by=practitioner, region="thigh-front-left", technique_code="nappage",
            depth="3", injections=20,
        )  # fmt: skip
        session = TreatmentSession.objects.get(pk=session.pk)
        session_sign(session=session, signer=practitioner, now=at + dt.timedelta(minutes=30))
        sessions.append(session)
    return patient, sessions


def _wait_until_drawn(page, selector: str) -> None:
    # No wait_for_function: it evaluates a string, which the page's CSP rightly forbids.
    for _ in range(100):
        if page.evaluate(f"document.querySelector('{selector}').naturalWidth") > 0:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{selector} was never drawn")


def _photos_viewed() -> list[str]:
    """The renditions of the photo.viewed events so far, in order."""
    events = AuditEvent.objects.filter(event_type="photo.viewed").order_by("pk")
    return [str((event.after or {}).get("rendition")) for event in events]


def _local(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def _upload(page, *, session_label: str, taken_at: str, progress: float) -> None:
    page.locator("#photo-new").click()
    expect(page.locator("#id_file")).to_have_attribute("capture", "environment")
    page.locator("#id_view").select_option("thighs-front")
    if session_label:
        page.locator("#id_session_id").select_option(label=session_label)
    page.locator("#id_taken_at").fill(taken_at)
    page.locator("#id_file").set_input_files(
        {
            "name": "thighs.jpg",
            "mimeType": "image/jpeg",
            "buffer": demo_thighs_image(progress=progress),
        }
    )
    expect(page.locator("#preview-image")).to_be_visible()


def test_journey_baseline_and_session_6_thigh_photographs_compared_with_the_slider(
    page, clinic, practitioner, totp_key, moving_clock
):
    patient, sessions = _course_of_six(clinic, practitioner)
    moving_clock.advance(dt.timedelta(days=40))
    photo_consent(clinic=clinic, patient=patient, by=practitioner)
    give_authenticator(practitioner, totp_key)
    sign_in(page, practitioner)
    enter_code(page, totp_key)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))

    page.goto(f"/patients/{patient.pk}/")
    page.locator("#patient-photos").click()
    expect(page.locator("#no-photos")).to_be_visible()

    baseline_at = sessions[0].started_at - dt.timedelta(days=1)
    _upload(page, session_label="", taken_at=_local(baseline_at), progress=0)
    # No earlier photograph of this view: no guide over the first one.
    expect(page.locator("#preview-ghost")).to_be_hidden()
    page.locator("#photo-save").click()
    expect(page.locator("#view-thighs-front .photo-tile")).to_have_count(1)

    sixth = sessions[5]
    label = f"{timezone.localtime(sixth.started_at):%-d %b %Y} · {sixth.indication_code}"
    _upload(
        page,
        session_label=label,
        taken_at=_local(sixth.started_at),
        progress=0.7,
    )
    # The baseline, half transparent over the new shot, guides the framing.
    ghost = page.locator("#preview-ghost")
    expect(ghost).to_be_visible()
    assert "/file/display/" in (ghost.get_attribute("src") or "")
    assert (
        page.evaluate("getComputedStyle(document.getElementById('preview-ghost')).opacity")
        == "0.35"
    )
    page.locator("#photo-save").click()
    expect(page.locator("#view-thighs-front .photo-tile")).to_have_count(2)
    baseline, later = Photo.objects.filter(patient=patient).order_by("taken_at")
    assert baseline.session_id is None and later.session_id == sixth.pk
    for tile in (baseline, later):
        _wait_until_drawn(page, f"#photo-{tile.pk} img")
    opened_before_comparing = _photos_viewed()

    page.locator("#photo-compare").click()
    for side in ("#compare-before", "#compare-after"):
        expect(page.locator(side)).to_be_visible()
        _wait_until_drawn(page, side)
    for layer in ("#slider-before", "#slider-after"):
        _wait_until_drawn(page, layer)
    # The gallery's thumbnails and the comparison's four images came under their pages'
    # listing events: not one photo.viewed each (the upload page's guide is one, opened
    # without a listing).
    assert "thumb" not in opened_before_comparing
    assert _photos_viewed() == opened_before_comparing
    compared = AuditEvent.objects.filter(event_type="photo.listed").order_by("pk").last()
    assert compared is not None
    assert compared.after == {"photos": [baseline.pk, later.pk], "rendition": "display"}
    assert f"/photos/{baseline.pk}/file/" in page.locator("#compare-before").get_attribute("src")
    assert f"/photos/{later.pk}/file/" in page.locator("#compare-after").get_attribute("src")

    slider = page.locator("#compare-slider")
    slider.fill("80")
    expect(page.locator("#slider-after")).to_have_attribute("data-shown", "80")
    expect(page.locator("#compare-slider-value")).to_have_text("80%")
    clip = page.evaluate("document.getElementById('slider-after').style.clipPath")
    assert clip == "inset(0px 20% 0px 0px)" or clip == "inset(0 20% 0 0)"
    slider.fill("10")
    expect(page.locator("#slider-after")).to_have_attribute("data-shown", "10")
    assert_page_was_clean(page)


@pytest.fixture
def camera_page(browser, live_server):
    """A second Chromium, with a fake camera (its test device), for the live-camera path."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PageProblems

    camera_browser = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
        ],
    )
    context = camera_browser.new_context(base_url=live_server.url, locale="en-GB")
    context.grant_permissions(["camera"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = PageProblems()
    page.on("console", problems.console)
    page.on("pageerror", problems.page_error)
    page.problems = problems
    yield page
    context.close()
    camera_browser.close()


def test_journey_the_live_camera_shows_the_previous_photograph_as_a_guide(
    camera_page, clinic, practitioner, totp_key
):
    from pistor.patients.tests.factories import PatientFactory
    from pistor.photos.tests.factories import photo_of

    page = camera_page
    patient: Any = PatientFactory(clinic=clinic, family_name="Camerason")
    earlier = photo_of(
        clinic=clinic, patient=patient, by=practitioner, data=demo_thighs_image(progress=0)
    )
    give_authenticator(practitioner, totp_key)
    sign_in(page, practitioner)
    enter_code(page, totp_key)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))

    page.goto(f"/photos/patient/{patient.pk}/new/")
    page.locator("#id_view").select_option("thighs-front")
    page.locator("#camera-start").click()
    expect(page.locator("#camera")).to_be_visible()
    ghost = page.locator("#camera-ghost")
    expect(ghost).to_be_visible()
    assert f"/photos/{earlier.pk}/file/display/" in (ghost.get_attribute("src") or "")
    for _ in range(100):  # the fake camera's first frame
        if page.evaluate("document.getElementById('camera-video').videoWidth") > 0:
            break
        page.wait_for_timeout(100)
    page.locator("#camera-shoot").click()
    expect(page.locator("#preview-image")).to_be_visible()
    assert page.evaluate("document.getElementById('id_file').files.length") == 1
    page.locator("#photo-save").click()
    expect(page.locator("#view-thighs-front .photo-tile")).to_have_count(2)
    assert Photo.objects.filter(patient=patient).count() == 2
    assert_page_was_clean(page)
