"""The catalog pages through HTTP, as staff of each role see them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.forms import BaseFormSet
from django.urls import reverse
from django.utils.html import escape

from conftest import signed_in_client
from pistor.catalog import forms as catalog_forms
from pistor.catalog.drawing import SKIN_PX_PER_MM
from pistor.catalog.models import ClinicProtocol
from pistor.clinical.catalog import load_catalog
from pistor.clinical.protocols import plan_course

pytestmark = pytest.mark.django_db

CATALOG = load_catalog()


def _match(pattern: str, text: str, flags: int = 0) -> re.Match[str]:
    found = re.search(pattern, text, flags)
    assert found is not None, pattern
    return found


def _protocol_post(**overrides):
    indication = next(iter(CATALOG.indications))
    data = {
        "name": "Fortnightly cellulite course",
        "code": "cellulite-fortnightly",
        "description": "Our usual cellulite course.",
        "indications": [indication],
        "phases-TOTAL_FORMS": "3",
        "phases-INITIAL_FORMS": "0",
        "phases-MIN_NUM_FORMS": "0",
        "phases-MAX_NUM_FORMS": "4",
        "phases-0-name": "fortnightly",
        "phases-0-sessions_min": "4",
        "phases-0-sessions_default": "6",
        "phases-0-sessions_max": "8",
        "phases-0-interval_min_days": "12",
        "phases-0-interval_target_days": "14",
        "phases-0-interval_max_days": "21",
    }
    data.update(overrides)
    return data


LIST_PAGES = [
    "catalog:index",
    "catalog:indication_list",
    "catalog:protocol_list",
    "catalog:ingredient_list",
    "catalog:product_list",
    "catalog:technique_list",
    "catalog:scale_list",
    "catalog:side_effect_list",
    "catalog:aftercare_list",
    "catalog:checklist",
]


@pytest.mark.parametrize("name", LIST_PAGES)
def test_each_list_page_renders_for_reception(client, receptionist, name):
    response = signed_in_client(client, receptionist).get(reverse(name))
    assert response.status_code == 200
    assert b"Catalog" in response.content


def test_every_detail_page_of_the_catalog_renders(client, practitioner):
    signed_in_client(client, practitioner)
    kinds: dict[str, dict[str, Any]] = {
        "catalog:indication_detail": CATALOG.indications,
        "catalog:protocol_detail": CATALOG.protocols,
        "catalog:ingredient_detail": CATALOG.ingredients,
        "catalog:product_detail": CATALOG.products,
        "catalog:technique_detail": CATALOG.techniques,
        "catalog:scale_detail": CATALOG.scales,
    }
    for name, entries in kinds.items():
        for code, entry in entries.items():
            response = client.get(reverse(name, args=[code]))
            assert response.status_code == 200, (name, code)
            assert escape(entry.name).encode() in response.content, (name, code)


def test_indication_page_shows_the_evidence_note_prominently(client, practitioner):
    code, indication = next(iter(CATALOG.indications.items()))
    response = signed_in_client(client, practitioner).get(
        reverse("catalog:indication_detail", args=[code])
    )
    html = response.content.decode()
    assert 'id="evidence-note"' in html
    # Before the details: the first thing read after the title.
    assert html.index('id="evidence-note"') < html.index("At a glance")


@pytest.mark.parametrize(
    "name",
    [
        "indication_detail",
        "protocol_detail",
        "ingredient_detail",
        "product_detail",
        "technique_detail",
        "scale_detail",
    ],
)
def test_unknown_code_is_the_404_page(client, practitioner, name):
    response = signed_in_client(client, practitioner).get(
        reverse(f"catalog:{name}", args=["no-such-thing"])
    )
    assert response.status_code == 404


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("catalog:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def _windows(html: str) -> list[str]:
    return re.findall(r'<rect class="window [^"]*"[^>]*>', html)


def test_protocol_timeline_draws_one_window_per_planned_session(client, practitioner):
    signed_in_client(client, practitioner)
    for code, protocol in CATALOG.protocols.items():
        response = client.get(
            reverse("catalog:protocol_detail", args=[code]), {"start": "2026-03-02"}
        )
        assert response.status_code == 200
        planned = plan_course(protocol, date(2026, 3, 2))
        windows = _windows(response.content.decode())
        assert len(windows) == len(planned), code
        # Each bar is the window of its session, dated from the start asked for.
        for session, rect in zip(planned, windows, strict=True):
            assert f'data-earliest="{session.earliest.isoformat()}"' in rect
            assert f'data-latest="{session.latest.isoformat()}"' in rect


def test_protocol_timeline_window_width_is_proportional_to_its_days(client, practitioner):
    code, protocol = next(
        (c, p) for c, p in CATALOG.protocols.items() if len(plan_course(p, date(2026, 1, 5))) > 2
    )
    html = (
        signed_in_client(client, practitioner)
        .get(reverse("catalog:protocol_detail", args=[code]), {"start": "2026-01-05"})
        .content.decode()
    )
    planned = plan_course(protocol, date(2026, 1, 5))
    rects = _windows(html)
    widths = [float(_match(r'width="([\d.]+)"', r).group(1)) for r in rects]
    days = [(s.latest - s.earliest).days for s in planned]
    wide = [(w, d) for w, d in zip(widths, days, strict=True) if d > 0]
    ratios = {round(w / d, 1) for w, d in wide}
    assert len(ratios) == 1  # one scale for every window


def test_bad_start_date_is_a_400_with_a_message_beside_the_field(client, practitioner):
    code = next(iter(CATALOG.protocols))
    response = signed_in_client(client, practitioner).get(
        reverse("catalog:protocol_detail", args=[code]), {"start": "2026-02-30"}
    )
    assert response.status_code == 400
    assert b"is not a date" in response.content
    assert b'id="sample-start-error"' in response.content


def test_technique_depth_band_is_drawn_to_scale(client, practitioner):
    technique = CATALOG.techniques["papule"]
    html = (
        signed_in_client(client, practitioner)
        .get(reverse("catalog:technique_detail", args=["papule"]))
        .content.decode()
    )
    band = _match(r'<rect class="band"[^>]*>', html).group(0)
    height = float(_match(r'height="([\d.]+)"', band).group(1))
    depth = technique.depth_max.value - technique.depth_min.value
    assert height == pytest.approx(float(depth) * SKIN_PX_PER_MM)
    # The band starts at its minimum depth below the skin surface.
    surface = float(_match(r'<line class="surface"[^>]*y1="([\d.]+)"', html).group(1))
    top = float(_match(r'y="([\d.]+)"', band).group(1))
    assert top - surface == pytest.approx(float(technique.depth_min.value) * SKIN_PX_PER_MM)


def test_needles_are_drawn_at_their_length(client, practitioner):
    code, technique = next((c, t) for c, t in CATALOG.techniques.items() if t.needles)
    html = (
        signed_in_client(client, practitioner)
        .get(reverse("catalog:technique_detail", args=[code]))
        .content.decode()
    )
    surface = float(_match(r'<line class="surface"[^>]*y1="([\d.]+)"', html).group(1))
    ends = [float(y) for y in re.findall(r'<line class="needle"[^>]*y2="([\d.]+)"', html)]
    lengths = [float(n.length.value) for n in technique.needles]
    assert [round((e - surface) / SKIN_PX_PER_MM, 3) for e in ends] == lengths


# --- Clinic protocols ----------------------------------------------------------------


def test_manager_adds_a_clinic_protocol_that_appears_in_the_list(client, manager, clinic):
    signed_in_client(client, manager)
    response = client.post(reverse("catalog:protocol_create"), _protocol_post())
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "catalog:protocol_detail", args=["cellulite-fortnightly"]
    )
    stored = ClinicProtocol.objects.for_clinic(clinic).get(code="cellulite-fortnightly")
    assert stored.catalog_version == CATALOG.version
    listing = client.get(reverse("catalog:protocol_list")).content.decode()
    row = _match(r'<tr data-code="cellulite-fortnightly">.*?</tr>', listing, re.S).group(0)
    assert "Fortnightly cellulite course" in row
    assert "badge-clinic" in row
    # Its page draws the same timeline: six sessions, one window each.
    detail = client.get(response["Location"], {"start": "2026-03-02"}).content.decode()
    assert len(_windows(detail)) == 6


def test_protocol_with_minimum_above_maximum_shows_the_field_error_and_stores_nothing(
    client, manager
):
    signed_in_client(client, manager)
    response = client.post(
        reverse("catalog:protocol_create"),
        _protocol_post(**{"phases-0-sessions_min": "9", "phases-0-sessions_max": "8"}),
    )
    assert response.status_code == 422
    html = response.content.decode()
    field = re.search(
        r'<div class="field field-error" id="field-phases-0-sessions_min">.*?</div>', html, re.S
    )
    assert field is not None, "the error is shown beside the phase's 'fewest sessions' field"
    assert "errorlist" in field.group(0)
    assert not ClinicProtocol.objects.exists()


def test_protocol_code_of_a_built_in_is_refused(client, manager):
    signed_in_client(client, manager)
    builtin = next(iter(CATALOG.protocols))
    response = client.post(reverse("catalog:protocol_create"), _protocol_post(code=builtin))
    assert response.status_code == 422
    assert re.search(r'id="field-code">.*?errorlist', response.content.decode(), re.S)
    assert not ClinicProtocol.objects.exists()


def test_practitioner_cannot_add_a_clinic_protocol(client, practitioner):
    signed_in_client(client, practitioner)
    assert client.get(reverse("catalog:protocol_create")).status_code == 403
    response = client.post(reverse("catalog:protocol_create"), _protocol_post())
    assert response.status_code == 403
    assert not ClinicProtocol.objects.exists()


def test_another_clinic_cannot_see_a_clinics_protocol(client, manager, other_clinic_user):
    signed_in_client(client, manager)
    client.post(reverse("catalog:protocol_create"), _protocol_post())
    client.logout()
    signed_in_client(client, other_clinic_user)
    url = reverse("catalog:protocol_detail", args=["cellulite-fortnightly"])
    assert client.get(url).status_code == 404
    assert b"cellulite-fortnightly" not in client.get(reverse("catalog:protocol_list")).content
    edit = reverse("catalog:protocol_edit", args=["cellulite-fortnightly"])
    assert client.get(edit).status_code == 404


def test_manager_edits_and_retires_a_clinic_protocol(client, manager, clinic):
    signed_in_client(client, manager)
    client.post(reverse("catalog:protocol_create"), _protocol_post())
    edit = reverse("catalog:protocol_edit", args=["cellulite-fortnightly"])
    form = client.get(edit)
    assert form.status_code == 200
    assert b'value="fortnightly"' in form.content
    data = _protocol_post(name="Fortnightly cellulite (revised)")
    data.pop("code")  # the code field is disabled when editing
    assert client.post(edit, data).status_code == 302
    stored = ClinicProtocol.objects.for_clinic(clinic).get()
    assert stored.name == "Fortnightly cellulite (revised)"
    retire = reverse("catalog:protocol_retire", args=["cellulite-fortnightly"])
    assert client.get(retire).status_code == 405
    assert client.post(retire).status_code == 302
    stored.refresh_from_db()
    assert stored.retired_at is not None
    assert b"cellulite-fortnightly" not in client.get(reverse("catalog:protocol_list")).content
    # Plans made with it can still read it.
    detail = client.get(reverse("catalog:protocol_detail", args=["cellulite-fortnightly"]))
    assert detail.status_code == 200
    assert b"retired" in detail.content


# --- Clinic products -----------------------------------------------------------------


def _product_post(**overrides):
    ingredient = next(iter(CATALOG.ingredients))
    data = {
        "name": "House lipolytic mix",
        "code": "house-lipo",
        "manufacturer": "Harbour Pharmacy",
        "form": "solution",
        "unit_volume_ml": "5",
        "description": "",
        "composition-TOTAL_FORMS": "3",
        "composition-INITIAL_FORMS": "0",
        "composition-MIN_NUM_FORMS": "0",
        "composition-MAX_NUM_FORMS": "20",
        "composition-0-ingredient": ingredient,
        "composition-0-concentration_value": "2.5",
        "composition-0-concentration_unit": "mg/mL",
        "composition-1-concentration_unit": "mg/mL",
        "composition-2-concentration_unit": "mg/mL",
    }
    data.update(overrides)
    return data


def test_manager_adds_a_clinic_product(client, manager):
    signed_in_client(client, manager)
    response = client.post(reverse("catalog:product_create"), _product_post())
    assert response.status_code == 302, response.content.decode()[:3000]
    listing = client.get(reverse("catalog:product_list")).content.decode()
    row = _match(r'<tr data-code="house-lipo">.*?</tr>', listing, re.S).group(0)
    assert "badge-clinic" in row
    detail = client.get(reverse("catalog:product_detail", args=["house-lipo"]))
    assert b"2.5 mg/mL" in detail.content
    assert b"5 mL" in detail.content


def test_product_with_an_ingredient_listed_twice_is_refused_beside_the_row(client, manager):
    signed_in_client(client, manager)
    ingredient = next(iter(CATALOG.ingredients))
    response = client.post(
        reverse("catalog:product_create"),
        _product_post(**{"composition-1-ingredient": ingredient}),
    )
    assert response.status_code == 422
    assert re.search(
        r'id="field-composition-1-ingredient">.*?errorlist', response.content.decode(), re.S
    )


def test_drawings_use_no_inline_style_the_csp_would_block(client, practitioner):
    signed_in_client(client, practitioner)
    for url in (
        reverse("catalog:protocol_detail", args=[next(iter(CATALOG.protocols))]),
        reverse("catalog:technique_detail", args=["papule"]),
        reverse("catalog:protocol_create"),
    ):
        html = client.get(url).content.decode()
        assert not re.search(r"\sstyle\s*=|<style\b", html, re.I), url
        assert not re.search(r"<script(?![^>]*\bsrc=)", html, re.I), url


def test_htmx_redraw_answers_only_the_sample_course(client, practitioner):
    code = next(iter(CATALOG.protocols))
    response = signed_in_client(client, practitioner).get(
        reverse("catalog:protocol_detail", args=[code]),
        {"start": "2026-03-02"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="course-timeline"' in html
    assert "<html" not in html
    bad = client.get(
        reverse("catalog:protocol_detail", args=[code]),
        {"start": "soon"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 400
    assert b'id="sample-start-error"' in bad.content


# --- Formsets bounded by what the page allows ------------------------------------------


def _pistor_formsets():
    # Every formset the product builds is in the catalog's forms; a new one elsewhere is
    # found once its module is imported (here, through the URL configuration).
    assert catalog_forms.PhaseFormSet and catalog_forms.ComponentFormSet
    found, todo = [], list(BaseFormSet.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if getattr(cls, "form", None) is not None and cls.form.__module__.startswith("pistor"):
            found.append(cls)
    return found


def test_every_formset_is_bounded_at_its_own_maximum():
    formsets = _pistor_formsets()
    assert len(formsets) >= 2
    for formset in formsets:
        # Django's default bound is max_num + 1000 forms built for one posted number.
        assert formset.absolute_max == formset.max_num, formset.__name__


@pytest.mark.parametrize(
    ("page", "post", "prefix", "most"),
    [
        ("catalog:protocol_create", _protocol_post, "phases", 4),
        ("catalog:product_create", _product_post, "composition", 20),
    ],
)
@pytest.mark.parametrize("claimed", ["1000000", "1" * 400])
def test_a_posted_form_count_beyond_the_page_maximum_is_refused_cheaply(
    client, manager, page, post, prefix, most, claimed
):
    response = signed_in_client(client, manager).post(
        reverse(page), post(**{f"{prefix}-TOTAL_FORMS": claimed})
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert f"Please submit at most {most} forms." in body
    drawn = set(re.findall(rf'name="{prefix}-(\d+)-', body))
    assert 0 < len(drawn) <= most
