from __future__ import annotations

from pistor.audit.checks import audit_key_is_set


def test_a_derived_key_is_flagged_outside_debug(settings, monkeypatch):
    settings.DEBUG = False
    settings.TESTING = False
    monkeypatch.delenv("PISTOR_AUDIT_KEY", raising=False)
    assert [w.id for w in audit_key_is_set()] == ["pistor.audit.W001"]
    monkeypatch.setenv("PISTOR_AUDIT_KEY", "k" * 64)
    assert audit_key_is_set() == []
