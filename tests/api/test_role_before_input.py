"""The role is checked before the body is read: a refused caller never hears about its input."""

from __future__ import annotations

import pytest

from pistor.clinics.permissions import Action, can
from pistor.testing import routes
from tests.api.helpers import ApiClient, assert_error_shape, token_for

pytestmark = pytest.mark.django_db

# Every write operation reception may not call, read from the API itself.
REFUSED_WRITES = [
    op
    for op in routes.api_operations()
    if op.method != "GET" and op.action is not None and not can("reception", op.action)
]
BODIES = [
    ("no body", None),
    ("empty object", "{}"),
    ("not JSON", "{not json"),
    ("a list", "[1, 2]"),
    ("wrong types", '{"patient": "x", "proposal": 7, "weight_kg": [], "scale": {}}'),
]


def test_reception_is_refused_the_clinical_tools():
    clinical = [op.path for op in REFUSED_WRITES if op.action == Action.CLINICAL_TOOLS_USE]
    assert "/api/v1/clinical/screen" in clinical, "the walk should find the clinical endpoints"


@pytest.mark.parametrize("op", REFUSED_WRITES, ids=lambda op: f"{op.method} {op.path}")
@pytest.mark.parametrize(("label", "raw"), BODIES, ids=[b[0] for b in BODIES])
def test_a_refused_role_gets_403_whatever_it_posts(client, receptionist, clinic, op, label, raw):
    api = ApiClient(client, token_for(receptionist, clinic))
    path = op.path.replace("{patient_id}", "1").replace("{code}", "x")
    if raw is None:
        response = api.client.generic(op.method, path, headers=api._headers())
    else:
        response = api.request(op.method, path, raw=raw)
    body = assert_error_shape(response, 403)
    assert "may not" in body["message"]
