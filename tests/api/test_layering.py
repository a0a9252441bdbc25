"""API modules reach patients only through services, selectors and ``access``."""

from __future__ import annotations

from pathlib import Path

import pistor

ROOT = Path(pistor.__file__).parent


def _api_modules() -> list[Path]:
    return sorted({*ROOT.glob("*/api.py"), *ROOT.glob("api/**/*.py")})


def test_api_modules_never_query_patients_directly():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _api_modules()
        if "Patient.objects" in path.read_text() and "/tests/" not in str(path)
    ]
    assert _api_modules(), "no API modules found: the test would prove nothing"
    assert offenders == []
