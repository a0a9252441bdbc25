"""Inputs the tools' tests share: a clinic protocol, a screen form, an API client."""

from __future__ import annotations

import json
from typing import Any

from pistor.api.services import api_token_create
from pistor.catalog.services import clinic_protocol_create
from pistor.catalog.tests.factories import clinic_protocol_data

# The clinic protocol the tools' tests plan with (one definition, in the catalog factories).
CLINIC_PROTOCOL: dict[str, Any] = clinic_protocol_data()


def add_clinic_protocol(clinic: Any, manager: Any) -> None:
    clinic_protocol_create(clinic=clinic, actor=manager, data=CLINIC_PROTOCOL)


def screen_form(**overrides: Any) -> dict[str, Any]:
    """A filled-in screen form: lipolysis of the abdomen with phosphatidylcholine."""
    data: dict[str, Any] = {
        "age_years": "40",
        "weight_kg": "70",
        "indication": "localised-fat",
        "date": "",
        "areas-0-area": "abdomen",
        "areas-0-technique": "point-by-point",
        "areas-0-depth": "6",
        "cocktail-0-code": "phosphatidylcholine",
        "cocktail-0-volume": "2",
        "cocktail-0-volume_unit": "mL",
        "cocktail-0-concentration": "5",
        "cocktail-0-concentration_unit": "%",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class Api:
    """The API over HTTP with a bearer token, as an integration would call it."""

    def __init__(self, client: Any, user: Any, clinic: Any) -> None:
        _token, raw = api_token_create(user=user, clinic=clinic, name="tools test", actor=None)
        self.client = client
        self.headers = {"Authorization": f"Bearer {raw}"}

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            f"/api/v1/clinical{path}",
            data=json.dumps(body),
            content_type="application/json",
            headers=self.headers,
        )
