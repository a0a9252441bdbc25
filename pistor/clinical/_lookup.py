"""Catalog look-ups that name the input field when a code is unknown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pistor.clinical.catalog.types import Catalog
from pistor.clinical.errors import ClinicalDataError

T = TypeVar("T")


def default_catalog(catalog: Catalog | None) -> Catalog:
    if catalog is not None:
        return catalog
    from pistor.clinical.catalog import load_catalog  # deferred: the loader reads data files

    return load_catalog()


def require(entries: Mapping[str, T], code: str, *, what: str, field: str) -> T:
    try:
        return entries[code]
    except KeyError:
        raise ClinicalDataError(
            f"'{code}' is not a known {what} code in the clinical catalog.", field=field
        ) from None
