"""Where Pistor's emails go: the console unless an SMTP server is named in the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SHOW = (
    "import json, pistor.settings as s; print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, "
    "s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.DEFAULT_FROM_EMAIL]))"
)


def _email_settings(**env_overrides: str) -> list:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PISTOR_EMAIL_")}
    env.update({"PISTOR_TESTING": "0", "PISTOR_DEBUG": "1", **env_overrides})
    command = [sys.executable, "-c", SHOW]  # this interpreter, a fixed script
    result = subprocess.run(  # noqa: S603
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_by_default_emails_are_printed_on_the_console():
    backend, host, *_ = _email_settings()
    assert backend == "django.core.mail.backends.console.EmailBackend" and host == ""


def test_naming_an_smtp_server_sends_through_it_with_starttls():
    backend, host, port, tls, ssl, sender = _email_settings(
        PISTOR_EMAIL_HOST="smtp.example.org", PISTOR_EMAIL_FROM="Clinic <desk@example.org>"
    )
    assert backend == "django.core.mail.backends.smtp.EmailBackend"
    assert (host, port, tls, ssl) == ("smtp.example.org", 587, True, False)
    assert sender == "Clinic <desk@example.org>"


def test_port_465_means_implicit_tls():
    *_, tls, ssl, _sender = _email_settings(
        PISTOR_EMAIL_HOST="smtp.example.org", PISTOR_EMAIL_PORT="465"
    )
    assert (tls, ssl) == (False, True)


@pytest.mark.django_db
def test_the_tests_capture_mail_in_memory(settings):
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
