from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_every_response_forbids_inline_scripts_and_third_party_origins(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "http" not in policy


@pytest.mark.django_db
def test_a_safe_incoming_request_id_is_echoed_and_an_unsafe_one_replaced(client):
    echoed = client.get("/accounts/login/", HTTP_X_REQUEST_ID="abcdef1234567890")
    assert echoed["X-Request-Id"] == "abcdef1234567890"
    replaced = client.get("/accounts/login/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    assert replaced["X-Request-Id"] != "<script>alert(1)</script>"
    assert len(replaced["X-Request-Id"]) == 32
