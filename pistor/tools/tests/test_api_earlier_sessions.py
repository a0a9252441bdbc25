"""Earlier sessions through the screen API: label intervals and session counts fire there too."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from pistor.clinical.codes import FindingCode, finding_code
from pistor.tools.tests.helpers import Api

pytestmark = pytest.mark.django_db

ON = dt.date(2027, 3, 1)
INTERVAL = finding_code(FindingCode.LABEL_INTERVAL, "deoxycholic-acid")
COUNT = finding_code(FindingCode.LABEL_MAX_SESSIONS, "deoxycholic-acid")


@pytest.fixture
def api(client, practitioner, clinic) -> Api:
    return Api(client, practitioner, clinic)


def _body(earlier: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "patient": {"age_years": 40, "earlier_sessions": earlier},
        "proposal": {
            "indication": "submental-fat",
            "date": ON.isoformat(),
            "areas": [
                {"area": "chin", "technique": "point-by-point", "depth": {"value": 6, "unit": "mm"}}
            ],
            "cocktail": [{"code": "kybella", "volume": {"value": "2", "unit": "mL"}}],
        },
    }


def _session(days_before: int) -> dict[str, Any]:
    return {
        "date": (ON - dt.timedelta(days=days_before)).isoformat(),
        "ingredients": [{"code": "kybella"}],
    }


def _codes(api: Api, earlier: list[dict[str, Any]]) -> list[str]:
    response = api.post("/screen", _body(earlier))
    assert response.status_code == 200, response.content
    return [f["code"] for f in response.json()["findings"]]


def test_a_session_too_soon_after_the_last_one_is_blocked_through_the_api(api):
    assert INTERVAL in _codes(api, [_session(10)])
    assert INTERVAL not in _codes(api, [_session(40)])
    assert INTERVAL not in _codes(api, [])


def test_the_label_session_count_fires_through_the_api(api):
    six = [_session(40 * n) for n in range(1, 7)]
    assert COUNT in _codes(api, six)
    assert COUNT not in _codes(api, six[:5])


def test_a_bad_earlier_session_is_a_422_naming_the_field(api):
    response = api.post(
        "/screen", _body([{"date": ON.isoformat(), "ingredients": [{"code": "x"}]}])
    )
    assert response.status_code == 422, response.content
    assert "earlier_sessions" in response.content.decode()
    later = _session(-3)
    response = api.post("/screen", _body([later]))
    assert response.status_code == 422, response.content


def test_suggestions_count_the_earlier_sessions_too(api):
    today = timezone.localdate()  # suggestions are for today
    earlier = [
        {
            "date": (today - dt.timedelta(days=40 * n)).isoformat(),
            "ingredients": [{"code": "kybella"}],
        }
        for n in range(1, 7)
    ]
    body = {
        "indication": "submental-fat",
        "patient": {"age_years": 40, "earlier_sessions": earlier},
    }
    response = api.post("/cocktail-suggestions", body)
    assert response.status_code == 200, response.content
    suggestions = response.json()["suggestions"]
    assert any(s["code"] == "kybella" and s["excluded"] for s in suggestions)
