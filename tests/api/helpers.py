"""Talking to the API over HTTP as a program would: with a bearer token and JSON."""

from __future__ import annotations

import json
from typing import Any, cast

from django.test import Client

from pistor.api.services import api_token_create
from pistor.patients.models import Patient
from pistor.patients.tests.factories import PatientFactory


class ApiClient:
    """Django's test client, sending a bearer token and JSON bodies."""

    def __init__(self, client: Client, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token is not None else {}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: str | bytes | None = None,
        **query: Any,
    ) -> Any:
        data: Any = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs: dict[str, Any] = {"headers": self._headers()}
        if data is not None:
            kwargs["data"] = data
            kwargs["content_type"] = "application/json"
        call = getattr(self.client, method.lower())
        if method.upper() == "GET":
            return call(path, query or None, headers=self._headers())
        return call(path, **kwargs)

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, **query)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("PATCH", path, body, **kw)


def token_for(user: Any, clinic: Any, name: str = "test integration") -> str:
    _token, raw = api_token_create(user=user, clinic=clinic, name=name, actor=None)
    return raw


def assert_error_shape(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["extra"], dict)
    return body


def make_patient(clinic: Any, **fields: Any) -> Patient:
    """A patient of ``clinic`` written straight to the database (the factory, typed)."""
    return cast(Patient, PatientFactory(clinic=clinic, **fields))
