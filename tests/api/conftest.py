"""Fixtures for the API tests: a token and a client that sends it."""

from __future__ import annotations

import pytest

from tests.api.helpers import ApiClient, token_for


@pytest.fixture
def practitioner_token(practitioner, clinic) -> str:
    return token_for(practitioner, clinic)


@pytest.fixture
def api(client, practitioner_token) -> ApiClient:
    """The API as the practitioner of ``clinic``."""
    return ApiClient(client, practitioner_token)


@pytest.fixture
def anonymous_api(client) -> ApiClient:
    return ApiClient(client, None)
