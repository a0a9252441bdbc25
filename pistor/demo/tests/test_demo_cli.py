"""`pistor demo --code` and `--token`: what a newcomer without an authenticator or a token needs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

import pytest

from pistor.cli import _demo_token, demo_current_code, main
from pistor.demo import DEMO_TOTP_SECRET


def _rfc6238(secret_b32: str, at: int) -> str:
    key = base64.b32decode(secret_b32)
    digest = hmac.new(key, struct.pack(">Q", at // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


@pytest.mark.parametrize("at", [0, 59, 1_111_111_109, 1_800_000_000])
def test_the_printed_code_is_the_one_an_authenticator_shows(at):
    assert demo_current_code(at) == _rfc6238(DEMO_TOTP_SECRET, at)


def test_demo_code_prints_six_digits_and_nothing_else(capsys, tmp_path, monkeypatch):
    # Set here so that what ``pistor demo`` writes into the environment is undone after.
    monkeypatch.setenv("PISTOR_DATA_DIR", str(tmp_path))
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "PISTOR_HTTPS"):
        monkeypatch.setenv(name, "x" * 60 if name == "SECRET_KEY" else "127.0.0.1")
    assert main(["demo", "--code"]) == 0
    out = capsys.readouterr().out.strip()
    assert len(out) == 6 and out.isdigit()


@pytest.mark.django_db
def test_demo_token_prints_a_token_the_api_accepts(capsys, client, tmp_path):
    assert _demo_token(tmp_path) == 0
    token = capsys.readouterr().out.strip()
    assert "\n" not in token and len(token) > 20
    response = client.get(
        "/api/v1/patients", {"q": "siobhan"}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200
    assert "Siobh" in response.content.decode()
