"""Fuzzing the staff endpoints from their OpenAPI schema with a manager's token: no 500s.

Bounded like the patient fuzz (a few seconds); run it alone with ``pytest -m fuzz``.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from pistor.clinics.models import Role
from pistor.testing.factories import MembershipFactory
from pistor.testing.fuzz import api_schema
from tests.api.helpers import token_for

pytestmark = [pytest.mark.fuzz, pytest.mark.usefixtures("keep_the_test_connection")]

schema = api_schema(r"^/api/v1/staff")


@pytest.fixture
def fuzz_token(manager, nurse, clinic, other_clinic_user):
    # Two managers, so generated calls can reach both the allowed and the refused paths.
    MembershipFactory(clinic=clinic, role=Role.MANAGER)
    return token_for(manager, clinic)


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_makes_the_staff_api_fail(case, fuzz_token):
    response = case.call(headers={"Authorization": f"Bearer {fuzz_token}"})
    case.validate_response(response, checks=[not_a_server_error])
