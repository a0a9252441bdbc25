"""The clinical catalog: versioned reference data on mesotherapy, read once and shared.

``load_catalog()`` returns the packaged catalog (checked on load, cached afterwards). The
``get_*`` helpers look an entry up by code and raise a ``ClinicalDataError`` naming the
field when the code is unknown, so a page can show the message next to the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import TypeVar

from pistor.clinical.catalog.loader import (
    DATA_DIR,
    load_catalog_from,
    parse_catalog,
    product_from_dict,
    protocol_from_dict,
    read_documents,
)
from pistor.clinical.catalog.types import (
    Catalog,
    Fact,
    Indication,
    Ingredient,
    Product,
    Protocol,
    Scale,
    SideEffect,
    Source,
    Technique,
)
from pistor.clinical.errors import ClinicalDataError

#: The version of the packaged data (``catalog.toml``); a test keeps the two equal.
CATALOG_VERSION = "2026.12.2"

__all__ = [
    "CATALOG_VERSION",
    "DATA_DIR",
    "get_fact",
    "get_indication",
    "get_ingredient",
    "get_product",
    "get_protocol",
    "get_scale",
    "get_side_effect",
    "get_technique",
    "load_catalog",
    "load_catalog_from",
    "parse_catalog",
    "product_from_dict",
    "protocol_from_dict",
    "read_documents",
    "resolve_sources",
]

_T = TypeVar("_T")


@cache
def load_catalog() -> Catalog:
    """The packaged catalog. Read and checked on first use; the same object afterwards."""
    return load_catalog_from(DATA_DIR)


def _get(entries: Mapping[str, _T], code: str, what: str, field: str, version: str) -> _T:
    try:
        return entries[code]
    except KeyError:
        raise ClinicalDataError(
            f"{field}: '{code}' is not a known {what} (catalog {version}).", field=field
        ) from None


def get_ingredient(catalog: Catalog, code: str, *, field: str = "ingredient") -> Ingredient:
    return _get(catalog.ingredients, code, "ingredient", field, catalog.version)


def get_product(catalog: Catalog, code: str, *, field: str = "product") -> Product:
    return _get(catalog.products, code, "product", field, catalog.version)


def get_protocol(catalog: Catalog, code: str, *, field: str = "protocol") -> Protocol:
    return _get(catalog.protocols, code, "protocol", field, catalog.version)


def get_technique(catalog: Catalog, code: str, *, field: str = "technique") -> Technique:
    return _get(catalog.techniques, code, "technique", field, catalog.version)


def get_indication(catalog: Catalog, code: str, *, field: str = "indication") -> Indication:
    return _get(catalog.indications, code, "indication", field, catalog.version)


def get_scale(catalog: Catalog, code: str, *, field: str = "scale") -> Scale:
    return _get(catalog.scales, code, "scale", field, catalog.version)


def get_fact(catalog: Catalog, code: str, *, field: str = "fact") -> Fact:
    return _get(catalog.facts, code, "patient fact", field, catalog.version)


def get_side_effect(catalog: Catalog, code: str, *, field: str = "side_effect") -> SideEffect:
    return _get(catalog.side_effects, code, "side effect", field, catalog.version)


def resolve_sources(
    catalog: Catalog, tags: Iterable[str], *, field: str = "sources"
) -> list[Source]:
    """The sources behind ``tags``, in order and without repeats; unknown tags are errors."""
    seen: set[str] = set()
    result: list[Source] = []
    for tag in tags:
        if tag not in seen:
            seen.add(tag)
            result.append(_get(catalog.sources, tag, "source tag", field, catalog.version))
    return result
