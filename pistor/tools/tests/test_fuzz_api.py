"""Fuzzing the clinical tools API from its OpenAPI schema: no input may cause a 500.

Odd numbers, units and codes must come back as 422s naming their field, never a crash.
Bounded (about a hundred requests) so it runs with every suite; ``pytest -m fuzz`` alone.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from pistor.api.services import api_token_create
from pistor.patients.tests.factories import PatientFactory
from pistor.testing.fuzz import api_schema

pytestmark = [pytest.mark.fuzz, pytest.mark.usefixtures("keep_the_test_connection")]


schema = api_schema(r"^/api/v1/clinical/")


@pytest.fixture
def fuzz_token(practitioner, clinic, other_clinic):
    PatientFactory(clinic=clinic)
    PatientFactory(clinic=other_clinic)
    _token, raw = api_token_create(user=practitioner, clinic=clinic, name="fuzz", actor=None)
    return raw


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_makes_the_clinical_api_fail(case, fuzz_token):
    response = case.call(headers={"Authorization": f"Bearer {fuzz_token}"})
    case.validate_response(response, checks=[not_a_server_error])
