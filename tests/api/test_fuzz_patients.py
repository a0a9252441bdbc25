"""Fuzzing the patient endpoints from their OpenAPI schema: no input may cause a 500.

Schemathesis generates valid and invalid requests (bodies, query strings, ids) from the
schema and sends them through the WSGI app with a practitioner's token. Bounded to about
a hundred requests (a few seconds) so it runs with every suite; run it alone with
``pytest -m fuzz``.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from pistor.testing.fuzz import api_schema
from tests.api.helpers import make_patient, token_for

pytestmark = [pytest.mark.fuzz, pytest.mark.usefixtures("keep_the_test_connection")]


schema = api_schema(r"^/api/v1/patients")


@pytest.fixture
def fuzz_token(practitioner, clinic, other_clinic):
    # A few real rows (ours and another clinic's) so generated ids sometimes hit one.
    make_patient(clinic)
    make_patient(other_clinic)
    return token_for(practitioner, clinic)


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_makes_the_patient_api_fail(case, fuzz_token):
    response = case.call(headers={"Authorization": f"Bearer {fuzz_token}"})
    case.validate_response(response, checks=[not_a_server_error])
