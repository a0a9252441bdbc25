from __future__ import annotations

from pathlib import Path

import pytest

from pistor.patients.tests.factories import PatientFactory


@pytest.fixture(autouse=True)
def photo_dir(settings, tmp_path) -> Path:
    """Each test's photographs in a directory of its own, to count what was stored."""
    where = tmp_path / "photos"
    settings.STORAGES = {
        **settings.STORAGES,
        "photos": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(where), "base_url": None},
        },
    }
    return where


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, family_name="Photoson")


def stored_files(where: Path) -> list[Path]:
    return sorted(p for p in where.rglob("*") if p.is_file()) if where.exists() else []
