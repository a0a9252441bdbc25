"""Fuzzing the inventory endpoints from their OpenAPI schema with a manager's token: no
500s. Bounded like the other fuzz tests; run it alone with ``pytest -m fuzz``."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from pistor.inventory.tests.factories import batch, product
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.fuzz import api_schema
from tests.api.helpers import token_for

pytestmark = [pytest.mark.fuzz, pytest.mark.usefixtures("keep_the_test_connection")]

schema = api_schema(r"^/api/v1/inventory")


@pytest.fixture
def fuzz_token(manager, clinic):
    # Ids 1 exist, so generated calls reach the services and not only the 404s.
    p = product(clinic, multi_dose=True, in_use_hours=8)
    batch(clinic, p)
    PatientFactory.create(clinic=clinic)
    return token_for(manager, clinic)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_makes_the_inventory_api_fail(case, fuzz_token):
    response = case.call(headers={"Authorization": f"Bearer {fuzz_token}"})
    case.validate_response(response, checks=[not_a_server_error])
