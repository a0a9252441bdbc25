"""The clinical tools API over HTTP with a bearer token."""

from __future__ import annotations

from typing import Any

import pytest

from pistor.audit.models import AuditEvent
from pistor.clinical.catalog import load_catalog
from pistor.clinical.codes import FindingCode, finding_code
from pistor.clinical.protocols import plan_course
from pistor.patients.tests.factories import PatientFactory
from pistor.tools.tests.helpers import Api, add_clinic_protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, practitioner, clinic) -> Api:
    return Api(client, practitioner, clinic)


def _proposal(**overrides: Any) -> dict[str, Any]:
    proposal: dict[str, Any] = {
        "indication": "localised-fat",
        "areas": [
            {
                "area": "abdomen",
                "technique": "point-by-point",
                "depth": {"value": "6", "unit": "mm"},
            }
        ],
        "cocktail": [
            {
                "code": "phosphatidylcholine",
                "volume": {"value": "2", "unit": "mL"},
                "concentration": {"value": "5", "unit": "%"},
            }
        ],
    }
    proposal.update(overrides)
    return proposal


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"message", "extra"}
    return body


# --- Screen ------------------------------------------------------------------------------


def test_screen_blocks_phosphatidylcholine_for_a_soy_allergy(api):
    response = api.post(
        "/screen", {"patient": {"age_years": 40, "allergens": ["soy"]}, "proposal": _proposal()}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verdict"] == "block" and body["blocked"] is True
    block = next(f for f in body["findings"] if f["severity"] == "block")
    assert block["code"] == finding_code(FindingCode.ALLERGY, "soy", "phosphatidylcholine")
    assert "soya" in block["message"]
    assert any(e["kind"] == "source" and e["url"] for e in block["evidence"])


def test_screen_answers_the_same_as_the_page(api, client, practitioner):
    """The page and the API ask the same core: same codes, same messages, same order."""
    from conftest import signed_in_client
    from pistor.tools.tests.helpers import screen_form

    body = api.post(
        "/screen",
        {
            "patient": {"age_years": 40, "weight_kg": "70", "allergens": ["soy"]},
            "proposal": _proposal(),
        },
    ).json()
    signed_in_client(client, practitioner)
    html = client.post("/tools/screen/", {**screen_form(), "allergens": ["soy"]}).content.decode()
    positions = [html.index(f'data-code="{f["code"]}"') for f in body["findings"]]
    assert positions == sorted(positions)
    for finding in body["findings"]:
        assert finding["message"].replace("'", "&#x27;") in html


def test_screen_warns_about_a_papule_at_6_mm(api):
    proposal = _proposal(
        indication="skin-rejuvenation",
        areas=[{"technique": "papule", "depth": {"value": "6", "unit": "mm"}}],
        cocktail=[],
    )
    body = api.post("/screen", {"patient": {"age_years": 40}, "proposal": proposal}).json()
    assert finding_code(FindingCode.DEPTH_OUTSIDE_TECHNIQUE, "papule") in [
        f["code"] for f in body["findings"]
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"areas": [{"technique": "papule", "depth": {"value": "-1", "unit": "mm"}}]},
            "areas[0].depth",
        ),
        ({"cocktail": [{"code": "unicorn-dust"}]}, "cocktail[0].code"),
        (
            {"cocktail": [{"code": "phosphatidylcholine", "volume": {"value": "2", "unit": "mg"}}]},
            "cocktail[0].volume",
        ),
        (
            {"cocktail": [{"code": "lidocaine", "volume": {"value": "2", "unit": "furlong"}}]},
            "cocktail[0].volume.unit",
        ),
        ({"indication": "vanity"}, "indication"),
        ({"protocol": "no-such-protocol"}, "protocol"),
    ],
)
def test_bad_screen_data_is_a_422_naming_the_field(api, change, field):
    response = api.post("/screen", {"patient": {"age_years": 40}, "proposal": _proposal(**change)})
    body = _error(response, 422)
    assert body["extra"]["field"] == field
    assert body["message"]


def test_an_unknown_allergen_is_a_422_naming_the_field(api):
    response = api.post(
        "/screen", {"patient": {"allergens": ["kryptonite"]}, "proposal": _proposal()}
    )
    assert _error(response, 422)["extra"]["field"] == "patient.allergens"


def test_a_body_that_is_not_the_schema_is_a_422_with_fields(api):
    response = api.post("/screen", {"proposal": {"areas": "everywhere"}})
    body = _error(response, 422)
    assert "fields" in body["extra"]


def test_a_screen_for_a_patient_is_audited(api, clinic, practitioner):
    patient: Any = PatientFactory(clinic=clinic)
    body = api.post(
        "/screen",
        {"patient_id": patient.pk, "patient": {"allergens": ["soy"]}, "proposal": _proposal()},
    ).json()
    assert body["patient_id"] == patient.pk
    assert (
        AuditEvent.objects.filter(event_type="patient.viewed", subject_id=str(patient.pk)).count()
        == 1
    )
    run = AuditEvent.objects.get(event_type="clinical.screen_run")
    assert run.actor_id == practitioner.pk and run.subject_id == str(patient.pk)
    assert dict(run.after or {})["findings"] == [f["code"] for f in body["findings"]]


def test_a_screen_without_a_patient_is_not_audited(api):
    api.post("/screen", {"patient": {"age_years": 40}, "proposal": _proposal()})
    assert not AuditEvent.objects.filter(event_type="clinical.screen_run").exists()


def test_a_patient_of_another_clinic_is_a_404(api, other_clinic):
    stranger: Any = PatientFactory(clinic=other_clinic)
    response = api.post("/screen", {"patient_id": stranger.pk, "proposal": _proposal()})
    _error(response, 404)
    assert not AuditEvent.objects.filter(event_type="clinical.screen_run").exists()
    assert not AuditEvent.objects.filter(event_type="patient.viewed").exists()


# --- Who may call ------------------------------------------------------------------------

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("/plan", {"protocol": "seed-course-2-5", "first_session": "2026-01-05"}),
    ("/screen", {"proposal": {"indication": "cellulite"}}),
    ("/cocktail-suggestions", {"indication": "cellulite"}),
    ("/lidocaine-max", {"weight_kg": "60"}),
    ("/score", {"scale": "pain-nrs", "answers": {}}),
]


@pytest.mark.parametrize(("path", "body"), CALLS, ids=[c[0] for c in CALLS])
def test_reception_is_refused_every_endpoint(client, receptionist, clinic, path, body):
    response = Api(client, receptionist, clinic).post(path, body)
    assert _error(response, 403)["extra"]["action"] == "clinical_tools.use"


@pytest.mark.parametrize(("path", "body"), CALLS, ids=[c[0] for c in CALLS])
def test_no_token_is_a_401(client, path, body):
    response = client.post(f"/api/v1/clinical{path}", data=body, content_type="application/json")
    _error(response, 401)


@pytest.mark.parametrize("role", ["nurse", "manager"])
def test_nurses_and_managers_may_call(client, clinic, request, role):
    api = Api(client, request.getfixturevalue(role), clinic)
    assert api.post("/lidocaine-max", {"weight_kg": "60"}).status_code == 200


# --- Plan --------------------------------------------------------------------------------


def test_plan_matches_the_clinical_core(api):
    body = api.post(
        "/plan", {"protocol": "seed-course-10-weekly", "first_session": "2026-01-05"}
    ).json()
    expected = plan_course(
        load_catalog().protocols["seed-course-10-weekly"], __import__("datetime").date(2026, 1, 5)
    )
    assert [s["target"] for s in body["planned"]] == [s.target.isoformat() for s in expected]
    phases = [s["phase"] for s in body["planned"]]
    assert phases.count("initial") == 10 and phases.count("monthly") == 6
    assert body["adherence"] == [] and body["replanned"] == []


def test_plan_checks_done_dates_and_replans(api):
    body = api.post(
        "/plan",
        {
            "protocol": "seed-course-10-weekly",
            "first_session": "2026-01-05",
            "done_dates": ["2026-01-05", "2026-01-07"],
        },
    ).json()
    assert [f["code"] for f in body["adherence"]] == [FindingCode.INTERVAL_TOO_SHORT]
    assert body["replanned"][0]["number"] == 3


def test_plan_a_clinic_protocol(api, clinic, manager):
    add_clinic_protocol(clinic, manager)
    body = api.post(
        "/plan", {"protocol": "harbour-cellulite", "first_session": "2026-03-02"}
    ).json()
    assert body["protocol"]["name"] == "Harbour fortnightly cellulite course"
    assert len(body["planned"]) == 6 + 2


def test_another_clinics_protocol_is_unknown_here(client, other_clinic, other_clinic_user, api):
    add_clinic_protocol(other_clinic, other_clinic_user)
    response = api.post("/plan", {"protocol": "harbour-cellulite", "first_session": "2026-03-02"})
    assert _error(response, 422)["extra"]["field"] == "protocol"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"protocol": "seed-course-2-5", "first_session": "2026-01-05", "sessions": 9}, "sessions"),
        (
            {
                "protocol": "seed-course-2-5",
                "first_session": "2026-01-05",
                "done_dates": ["2999-01-01"],
            },
            "done_dates[0]",
        ),
    ],
)
def test_bad_plan_data_is_a_422_naming_the_field(api, body, field):
    assert _error(api.post("/plan", body), 422)["extra"]["field"] == field


# --- Cocktail suggestions ----------------------------------------------------------------


def test_suggestions_mark_what_the_patient_must_not_receive(api):
    body = api.post(
        "/cocktail-suggestions", {"indication": "localised-fat", "patient": {"allergens": ["soy"]}}
    ).json()
    assert body["note"] == "A starting point to tailor, never a prescription."
    pc = next(s for s in body["suggestions"] if s["code"] == "phosphatidylcholine")
    assert pc["excluded"] is True and "soya" in pc["reasons"][0]
    assert pc["usual_concentration"] == {"value": "5", "unit": "%"}


def test_suggestions_without_a_patient_are_refused_not_run_for_nobody(api):
    response = api.post("/cocktail-suggestions", {"indication": "localised-fat"})
    assert "patient" in _error(response, 422)["message"] + str(response.json()["extra"])


def test_suggestions_for_an_unknown_indication_are_a_422(api):
    response = api.post("/cocktail-suggestions", {"indication": "vanity", "patient": {}})
    assert _error(response, 422)["extra"]["field"] == "indication"


# --- Lidocaine ---------------------------------------------------------------------------


def test_sixty_kilograms_without_adrenaline_allows_270_mg(api):
    body = api.post("/lidocaine-max", {"weight_kg": "60"}).json()
    assert body["maximum"] == {"value": "270", "unit": "mg"}
    assert body["planned"] is None and body["over_maximum"] is False


def test_a_planned_dose_over_the_maximum_is_flagged(api):
    body = api.post(
        "/lidocaine-max",
        {
            "weight_kg": 60,
            "concentration": {"value": "2", "unit": "%"},
            "volume": {"value": "15", "unit": "mL"},
        },
    ).json()
    assert body["planned"] == {"value": "300", "unit": "mg"}
    assert body["percent_of_maximum"] == "111.1" and body["over_maximum"] is True
    assert body["max_volume"] == {"value": "13.5", "unit": "mL"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weight_kg": "-60"}, "weight_kg"),
        ({"weight_kg": "sixty"}, "weight_kg"),
        ({"weight_kg": "60", "volume": {"value": "5", "unit": "mg"}}, "volume"),
        ({"weight_kg": "60", "concentration": {"value": "1", "unit": "mL"}}, "concentration"),
    ],
)
def test_bad_lidocaine_data_is_a_422_naming_the_field(api, body, field):
    assert _error(api.post("/lidocaine-max", body), 422)["extra"]["field"] == field


# --- Scales ------------------------------------------------------------------------------


def test_score_a_scale(api):
    scale = load_catalog().scales["hexsel-css"]
    answers = {item.code: str(item.minimum) for item in scale.items}
    body = api.post("/score", {"scale": "hexsel-css", "answers": answers}).json()
    assert body["scale"] == "hexsel-css"
    assert [i["code"] for i in body["items"]] == [i.code for i in scale.items]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scale": "nope", "answers": {}}, "scale"),
        ({"scale": "pain-nrs", "answers": {}}, None),  # the item code
    ],
)
def test_bad_score_data_is_a_422_naming_the_field(api, body, field):
    response = api.post("/score", body)
    expected = field or load_catalog().scales["pain-nrs"].items[0].code
    assert _error(response, 422)["extra"]["field"] == expected
