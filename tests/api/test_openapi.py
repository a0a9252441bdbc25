"""The OpenAPI schema describes the API as it is: unique names, the bodies it accepts, and
every write operation refusing malformed input in the one 422 shape."""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from pistor.api.main import api as pistor_api
from pistor.clinics.models import Role
from pistor.testing import routes
from tests.api.helpers import ApiClient, assert_error_shape, token_for

OPERATIONS = routes.api_operations()
WRITES = [op for op in OPERATIONS if op.has_body]


def _body_model(op: routes.ApiOperation) -> type[BaseModel]:
    for params in op.operation.models:
        if getattr(params, "__ninja_param_source__", None) == "body":
            (field,) = params.model_fields.values()
            return typing.cast(type[BaseModel], field.annotation)
    raise AssertionError(f"{op.method} {op.path} has no body")


def _models_in(annotation: Any, seen: set[type[BaseModel]]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models_in(arg, seen)


def _all_models() -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    for op in OPERATIONS:
        for params in op.operation.models:
            for field in params.model_fields.values():
                _models_in(field.annotation, seen)
        for response in (op.operation.response_models or {}).values():
            for field in getattr(response, "model_fields", {}).values():
                _models_in(field.annotation, seen)
    return seen


def duplicate_names(models: set[type[BaseModel]]) -> dict[str, list[str]]:
    """Schema names used by more than one class: OpenAPI would keep only one of them."""
    by_name: dict[str, list[str]] = {}
    for model in models:
        by_name.setdefault(model.__name__, []).append(f"{model.__module__}.{model.__qualname__}")
    return {name: sorted(found) for name, found in by_name.items() if len(found) > 1}


def test_no_two_schemas_share_a_component_name():
    models = _all_models()
    assert len(models) > 20, "the walk found too few schemas to prove anything"
    assert duplicate_names(models) == {}


def test_the_duplicate_check_catches_a_collision():
    from pistor.patients.api import PatientIn as Registration

    class PatientIn(BaseModel):  # the clinical tools once had a schema of this name
        age_years: int

    found = duplicate_names({Registration, PatientIn})
    assert list(found) == ["PatientIn"]


@pytest.mark.parametrize("op", WRITES, ids=lambda op: f"{op.method} {op.path}")
def test_each_operation_documents_the_body_it_accepts(op):
    schema = pistor_api.get_openapi_schema()
    documented = schema["paths"][op.path][op.method.lower()]["requestBody"]
    ref = documented["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    accepted = _body_model(op).model_json_schema()
    assert set(component.get("properties", {})) == set(accepted.get("properties", {}))
    assert set(component.get("required", [])) == set(accepted.get("required", []))
    assert component.get("additionalProperties") is False, "unknown fields must be refused"


# --- Malformed bodies never run with defaults ------------------------------------------

WRONG_VALUES: list[Any] = [None, True, 123456789, -1, 1e308, "x", "", [], {}, [1], {"a": 1}]


def _wrong_for(prop: dict[str, Any], components: dict[str, Any]) -> list[Any]:
    """Values of types the field does not take (the right type is left to the fuzzer)."""
    types = set()

    def collect(p: dict[str, Any]) -> None:
        if "$ref" in p:
            types.add("object")
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in p.get(key, []):
                collect(sub)
        if "type" in p:
            types.add(p["type"])
        if "enum" in p or "const" in p:
            types.add("enum")

    collect(prop)
    wrong = []
    for value in WRONG_VALUES:
        kind = {
            type(None): "null",
            bool: "boolean",
            int: "integer",
            float: "number",
            str: "string",
            list: "array",
            dict: "object",
        }[type(value)]
        if kind in types or (kind == "integer" and "number" in types):
            continue
        if kind == "string" and ("number" in types or "integer" in types) and value == "x":
            wrong.append(value)  # text where a number belongs: still wrong
            continue
        if kind == "string" and ("number" in types or "integer" in types):
            continue  # decimals may be sent as text: "0.2"
        wrong.append(value)
    return wrong


def _resolve(prop: dict[str, Any], components: dict[str, Any]) -> dict[str, Any] | None:
    """The object schema a property refers to (directly or as the non-null choice)."""
    for candidate in [prop, *prop.get("anyOf", []), *prop.get("allOf", [])]:
        if "$ref" in candidate:
            return typing.cast(dict[str, Any], components[candidate["$ref"].rsplit("/", 1)[-1]])
    return None


def _wrong_bodies(
    valid: dict[str, Any], model: dict[str, Any], components: dict[str, Any], where: str = ""
) -> typing.Iterator[tuple[str, dict[str, Any]]]:
    """``valid`` with one field (at any depth the valid body reaches) set to a wrong type."""
    for name, prop in model.get("properties", {}).items():
        for wrong in _wrong_for(prop, components):
            yield f"{where}{name}", {**valid, name: wrong}
        nested = _resolve(prop, components)
        if nested is not None and isinstance(valid.get(name), dict):
            for path, inner in _wrong_bodies(valid[name], nested, components, f"{where}{name}."):
                yield path, {**valid, name: inner}


def _valid_bodies() -> dict[str, dict[str, Any]]:
    from pistor.clinical.catalog import load_catalog

    catalog = load_catalog()
    scale = catalog.scales["pain-nrs"]
    return {
        "/api/v1/clinical/plan": {
            "protocol": next(iter(catalog.protocols)),
            "first_session": "2026-03-02",
        },
        "/api/v1/clinical/screen": {
            "patient": {"age_years": 40},
            "proposal": {"indication": "localised-fat"},
        },
        "/api/v1/clinical/cocktail-suggestions": {
            "indication": "localised-fat",
            "patient": {"age_years": 40},
        },
        "/api/v1/clinical/lidocaine-max": {
            "weight_kg": "60",
            "concentration": {"value": "1", "unit": "%"},
        },
        "/api/v1/clinical/score": {
            "scale": scale.code,
            "answers": {item.code: str(item.minimum) for item in scale.items},
        },
    }


CLINICAL = [op for op in WRITES if op.path.startswith("/api/v1/clinical/")]


@pytest.mark.django_db
@pytest.mark.parametrize("op", CLINICAL, ids=lambda op: op.path)
def test_every_field_of_every_clinical_endpoint_refuses_wrong_types(client, nurse, clinic, op):
    api = ApiClient(client, token_for(nurse, clinic))
    schema = pistor_api.get_openapi_schema()
    components = schema["components"]["schemas"]
    valid = _valid_bodies()[op.path]
    assert api.post(op.path, valid).status_code == 200, "the valid body must pass"
    model = _body_model(op).model_json_schema(ref_template="#/components/schemas/{model}")
    sent, paths = 0, set()
    for path, wrong in _wrong_bodies(valid, model, components):
        paths.add(path)
        response = api.post(op.path, wrong)
        assert response.status_code == 422, (op.path, path, wrong, response.content[:200])
        body = assert_error_shape(response, 422)
        assert body["extra"]["fields"], (op.path, path)
        sent += 1
    if any(
        isinstance(valid.get(name), dict) and _resolve(prop, components)
        for name, prop in model["properties"].items()
    ):
        assert any("." in p for p in paths), "nested fields were not reached"
    unknown = api.post(op.path, {**valid, "pregnnant": True})
    assert_error_shape(unknown, 422)
    assert sent >= len(model["properties"])


@pytest.mark.django_db
def test_a_screen_with_the_patient_sent_as_text_is_refused(client, nurse, clinic):
    api = ApiClient(client, token_for(nurse, clinic))
    for patient in ("x", ["pregnant"], 1):
        response = api.post(
            "/api/v1/clinical/screen",
            {"patient": patient, "proposal": {"indication": "localised-fat"}},
        )
        assert assert_error_shape(response, 422)["extra"]["fields"]


# --- One 422 shape on every write endpoint --------------------------------------------

MALFORMED = ["[]", '"text"', "{}", '{"unknown_field": 1}']


@pytest.mark.django_db
@pytest.mark.parametrize("op", WRITES, ids=lambda op: f"{op.method} {op.path}")
def test_every_write_answers_422_in_one_shape(client, clinic, op):
    from pistor.clinics.permissions import can
    from pistor.testing.factories import MembershipFactory, UserFactory

    manager = UserFactory()
    MembershipFactory(user=manager, clinic=clinic, role=Role.MANAGER)
    # Some writes are the practitioner's alone (a screening override): send as a role that
    # may make the call, so the body is what is judged.
    role = next(r for r in (Role.MANAGER, Role.PRACTITIONER) if can(r, op.action))
    caller = manager
    if role != Role.MANAGER:
        caller = UserFactory()
        MembershipFactory(user=caller, clinic=clinic, role=role)
    api = ApiClient(client, token_for(caller, clinic))
    world = routes.world_build(clinic, manager)
    path = routes.fill(op, world)
    for raw in MALFORMED:
        if raw == "{}" and op.method == "PATCH":
            continue  # an empty change is a valid (if idle) PATCH
        response = api.request(op.method, path, raw=raw)
        body = assert_error_shape(response, 422)
        fields = body["extra"]["fields"]
        assert isinstance(fields, dict) and fields, (op.path, raw)
        assert all(isinstance(v, list) and v for v in fields.values())
        assert json.dumps(body)  # plain JSON, nothing else


def test_every_request_body_refuses_fields_it_does_not_know():
    # One input path: every body, and every object nested in one, is an InputSchema, so a
    # misspelt field is a 422 naming it rather than a value silently dropped.
    lax = set()
    for op in WRITES:
        seen: set[type[BaseModel]] = set()
        _models_in(_body_model(op), seen)
        lax |= {
            f"{m.__module__}.{m.__qualname__}"
            for m in seen
            if m.model_config.get("extra") != "forbid"
        }
    assert sorted(lax) == []
