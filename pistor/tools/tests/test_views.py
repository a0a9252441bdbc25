"""The clinical tools pages, through HTTP as staff use them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from conftest import signed_in_client
from pistor.audit.models import AuditEvent
from pistor.patients.tests.factories import PatientFactory
from pistor.tools.tests.helpers import add_clinic_protocol, screen_form

pytestmark = pytest.mark.django_db

PAGES = ["/tools/", "/tools/plan/", "/tools/screen/", "/tools/cocktail/", "/tools/lidocaine/"]
PAGES += ["/tools/score/"]


def _years_ago(years: int) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28))


def _html(response) -> str:
    return response.content.decode()


def _error_beside(html: str, input_id: str) -> str:
    """The text of the error list tied to ``input_id``; fails if there is none."""
    match = re.search(
        rf'<ul class="errorlist" id="{re.escape(input_id)}-error">(.*?)</ul>', html, re.S
    )
    assert match, f"no error shown beside {input_id}"
    return re.sub(r"<[^>]+>", " ", match.group(1))


# --- Who may use them --------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ["practitioner", "nurse", "manager"])
def test_clinical_staff_can_open_every_tool(client, request, role, path):
    signed_in_client(client, request.getfixturevalue(role))
    response = client.get(path)
    assert response.status_code == 200
    assert 'id="nav-tools"' in _html(response)


@pytest.mark.parametrize("path", PAGES)
def test_reception_is_refused_every_tool(client, receptionist, path):
    signed_in_client(client, receptionist)
    assert client.get(path).status_code == 403
    assert client.post(path, screen_form()).status_code == 403


def test_reception_does_not_see_the_tools_link(client, receptionist):
    signed_in_client(client, receptionist)
    assert 'id="nav-tools"' not in _html(client.get("/"))


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client):
    response = client.get("/tools/screen/")
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


# --- Safety screen -----------------------------------------------------------------------


def test_a_soy_allergy_blocks_phosphatidylcholine_and_says_so(client, practitioner):
    signed_in_client(client, practitioner)
    response = client.post("/tools/screen/", {**screen_form(), "allergens": ["soy"]})
    html = _html(response)
    assert response.status_code == 200
    assert "Blocked — this treatment must not go ahead" in html
    block = re.search(
        r'<li class="finding finding-block" data-code="allerg[^"]*">(.*?)</li>', html, re.S
    )
    assert block, "no blocking allergy finding"
    assert "soy" in block.group(1).lower()
    assert 'class="badge badge-block"' in block.group(1)


def test_a_papule_at_6_mm_is_outside_the_technique(client, practitioner):
    signed_in_client(client, practitioner)
    form = screen_form(**{"areas-0-technique": "papule", "indication": "skin-rejuvenation"})
    form.update({"cocktail-0-code": "", "cocktail-0-volume": "", "cocktail-0-concentration": ""})
    html = _html(client.post("/tools/screen/", form))
    assert 'data-code="depth-outside-technique:papule"' in html
    assert "6 mm is outside the 1 mm to 2 mm range" in html
    assert "Warnings to weigh" in html


def test_a_screen_with_nothing_of_concern_says_no_findings(client, practitioner):
    signed_in_client(client, practitioner)
    form = {
        "age_years": "40",
        "indication": "skin-rejuvenation",
        "areas-0-area": "face",
        "areas-0-technique": "papule",
        "areas-0-depth": "1.5",
    }
    html = _html(client.post("/tools/screen/", form))
    assert 'data-verdict="none"' in html and "No findings." in html


def test_evidence_tags_are_shown_as_source_titles(client, practitioner):
    signed_in_client(client, practitioner)
    html = _html(client.post("/tools/screen/", {**screen_form(), "allergens": ["soy"]}))
    assert 'class="evidence evidence-source"' in html
    assert "Patient: " in html  # the patient fact behind the finding, by name


def test_a_negative_depth_is_a_422_with_the_error_beside_the_depth(client, practitioner):
    signed_in_client(client, practitioner)
    response = client.post("/tools/screen/", screen_form(**{"areas-0-depth": "-2"}))
    html = _html(response)
    assert response.status_code == 422
    assert "cannot be negative" in _error_beside(html, "id_areas-0-depth")
    depth_input = re.search(r'<input[^>]*id="id_areas-0-depth"[^>]*>', html)
    assert depth_input and 'value="-2"' in depth_input.group(0)
    assert 'aria-invalid="true"' in depth_input.group(0)
    assert 'id="screen-verdict"' not in html


def test_errors_land_on_the_form_row_even_after_an_empty_row(client, practitioner):
    signed_in_client(client, practitioner)
    form = screen_form(
        **{"cocktail-0-code": "", "cocktail-0-volume": "", "cocktail-0-concentration": ""}
    )
    form.update({"cocktail-2-code": "no-such-thing", "cocktail-2-volume": "1"})
    response = client.post("/tools/screen/", form)
    assert response.status_code == 422
    assert "no-such-thing" in _error_beside(_html(response), "id_cocktail-2-code")


def test_an_unknown_ingredient_is_a_422_naming_the_line(client, practitioner):
    signed_in_client(client, practitioner)
    response = client.post("/tools/screen/", screen_form(**{"cocktail-0-code": "unicorn-dust"}))
    assert response.status_code == 422
    assert "unicorn-dust" in _error_beside(_html(response), "id_cocktail-0-code")


def test_a_volume_given_in_mg_is_a_422_beside_the_volume(client, practitioner):
    signed_in_client(client, practitioner)
    response = client.post("/tools/screen/", screen_form(**{"cocktail-0-volume_unit": "mg"}))
    assert response.status_code == 422
    assert "volume" in _error_beside(_html(response), "id_cocktail-0-volume").lower()


def test_an_unknown_allergen_is_a_422_beside_the_allergies(client, practitioner):
    signed_in_client(client, practitioner)
    response = client.post("/tools/screen/", {**screen_form(), "allergens": ["kryptonite"]})
    assert response.status_code == 422
    assert "kryptonite" in _error_beside(_html(response), "id_allergens")


def test_htmx_swaps_only_the_results(client, practitioner):
    signed_in_client(client, practitioner)
    response = client.post("/tools/screen/", screen_form(), headers={"HX-Request": "true"})
    html = _html(response)
    assert response.status_code == 200
    assert 'id="screen-verdict"' in html
    assert "<html" not in html and 'id="screen-form"' not in html


def test_htmx_with_a_field_error_swaps_the_whole_tool(client, practitioner):
    signed_in_client(client, practitioner)
    response = client.post(
        "/tools/screen/", screen_form(**{"areas-0-depth": "-1"}), headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#screen-tool"
    html = _html(response)
    assert html.lstrip().startswith('<div id="screen-tool">') and "<html" not in html
    assert _error_beside(html, "id_areas-0-depth")


def test_a_screen_without_a_patient_record_stores_nothing(client, practitioner):
    signed_in_client(client, practitioner)
    before = AuditEvent.objects.count()
    client.post("/tools/screen/", screen_form())
    assert AuditEvent.objects.count() == before


def test_a_screen_for_a_patient_record_is_audited_with_codes_only(client, practitioner, clinic):
    patient: Any = PatientFactory(clinic=clinic, fitzpatrick_type=5)
    signed_in_client(client, practitioner)
    form = {**screen_form(), "allergens": ["soy"], "patient_id": str(patient.pk)}
    html = _html(client.post("/tools/screen/", form))
    assert patient.record_number in html
    opened = AuditEvent.objects.filter(event_type="patient.viewed", subject_id=str(patient.pk))
    assert opened.count() == 1
    run = AuditEvent.objects.get(event_type="clinical.screen_run")
    assert run.subject_id == str(patient.pk) and run.actor_id == practitioner.pk
    assert run.clinic_id == clinic.pk
    assert dict(run.after or {})["cocktail"] == ["phosphatidylcholine"]
    assert dict(run.after or {})["blocked"] is True
    assert any(code.startswith("allerg") for code in dict(run.after or {})["findings"])
    assert "abdomen" not in str(run.after or {})  # no free text in the trail


def test_the_registry_supplies_age_from_the_record(client, practitioner, clinic):
    patient: Any = PatientFactory(clinic=clinic, date_of_birth=_years_ago(16))
    signed_in_client(client, practitioner)
    # The form says 40; the record says 16, and the record wins.
    html = _html(client.post("/tools/screen/", {**screen_form(), "patient_id": str(patient.pk)}))
    assert "under 18" in html


def test_a_patient_of_another_clinic_is_a_404_and_nothing_is_audited(
    client, practitioner, other_clinic
):
    stranger: Any = PatientFactory(clinic=other_clinic)
    signed_in_client(client, practitioner)
    response = client.post("/tools/screen/", {**screen_form(), "patient_id": str(stranger.pk)})
    assert response.status_code == 404
    assert client.get(f"/tools/screen/?patient={stranger.pk}").status_code == 404
    assert not AuditEvent.objects.filter(event_type="clinical.screen_run").exists()


def test_a_clinic_protocol_can_be_screened_against(client, practitioner, manager, clinic):
    add_clinic_protocol(clinic, manager)
    signed_in_client(client, practitioner)
    response = client.post(
        "/tools/screen/", screen_form(indication="cellulite", protocol="harbour-cellulite")
    )
    assert response.status_code == 200
    assert 'id="screen-verdict"' in _html(response)


# --- Course planner ----------------------------------------------------------------------


def test_the_planner_shows_ten_weekly_then_six_monthly_sessions(client, practitioner):
    signed_in_client(client, practitioner)
    response = client.get(
        "/tools/plan/", {"protocol": "seed-course-10-weekly", "first_session": "2026-01-05"}
    )
    html = _html(response)
    assert response.status_code == 200
    table = html.split('id="planned-sessions"')[1].split("</table>")[0]
    assert table.count('<tr data-phase="initial">') == 10
    assert table.count('<tr data-phase="monthly">') == 6
    assert '<tr data-phase="maintenance">' in table
    assert 'id="course-timeline"' in html  # the catalog's own timeline drawing
    assert "Mon 5 Jan 2026" in table and "Mon 12 Jan 2026" in table


def test_the_planner_checks_done_dates_and_replans(client, practitioner):
    signed_in_client(client, practitioner)
    done = "2026-01-05\n2026-01-07\n"
    response = client.get(
        "/tools/plan/",
        {"protocol": "seed-course-10-weekly", "first_session": "2026-01-05", "done_dates": done},
    )
    html = _html(response)
    assert response.status_code == 200
    assert 'data-code="interval-too-short"' in html
    assert 'id="replanned-sessions"' in html


def test_the_planner_plans_a_clinic_protocol(client, practitioner, manager, clinic):
    add_clinic_protocol(clinic, manager)
    signed_in_client(client, practitioner)
    html = _html(
        client.get("/tools/plan/", {"protocol": "harbour-cellulite", "first_session": "2026-03-02"})
    )
    assert "Harbour fortnightly cellulite course (this clinic)" in html
    table = html.split('id="planned-sessions"')[1].split("</table>")[0]
    assert table.count('<tr data-phase="fortnightly">') == 6
    assert table.count('<tr data-phase="maintenance">') == 2


@pytest.mark.parametrize(
    ("params", "input_id", "words"),
    [
        ({"protocol": "nope"}, "id_protocol", "nope"),
        ({"protocol": "seed-course-2-5", "sessions": "9"}, "id_sessions", "outside that range"),
        (
            {"protocol": "seed-course-2-5", "first_session": "5 May"},
            "id_first_session",
            "YYYY-MM-DD",
        ),
        (
            {"protocol": "seed-course-2-5", "done_dates": "2026-01-01\nyesterday"},
            "id_done_dates",
            "yesterday",
        ),
    ],
)
def test_bad_planner_input_is_a_422_beside_its_input(client, practitioner, params, input_id, words):
    signed_in_client(client, practitioner)
    response = client.get("/tools/plan/", {"first_session": "2026-01-05", **params})
    assert response.status_code == 422
    assert words in _error_beside(_html(response), input_id)


# --- Cocktail suggestions ----------------------------------------------------------------


def test_suggestions_grey_out_what_the_patient_must_not_receive(client, practitioner):
    signed_in_client(client, practitioner)
    response = client.post(
        "/tools/cocktail/", {"indication": "localised-fat", "allergens": ["soy"]}
    )
    html = _html(response)
    assert response.status_code == 200
    assert "A starting point to tailor, never a prescription." in html
    item = re.search(
        r'<li class="suggestion excluded" data-code="phosphatidylcholine".*?</li>\s*</ul>',
        html,
        re.S,
    )
    assert item, "phosphatidylcholine is not shown as excluded"
    assert "soy" in item.group(0).lower()


def test_suggestions_need_a_known_indication(client, practitioner):
    signed_in_client(client, practitioner)
    response = client.post("/tools/cocktail/", {"indication": "vanity"})
    assert response.status_code == 422
    assert "vanity" in _error_beside(_html(response), "id_indication")


# --- Lidocaine ---------------------------------------------------------------------------


def test_sixty_kilograms_without_adrenaline_allows_270_mg(client, practitioner):
    signed_in_client(client, practitioner)
    html = _html(client.post("/tools/lidocaine/", {"weight_kg": "60"}))
    assert '<span id="lidocaine-maximum">270 mg</span>' in html


def test_a_planned_dose_is_shown_against_the_maximum(client, practitioner):
    signed_in_client(client, practitioner)
    form = {
        "weight_kg": "60",
        "with_adrenaline": "on",
        "concentration": "1",
        "concentration_unit": "%",
        "volume": "21",
    }
    html = _html(client.post("/tools/lidocaine/", form))
    assert '<span id="lidocaine-maximum">420 mg</span>' in html  # 7 mg/kg with adrenaline
    assert (
        "<strong>210 mg</strong>" in html
        and '<strong id="lidocaine-percent">50.0%</strong>' in html
    )
    assert "at most <strong>42 mL</strong>" in html  # the most at 1 %


@pytest.mark.parametrize(
    ("form", "input_id"),
    [
        ({"weight_kg": "-3"}, "id_weight_kg"),
        ({"weight_kg": "60", "concentration": "1", "concentration_unit": "mL"}, "id_concentration"),
    ],
)
def test_bad_lidocaine_input_is_a_422_beside_its_input(client, practitioner, form, input_id):
    signed_in_client(client, practitioner)
    response = client.post("/tools/lidocaine/", form)
    assert response.status_code == 422
    assert _error_beside(_html(response), input_id)


# --- Scales ------------------------------------------------------------------------------


def test_choosing_a_scale_shows_an_input_per_item(client, practitioner):
    from pistor.clinical.catalog import load_catalog

    scale = load_catalog().scales["hexsel-css"]
    signed_in_client(client, practitioner)
    html = _html(client.get("/tools/score/", {"scale": "hexsel-css"}))
    for item in scale.items:
        assert f'id="id_item-{item.code}"' in html


def test_a_scale_is_scored_with_its_band(client, practitioner):
    from pistor.clinical.catalog import load_catalog
    from pistor.clinical.scales import score

    scale = load_catalog().scales["hexsel-css"]
    answers = {item.code: str(item.maximum) for item in scale.items}
    expected = score("hexsel-css", answers)
    signed_in_client(client, practitioner)
    form = {"scale": "hexsel-css", **{f"item-{k}": v for k, v in answers.items()}}
    html = _html(client.post("/tools/score/", form))
    assert f'<span id="score-total">{expected.total.normalize()}</span>' in html
    assert expected.band and expected.band in html
    assert ('id="band-uncertain"' in html) is expected.band_uncertain


def test_a_missing_item_is_a_422_beside_it(client, practitioner):
    from pistor.clinical.catalog import load_catalog

    scale = load_catalog().scales["hexsel-css"]
    first, *rest = scale.items
    signed_in_client(client, practitioner)
    form = {"scale": "hexsel-css", **{f"item-{i.code}": str(i.minimum) for i in rest}}
    response = client.post("/tools/score/", form)
    assert response.status_code == 422
    assert "an answer is needed" in _error_beside(_html(response), f"id_item-{first.code}")


# --- Bounded work --------------------------------------------------------------------------


def test_the_screen_makes_the_same_few_queries_however_many_clinic_protocols(
    client, practitioner, manager, clinic, django_assert_max_num_queries
):
    from pistor.catalog.services import clinic_protocol_create
    from pistor.tools.tests.helpers import CLINIC_PROTOCOL

    for n in range(5):
        data = {**CLINIC_PROTOCOL, "code": f"harbour-{n}", "name": f"Harbour course {n}"}
        clinic_protocol_create(clinic=clinic, actor=manager, data=data)
    patient: Any = PatientFactory(clinic=clinic)
    signed_in_client(client, practitioner)
    form = {**screen_form(), "patient_id": str(patient.pk)}
    # Sign-in and clinic (4), the clinic's catalog (2), the patient (1), two audit events
    # (the opening and the run, with their savepoints) and the session: none of it grows
    # with the clinic's data.
    with django_assert_max_num_queries(23):
        assert client.post("/tools/screen/", form).status_code == 200
