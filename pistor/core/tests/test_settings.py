"""Start-up fails fast, with a message that says what to set, when production is misconfigured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


_UNSET = {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "DB_PREPARED_STATEMENTS"}


def _import_settings(
    env_overrides: dict[str, str], code: str = "import pistor.settings"
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with production's environment plus
    ``env_overrides`` (none of the test run's own database or secrets)."""
    env = {k: v for k, v in os.environ.items() if k not in _UNSET}
    env.update({"PISTOR_TESTING": "0", "PISTOR_DEBUG": "0", **env_overrides})
    return subprocess.run(  # noqa: S603 (this interpreter, code written in this file)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_missing_secret_key_outside_debug_stops_start_up_with_a_clear_message():
    result = _import_settings({"ALLOWED_HOSTS": "clinic.example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_missing_allowed_hosts_outside_debug_stops_start_up_with_a_clear_message():
    result = _import_settings({"SECRET_KEY": "x" * 60})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_production_settings_load_when_both_are_given():
    result = _import_settings({"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "clinic.example.org"})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_malformed_boolean_setting_is_refused_by_name(value):
    result = _import_settings({"PISTOR_DEBUG": value})
    assert result.returncode != 0
    assert "PISTOR_DEBUG must be true or false" in result.stderr


def test_the_database_is_configured_for_concurrent_clinic_use(settings):
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # Writers queue on the lock instead of failing with "database is locked".
        assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    else:
        # A connection dropped by the server is noticed before a request uses it.
        assert database["ENGINE"] == "pistor.core.postgresql"
        assert database["CONN_HEALTH_CHECKS"] is True


def _database_settings(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    production = {
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "clinic.example.org",
        "DATABASE_URL": "postgres://pistor@db.example.org:5432/pistor",
    }
    code = (
        "import json, pistor.settings as s; d = s.DATABASES['default']; "
        "print(json.dumps([d['ENGINE'], d.get('OPTIONS', {})]))"
    )
    return _import_settings({**production, **env_overrides}, code)


def test_postgresql_prepares_the_hot_statements_unless_turned_off():
    import json

    default = _database_settings({})
    assert default.returncode == 0, default.stderr
    assert json.loads(default.stdout) == ["pistor.core.postgresql", {"server_side_binding": True}]
    # Behind a pooler that cannot carry prepared statements: Django's own backend.
    off = _database_settings({"DB_PREPARED_STATEMENTS": "off"})
    assert json.loads(off.stdout) == ["django.db.backends.postgresql", {}]
    refused = _database_settings({"DB_PREPARED_STATEMENTS": "sometimes"})
    assert refused.returncode != 0
    assert "DB_PREPARED_STATEMENTS must be true or false" in refused.stderr
