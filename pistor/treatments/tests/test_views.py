"""Session pages: the refused start, the session page, chart redraw, locking, query caps."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from conftest import signed_in_client
from pistor.testing.pathway import make_test
from pistor.testing.queries import assert_query_cap
from pistor.treatments.models import TreatmentSession
from pistor.treatments.services import (
    PointIn,
    chart_area_add,
    cocktail_line_add,
    session_sign,
    session_start,
)
from pistor.treatments.tests.factories import ready_plan

pytestmark = pytest.mark.django_db


def test_a_refused_start_lists_each_reason_with_a_link(client, clinic, practitioner):
    plan = ready_plan(clinic=clinic, by=practitioner, consent=False, test=False)
    make_test(plan.patient, practitioner, products=("nctf-135ha",), result="negative",
              read_after=dt.timedelta(hours=2))  # fmt: skip
    signed_in_client(client, practitioner)
    response = client.post(reverse("treatments:start", args=[plan.pk]))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-code="consent-missing"' in html
    assert re.search(r'data-code="allergy[^"]*"', html)
    assert reverse("consents:list", args=[plan.patient.pk]) in html
    assert TreatmentSession.objects.count() == 0


def _signed_session(clinic, practitioner, plan=None):
    plan = plan or ready_plan(clinic=clinic, by=practitioner)
    session = session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner)
    cocktail_line_add(session=session, by=practitioner, code="nctf-135ha", volume="1")
    chart_area_add(
        session=session, by=practitioner, region="face-front", technique_code="nappage",
        depth="3", injections=20, volume="1",
        points=[PointIn("0.2512", "0.1533"), PointIn("0.2700", "0.1600")],
    )  # fmt: skip
    session = TreatmentSession.objects.get(pk=session.pk)
    session_sign(session=session, signer=practitioner)
    return plan, session


def _circles(html):
    return re.findall(r'<circle class="chart-point"[^>]*>', html)


def test_the_page_starts_a_session_and_the_chart_redraws_identically(client, clinic, practitioner):
    plan = ready_plan(clinic=clinic, by=practitioner)
    signed_in_client(client, practitioner)
    response = client.post(reverse("treatments:start", args=[plan.pk]))
    session = TreatmentSession.objects.get()
    assert response.status_code == 302
    url = reverse("treatments:detail", args=[session.pk])
    page = client.post(reverse("treatments:area_add", args=[session.pk]), {
        "region": "face-front", "technique_code": "papule", "depth": "6", "injections": "10",
        "volume": "1", "points": "0.25,0.15"})  # fmt: skip
    assert page.status_code == 422 and b"outside the 1 mm to 2 mm range" in page.content
    assert session.chart_areas.count() == 0
    ok = client.post(reverse("treatments:area_add", args=[session.pk]), {
        "region": "face-front", "technique_code": "papule", "depth": "1.5", "injections": "10",
        "volume": "1", "points": "0.2512,0.1533;0.27,0.16"})  # fmt: skip
    assert ok.status_code == 302
    first = client.get(url)
    assert first.status_code == 200 and "no-store" in first["Cache-Control"]
    circles = _circles(first.content.decode())
    assert circles == [
        '<circle class="chart-point" data-area="1" cx="100.48" cy="79.72" r="4"/>',
        '<circle class="chart-point" data-area="1" cx="108.00" cy="83.20" r="4"/>',
    ]
    assert _circles(client.get(url).content.decode()) == circles
    assert b"chart-areas" in first.content and b"1.50 mm" in first.content


def test_a_signed_session_cannot_be_edited_through_the_pages(client, clinic, practitioner):
    _plan, session = _signed_session(clinic, practitioner)
    signed_in_client(client, practitioner)
    r = client.post(reverse("treatments:line_add", args=[session.pk]),
                    {"code": "nctf-135ha", "volume": "1"})  # fmt: skip
    assert r.status_code == 409 and session.cocktail_lines.count() == 1
    r = client.post(reverse("treatments:sign", args=[session.pk]))
    assert r.status_code == 409
    r = client.post(reverse("treatments:addendum", args=[session.pk]),
                    {"text": "Small bruise noted.", "reason": "Patient phoned."})  # fmt: skip
    page = client.get(reverse("treatments:detail", args=[session.pk]))
    assert r.status_code == 302 and b"Small bruise noted." in page.content
    pdf = client.get(reverse("treatments:aftercare_pdf", args=[session.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_a_nurse_may_not_sign_and_another_clinic_gets_404(
    client, clinic, practitioner, nurse, other_clinic_user
):
    plan = ready_plan(clinic=clinic, by=practitioner)
    session = session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner)
    signed_in_client(client, nurse)
    assert client.post(reverse("treatments:sign", args=[session.pk])).status_code == 403
    client.logout()
    signed_in_client(client, other_clinic_user)
    assert client.get(reverse("treatments:detail", args=[session.pk])).status_code == 404


@pytest.mark.parametrize("page", ["detail", "list"])
def test_pages_have_a_bounded_query_count_at_1_and_40_sessions(client, clinic, practitioner, page):
    from pistor.inventory.models import Batch

    plan = ready_plan(clinic=clinic, by=practitioner)
    Batch.objects.update(quantity_on_hand=10000, quantity_received=10000)
    made: list[TreatmentSession] = []

    def grow(n):
        for _ in range(n):
            made.append(_signed_session(clinic, practitioner, plan)[1])

    def action():
        if page == "detail":
            return client.get(reverse("treatments:detail", args=[made[0].pk]))
        return client.get(reverse("treatments:list", args=[plan.patient.pk]))

    signed_in_client(client, practitioner)
    counts = assert_query_cap(
        action, grow=grow, cap=40, sizes=(1, 40),
        check=lambda r: r.status_code == 200 or pytest.fail(str(r.status_code)),
    )  # fmt: skip
    print(counts)


def test_the_plan_page_shows_course_progress_and_a_start_button(client, clinic, practitioner):
    plan, _session = _signed_session(clinic, practitioner)
    signed_in_client(client, practitioner)
    page = client.get(reverse("plans:detail", args=[plan.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<strong>1 of 10</strong>" in html and 'id="session-start"' in html
    assert 'id="course-next"' in html
    record = client.get(reverse("treatments:list", args=[plan.patient.pk]))
    assert record.status_code == 200 and b"Aftercare" in record.content


def test_the_preview_shows_findings_and_refusals_as_they_are_typed(client, clinic, practitioner):
    from pistor.treatments.models import ChartArea, CocktailLine

    plan = ready_plan(clinic=clinic, by=practitioner)
    session = session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner)
    signed_in_client(client, practitioner)
    url = reverse("treatments:preview", args=[session.pk])
    page = client.get(reverse("treatments:detail", args=[session.pk])).content.decode()
    assert f'hx-post="{url}"' in page and 'hx-trigger="input delay:400ms' in page
    # 40 mL of 1 % lidocaine for a 68 kg patient: the block shows before the save.
    r = client.post(url, {"form": "line", "code": "lidocaine", "volume": "40",
                          "concentration": "10"}, HTTP_HX_REQUEST="true")  # fmt: skip
    html = r.content.decode()
    assert r.status_code == 200 and 'data-code="lidocaine-over-maximum"' in html
    assert 'id="screen-blocked"' in html and "<html" not in html
    r = client.post(url, {"form": "line", "code": "lidocaine", "volume": "2",
                          "concentration": "10"})  # fmt: skip
    assert b"lidocaine-over-maximum" not in r.content and b"20 mg of at most" in r.content
    r = client.post(url, {"form": "area", "region": "face-front", "technique_code": "papule",
                          "depth": "6", "injections": "10", "volume": "1"})  # fmt: skip
    assert b'id="preview-refused"' in r.content
    assert b"outside the 1 mm to 2 mm range" in r.content
    r = client.post(url, {"form": "line", "code": "redensity-1", "volume": "1"})
    assert b"not in stock" in r.content
    assert CocktailLine.objects.count() == 0 and ChartArea.objects.count() == 0


def test_the_details_form_records_times_and_reactions(client, clinic, practitioner):
    from django.utils import timezone

    plan = ready_plan(clinic=clinic, by=practitioner)
    session = session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner)
    signed_in_client(client, practitioner)
    local = timezone.localtime(session.started_at)
    fmt = "%Y-%m-%dT%H:%M"
    bad = client.post(reverse("treatments:details", args=[session.pk]), {
        "treatment_start": f"{local:{fmt}}",
        "treatment_end": f"{local - dt.timedelta(minutes=5):{fmt}}"})  # fmt: skip
    assert bad.status_code == 422 and b"The end is before the start." in bad.content
    ok = client.post(reverse("treatments:details", args=[session.pk]), {
        "anaesthetic_product": "Lidocaine 5 % cream",
        "anaesthetic_applied_at": f"{local - dt.timedelta(minutes=30):{fmt}}",
        "treatment_start": f"{local:{fmt}}",
        "treatment_end": f"{local + dt.timedelta(minutes=5):{fmt}}",
        "reaction_bleeding": "mild", "notes": "Pinpoint bleeding."})  # fmt: skip
    assert ok.status_code == 302, ok.content
    page = client.get(reverse("treatments:detail", args=[session.pk])).content.decode()
    assert 'id="session-duration">5 min' in page
    assert 'data-code="session-duration:short"' in page
    assert 'data-reaction="bleeding"' in page


def test_the_patient_record_shows_the_timeline_with_bounded_queries(client, clinic, practitioner):
    from pistor.inventory.models import Batch

    plan = ready_plan(clinic=clinic, by=practitioner)
    Batch.objects.update(quantity_on_hand=10000, quantity_received=10000)
    made: list[TreatmentSession] = []

    def grow(n):
        for _ in range(n):
            made.append(_signed_session(clinic, practitioner, plan)[1])

    signed_in_client(client, practitioner)
    url = reverse("patients:detail", args=[plan.patient.pk])
    assert client.get(url).status_code == 200  # the first request of a sign-in does more
    assert_query_cap(
        lambda: client.get(url), grow=grow, cap=40, sizes=(1, 40),
        check=lambda r: r.status_code == 200 or pytest.fail(str(r.status_code)),
    )  # fmt: skip
    html = client.get(url).content.decode()
    assert html.count('class="timeline-session"') == 10  # the newest; a link to the rest
    assert reverse("treatments:list", args=[plan.patient.pk]) in html
    assert html.count('class="volume-bar"') == 20
    newest = made[-1]
    assert html.index(f'id="timeline-session-{newest.pk}"') < html.index(
        f'id="timeline-session-{made[-10].pk}"'
    )
    assert f'id="timeline-session-{made[-11].pk}"' not in html
    assert "nctf-135ha 1 mL (lot NC1)" in html and "Face (front) (nappage, 3 mm)" in html
    assert 'id="timeline-progress"' in html and "<strong>40 of 10</strong>" in html
    assert 'id="bodymap-timeline-' in html and html.count('class="chart-point"') == 20


_AREA = {"region": "thigh-front-left", "technique_code": "nappage", "depth": "3",
         "injections": "20", "volume": "1", "points": "0.3,0.6"}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("area_add", {**_AREA, "depth": "-1"}, "-1 mm cannot be negative"),
        ("area_add", {**_AREA, "depth": "40"}, "A depth must be between"),
        ("area_add", {**_AREA, "points": "0.3,1.4"}, "must lie on the drawing"),
        ("area_add", {**_AREA, "points": "0.3"}, "must lie on the drawing"),
        ("line_add", {"code": "nctf-135ha", "volume": "3", "volume_unit": "mg"}, "The volume"),
        ("line_add", {"code": "redensity-1", "volume": "1"}, "not in stock"),
        ("addendum", {"text": "Bruise.", "reason": "Phoned."}, "not signed yet"),
    ],
)
def test_bad_input_on_the_page_gets_a_clear_message_and_writes_nothing(
    client, clinic, practitioner, name, data, message
):
    from pistor.records.models import Addendum
    from pistor.treatments.models import ChartArea, ChartPoint, CocktailLine

    plan = ready_plan(clinic=clinic, by=practitioner)
    session = session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner)
    signed_in_client(client, practitioner)
    response = client.post(reverse(f"treatments:{name}", args=[session.pk]), data)
    assert response.status_code in (409, 422)
    html = response.content.decode()
    assert 'id="session-error"' in html and message in html, html[:3000]
    assert not CocktailLine.objects.exists() and not ChartArea.objects.exists()
    assert not ChartPoint.objects.exists() and not Addendum.objects.exists()


def test_the_aftercare_message_for_email_names_the_next_window(clinic, practitioner):
    from pistor.treatments.pdf import aftercare_message

    _plan, session = _signed_session(clinic, practitioner)
    subject, text, html = aftercare_message(session=session)
    assert "Aftercare" in subject and "Dear Amara" in text
    assert "Your next session\nBetween" in text and "What to do\n- " in text
    assert 'id="next-window"' in html


def test_an_expired_batch_refuses_the_start_on_the_page_with_a_link_to_goods_in(
    client, clinic, practitioner
):
    from django.utils import timezone

    from pistor.inventory.models import Batch
    from pistor.treatments.tests.factories import stock

    plan = ready_plan(clinic=clinic, by=practitioner, with_stock=False)
    b = stock(clinic)
    Batch.objects.filter(pk=b.pk).update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    signed_in_client(client, practitioner)
    response = client.post(reverse("treatments:start", args=[plan.pk]))
    html = response.content.decode()
    assert response.status_code == 409 and 'data-code="batch-expired"' in html
    assert "NC1" in html and reverse("inventory:receive") in html
    assert TreatmentSession.objects.count() == 0
