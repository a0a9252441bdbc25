"""The catalog API over HTTP with a bearer token."""

from __future__ import annotations

from typing import Any

import pytest

from pistor.api.services import api_token_create
from pistor.catalog.models import ClinicProduct, ClinicProtocol
from pistor.catalog.services import COMPONENTS_MOST, PHASES_MOST
from pistor.catalog.tests.factories import clinic_product_data, clinic_protocol_data
from pistor.clinical.catalog import load_catalog
from pistor.clinical.protocols import plan_course

pytestmark = pytest.mark.django_db

BASE = "/api/v1/catalog"
CATALOG = load_catalog()


def _auth(user, clinic):
    _token, raw = api_token_create(user=user, clinic=clinic, name="test", actor=None)
    return {"Authorization": f"Bearer {raw}"}


PROTOCOL: dict[str, Any] = clinic_protocol_data(
    code="cellulite-fortnightly",
    name="Fortnightly cellulite course",
    indications=[next(iter(CATALOG.indications))],
)
PROTOCOL.pop("description")


@pytest.mark.parametrize(
    ("path", "entries"),
    [
        ("/indications", CATALOG.indications),
        ("/protocols", CATALOG.protocols),
        ("/ingredients", CATALOG.ingredients),
        ("/products", CATALOG.products),
        ("/techniques", CATALOG.techniques),
        ("/scales", CATALOG.scales),
        ("/side-effects", CATALOG.side_effects),
        ("/aftercare", CATALOG.aftercare),
    ],
)
def test_lists_and_each_entry_answer(client, receptionist, clinic, path, entries):
    headers = _auth(receptionist, clinic)
    response = client.get(BASE + path, headers=headers)
    assert response.status_code == 200
    assert {item["code"] for item in response.json()} == set(entries)
    if path in {"/side-effects", "/aftercare"}:
        return
    for code in entries:
        one = client.get(f"{BASE}{path}/{code}", headers=headers)
        assert one.status_code == 200, (path, code, one.content[:300])
        assert one.json()["code"] == code


def test_checklist_and_version(client, nurse, clinic):
    headers = _auth(nurse, clinic)
    checklist = client.get(f"{BASE}/checklist", headers=headers).json()
    assert [i["order"] for i in checklist] == sorted(i.order for i in CATALOG.checklist)
    assert client.get(f"{BASE}/version", headers=headers).json()["version"] == CATALOG.version


def test_indication_carries_its_evidence_note_and_sources(client, nurse, clinic):
    code, indication = next(iter(CATALOG.indications.items()))
    body = client.get(f"{BASE}/indications/{code}", headers=_auth(nurse, clinic)).json()
    assert body["evidence_note"] == indication.evidence_note
    assert [s["tag"] for s in body["source_details"]] == list(indication.sources)


def test_technique_depth_is_given_with_its_unit(client, nurse, clinic):
    body = client.get(f"{BASE}/techniques/papule", headers=_auth(nurse, clinic)).json()
    technique = CATALOG.techniques["papule"]
    assert body["depth_max"] == {
        "value": format(technique.depth_max.value.normalize(), "f"),
        "unit": "mm",
    }


def test_protocol_sample_course_is_planned_from_start(client, nurse, clinic):
    code, protocol = next(iter(CATALOG.protocols.items()))
    response = client.get(
        f"{BASE}/protocols/{code}", {"start": "2026-03-02"}, headers=_auth(nurse, clinic)
    )
    assert response.status_code == 200
    body = response.json()
    planned = plan_course(protocol, __import__("datetime").date(2026, 3, 2))
    assert body["sample_start"] == "2026-03-02"
    assert [(p["number"], p["target"]) for p in body["planned"]] == [
        (s.number, s.target.isoformat()) for s in planned
    ]


def test_bad_start_date_is_422(client, nurse, clinic):
    code = next(iter(CATALOG.protocols))
    response = client.get(
        f"{BASE}/protocols/{code}", {"start": "2026-02-30"}, headers=_auth(nurse, clinic)
    )
    assert response.status_code == 422
    assert "message" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/indications/nope",
        "/protocols/nope",
        "/ingredients/nope",
        "/products/nope",
        "/techniques/nope",
        "/scales/nope",
    ],
)
def test_unknown_code_is_404(client, nurse, clinic, path):
    response = client.get(BASE + path, headers=_auth(nurse, clinic))
    assert response.status_code == 404
    assert "message" in response.json()


def test_without_a_token_is_401(client):
    assert client.get(f"{BASE}/protocols").status_code == 401


def test_manager_creates_a_clinic_protocol_that_plans_like_a_built_in(client, manager, clinic):
    headers = _auth(manager, clinic)
    response = client.post(
        f"{BASE}/protocols", PROTOCOL, content_type="application/json", headers=headers
    )
    assert response.status_code == 201, response.content
    assert response.json()["clinic"] is True
    assert ClinicProtocol.objects.for_clinic(clinic).filter(code=PROTOCOL["code"]).exists()
    listed = client.get(f"{BASE}/protocols", headers=headers).json()
    assert PROTOCOL["code"] in {p["code"] for p in listed}
    detail = client.get(
        f"{BASE}/protocols/{PROTOCOL['code']}", {"start": "2026-03-02"}, headers=headers
    ).json()
    # Six fortnightly sessions, then two maintenance top-ups.
    assert [p["phase"] for p in detail["planned"]] == ["fortnightly"] * 6 + ["maintenance"] * 2
    assert detail["planned"][1]["target"] == "2026-03-16"


def test_bad_protocol_is_422_naming_the_field_and_stores_nothing(client, manager, clinic):
    bad = {**PROTOCOL, "phases": [{**PROTOCOL["phases"][0], "sessions_min": 9}]}
    response = client.post(
        f"{BASE}/protocols", bad, content_type="application/json", headers=_auth(manager, clinic)
    )
    assert response.status_code == 422
    body = response.json()
    assert body["extra"]["field"] == "phases[0].sessions_min"
    assert "phases[0].sessions_min" in body["extra"]["fields"]
    assert not ClinicProtocol.objects.exists()


def test_practitioner_cannot_create_clinic_entries(client, practitioner, clinic):
    response = client.post(
        f"{BASE}/protocols",
        PROTOCOL,
        content_type="application/json",
        headers=_auth(practitioner, clinic),
    )
    assert response.status_code == 403
    assert not ClinicProtocol.objects.exists()


def test_other_clinic_gets_404_for_a_clinic_protocol(
    client, manager, clinic, other_clinic_user, other_clinic
):
    client.post(
        f"{BASE}/protocols",
        PROTOCOL,
        content_type="application/json",
        headers=_auth(manager, clinic),
    )
    other = _auth(other_clinic_user, other_clinic)
    assert client.get(f"{BASE}/protocols/{PROTOCOL['code']}", headers=other).status_code == 404
    listed = client.get(f"{BASE}/protocols", headers=other).json()
    assert PROTOCOL["code"] not in {p["code"] for p in listed}


def test_manager_creates_a_clinic_product(client, manager, clinic):
    ingredient = next(iter(CATALOG.ingredients))
    payload = clinic_product_data(
        composition=[{"ingredient": ingredient, "concentration": {"value": "2.5", "unit": "mg/mL"}}]
    )
    headers = _auth(manager, clinic)
    response = client.post(
        f"{BASE}/products", payload, content_type="application/json", headers=headers
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["composition"][0]["concentration"] == {"value": "2.5", "unit": "mg/mL"}
    assert client.get(f"{BASE}/products/house-lipo", headers=headers).json()["clinic"] is True

    unknown = {**payload, "code": "house-two", "composition": [{"ingredient": "unobtainium"}]}
    refused = client.post(
        f"{BASE}/products", unknown, content_type="application/json", headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["extra"]["field"].startswith("composition[0]")
    assert ClinicProduct.objects.count() == 1


def test_more_phases_or_ingredients_than_any_door_allows_is_422_and_stores_nothing(
    client, manager, clinic
):
    headers = _auth(manager, clinic)
    too_long = {**PROTOCOL, "phases": PROTOCOL["phases"] * (PHASES_MOST + 1)}
    response = client.post(
        f"{BASE}/protocols", too_long, content_type="application/json", headers=headers
    )
    assert response.status_code == 422
    assert "phases" in response.content.decode()
    product = clinic_product_data(code="house-many")
    product["composition"] = product["composition"][:1] * (COMPONENTS_MOST + 1)
    response = client.post(
        f"{BASE}/products", product, content_type="application/json", headers=headers
    )
    assert response.status_code == 422
    assert "composition" in response.content.decode()
    assert not ClinicProtocol.objects.exists()
    assert not ClinicProduct.objects.exists()


def test_every_built_in_entry_fits_what_a_clinic_entry_may_hold():
    # A manager copying or adapting a built-in course or product must be able to save it.
    assert max(len(p.phases) for p in CATALOG.protocols.values()) <= PHASES_MOST
    assert max(len(p.composition) for p in CATALOG.products.values()) <= COMPONENTS_MOST
