"""Schemathesis over the whole API, with a token of each role: 0 failures.

Every operation's generated requests (valid and invalid bodies, query strings and ids) go
through the WSGI app; the answers must never be a server error, must use a status code and
content type the schema documents, and must match the documented response schema. Bounded
to a few examples per operation and role so it runs with every suite (``-m fuzz`` alone).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pistor.catalog.tests.factories import clinic_protocol_add
from pistor.clinics.models import Role
from pistor.testing.factories import MembershipFactory, UserFactory
from pistor.testing.fuzz import api_schema
from tests.api.helpers import make_patient, token_for

pytestmark = [pytest.mark.fuzz, pytest.mark.usefixtures("keep_the_test_connection")]

schema = api_schema(r"^/api/v1/")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(params=list(Role), ids=str)
def role_token(request, clinic, other_clinic):
    user = UserFactory()
    MembershipFactory(user=user, clinic=clinic, role=request.param)
    # A few real rows (ours and another clinic's) so generated ids sometimes hit one.
    make_patient(clinic)
    make_patient(other_clinic)
    clinic_protocol_add(other_clinic, None, code="other-course")
    return token_for(user, clinic)


@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_generated_request_fails_any_check(case, role_token):
    response = case.call(headers={"Authorization": f"Bearer {role_token}"})
    case.validate_response(response, checks=CHECKS)
