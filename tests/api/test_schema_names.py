"""OpenAPI names each schema by its class name: two schemas with one name would document
one operation with another's body. Every request and response model has its own name."""

from collections import defaultdict

import pydantic

from pistor.api.main import api


def _models(annotation, found, depth=0):
    if depth > 8:
        return
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, found, depth + 1)
        return
    for argument in getattr(annotation, "__args__", None) or ():
        _models(argument, found, depth + 1)


def test_no_two_api_schemas_share_a_name():
    found: set[type] = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    _models(model, found)
                for model in (operation.response_models or {}).values():
                    _models(model, found)
    by_name = defaultdict(set)
    for model in found:
        by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    clashes = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert len(found) > 50  # the walk reached the routers' schemas
    assert clashes == {}


def test_each_documented_body_is_the_one_the_operation_reads():
    schema = api.get_openapi_schema()
    reading = schema["paths"]["/api/v1/patients/{patient_id}/allergy-tests/{test_id}/reading"]
    body = reading["post"]["requestBody"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert "result" in component["properties"]  # an allergy reading, not a fridge reading
