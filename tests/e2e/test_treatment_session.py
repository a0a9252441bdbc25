"""A treatment session in a real browser: from a plan whose gate is complete, start the
session, build a cocktail of two products (NCTF, Redensity 1 with its 0.3 % lidocaine) and
lidocaine, see the lidocaine total against the patient's limit (and a dose over it flagged
as it is typed), mark nappage on both thighs by clicking the body map, see 6 mm for a papule
refused and correct it, record the session's details, sign; stock goes down by the volumes
used, the aftercare PDF names the next window, the plan shows 1 of 10, the chart redraws the
same after a reload and the patient record shows the session on its timeline."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from pistor.inventory.models import Batch
from pistor.treatments.tests.factories import ready_plan, stock
from tests.e2e.test_journeys import assert_page_was_clean, enter_code, give_authenticator, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _click_region(page, region: str, fx: float, fy: float) -> None:
    target = page.locator(f'#bodymap [data-region="{region}"]')
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)


def test_journey_a_session_from_start_to_aftercare(page, clinic, practitioner, totp_key):
    plan = ready_plan(clinic=clinic, by=practitioner)
    stock(clinic, "redensity-1", lot="RD1", ml="10")
    give_authenticator(practitioner, totp_key)
    sign_in(page, practitioner)
    enter_code(page, totp_key)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))

    page.goto(f"/plans/{plan.pk}/")
    page.locator("#session-start").click()
    expect(page.locator("#session-status")).to_have_attribute("data-status", "draft")

    page.locator("#id_code").select_option("nctf-135ha")
    page.locator("#id_volume").fill("3")
    page.locator("#line-add").click()
    page.locator("#id_code").select_option("redensity-1")
    page.locator("#id_volume").fill("1")
    page.locator("#line-add").click()
    # Typing a lidocaine dose over the limit shows the block before anything is saved.
    page.locator("#id_code").select_option("lidocaine")
    page.locator("#id_concentration").fill("10")
    page.locator("#id_volume").fill("40")
    expect(page.locator('#screen-results [data-code="lidocaine-over-maximum"]')).to_be_visible()
    expect(page.locator("#screen-blocked")).to_be_visible()
    page.locator("#id_volume").fill("1")
    expect(page.locator('#screen-results [data-code="lidocaine-over-maximum"]')).to_have_count(0)
    expect(page.locator("#preview-totals")).to_contain_text("of at most 300")
    page.locator("#line-add").click()
    expect(page.locator("#cocktail-lines tbody tr")).to_have_count(3)
    # 1 mL of 1 % (10 mg) plus Redensity's 0.3 % (3 mg), against 300 mg for 68 kg.
    expect(page.locator("#lidocaine-check")).to_contain_text("13")
    expect(page.locator("#lidocaine-check")).to_contain_text("of at most 300")

    # A papule at 6 mm is refused as it is typed and on saving; corrected, it is charted.
    _click_region(page, "face-front", 0.5, 0.5)
    page.locator("#id_technique_code").select_option("papule")
    page.locator("#id_injections").fill("10")
    page.locator("#id_area_volume").fill("0.5")
    page.locator("#id_depth").fill("6")
    expect(page.locator("#preview-refused")).to_contain_text("outside the 1 mm to 2 mm range")
    page.locator("#area-add").click()
    expect(page.locator("#session-error")).to_contain_text("outside the 1 mm to 2 mm range")
    expect(page.locator("#chart-areas tbody tr[data-region]")).to_have_count(0)
    _click_region(page, "face-front", 0.5, 0.5)
    page.locator("#id_technique_code").select_option("papule")
    page.locator("#id_injections").fill("10")
    page.locator("#id_area_volume").fill("0.5")
    page.locator("#id_depth").fill("1.5")
    page.locator("#area-add").click()
    expect(page.locator('#chart-areas tr[data-region="face-front"]')).to_be_visible()

    for region in ("thigh-front-left", "thigh-front-right"):
        _click_region(page, region, 0.5, 0.3)
        _click_region(page, region, 0.5, 0.6)
        expect(page.locator("#id_region")).to_have_value(region)
        page.locator("#id_technique_code").select_option("nappage")
        page.locator("#id_depth").fill("3")
        page.locator("#id_injections").fill("20")
        page.locator("#id_area_volume").fill("1.5")
        page.locator("#area-add").click()
        expect(page.locator(f'#chart-areas tr[data-region="{region}"]')).to_be_visible()
    expect(page.locator("circle.chart-point")).to_have_count(5)
    before = page.locator("#bodymap g.points").inner_html()
    page.reload()
    assert page.locator("#bodymap g.points").inner_html() == before

    page.locator("#id_anaesthetic_product").fill("Lidocaine 5 % cream")
    page.locator("#id_reaction_papules").select_option("mild")
    page.locator("#details-save").click()
    expect(page.locator('#session-reactions [data-reaction="papules"]')).to_be_visible()

    stock_before = {b.lot: b.quantity_on_hand for b in Batch.objects.all()}
    page.locator("#session-sign").click()
    expect(page.locator("#session-status")).to_have_attribute("data-status", "signed")
    after = {b.lot: b.quantity_on_hand for b in Batch.objects.all()}
    assert after == {"NC1": stock_before["NC1"] - Decimal("3"),
                     "RD1": stock_before["RD1"] - Decimal("1")}  # fmt: skip

    href = page.locator("#aftercare-pdf").get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(response.body()))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "next session" in text.lower() and "Between" in text

    page.goto(f"/plans/{plan.pk}/")
    expect(page.locator("#course-progress")).to_contain_text("1 of 10")
    page.goto(f"/patients/{plan.patient.pk}/")
    expect(page.locator("#timeline-progress")).to_contain_text("1 of 10")
    expect(page.locator(".timeline-session")).to_have_count(1)
    expect(page.locator(".timeline-cocktail")).to_contain_text("redensity-1")
    assert_page_was_clean(page)
