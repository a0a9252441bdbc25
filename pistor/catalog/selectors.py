"""Reading the catalog as a clinic sees it: the built-in entries plus its own.

Lists and lookups return the clinical core's frozen dataclasses, so pages, the API and the
engines treat a clinic protocol exactly like a built-in one. Each selector makes at most
one query, whatever the size of the catalog.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from pistor.catalog.models import ClinicCatalogEntry, ClinicProduct, ClinicProtocol
from pistor.clinical.catalog import load_catalog, product_from_dict, protocol_from_dict
from pistor.clinical.catalog.types import Catalog, Product, Protocol
from pistor.clinical.errors import ClinicalDataError
from pistor.core.errors import NotFound

if TYPE_CHECKING:
    from pistor.clinics.models import Clinic

logger = logging.getLogger(__name__)

_T = TypeVar("_T", Protocol, Product)
_M = TypeVar("_M", bound=ClinicCatalogEntry)


def _parse(entry: ClinicCatalogEntry, parse: Callable[..., _T], catalog: Catalog) -> _T | None:
    try:
        return parse(entry.definition, catalog, require_sources=False)
    except ClinicalDataError as error:
        # Saved against an older catalog that has since dropped something it refers to.
        # The id and field are enough to find it; nothing about patients is involved.
        logger.warning(
            "clinic catalog entry %s #%s no longer reads (field %s)",
            type(entry).__name__,
            entry.pk,
            error.field,
        )
        return None


def _merged(
    builtin: Iterable[_T],
    entries: Iterable[ClinicCatalogEntry],
    parse: Callable[..., _T],
    catalog: Catalog,
) -> list[_T]:
    result = list(builtin)
    for entry in entries:
        parsed = _parse(entry, parse, catalog)
        if parsed is not None:
            result.append(parsed)
    return sorted(result, key=lambda item: item.name.lower())


def protocol_list(*, clinic: Clinic, catalog: Catalog | None = None) -> list[Protocol]:
    """Built-in protocols and the clinic's active ones, by name. One query."""
    catalog = catalog or load_catalog()
    entries = ClinicProtocol.objects.for_clinic(clinic).filter(retired_at__isnull=True)
    return _merged(catalog.protocols.values(), entries, protocol_from_dict, catalog)


def protocol_get(*, clinic: Clinic, code: str, catalog: Catalog | None = None) -> Protocol:
    """A built-in protocol or one of this clinic's (retired ones too: old plans read them).

    Another clinic's protocol is ``NotFound``, exactly like a code nobody uses.
    """
    catalog = catalog or load_catalog()
    if code in catalog.protocols:
        return catalog.protocols[code]
    entry = clinic_protocol_get(clinic=clinic, code=code)
    parsed = _parse(entry, protocol_from_dict, catalog)
    if parsed is None:
        raise NotFound(f"The protocol '{code}' can no longer be read with this catalog.")
    return parsed


def product_list(*, clinic: Clinic, catalog: Catalog | None = None) -> list[Product]:
    """Built-in products and the clinic's active ones, by name. One query."""
    catalog = catalog or load_catalog()
    entries = ClinicProduct.objects.for_clinic(clinic).filter(retired_at__isnull=True)
    return _merged(catalog.products.values(), entries, product_from_dict, catalog)


def product_get(*, clinic: Clinic, code: str, catalog: Catalog | None = None) -> Product:
    """A built-in product or one of this clinic's; another clinic's is ``NotFound``."""
    catalog = catalog or load_catalog()
    if code in catalog.products:
        return catalog.products[code]
    entry = clinic_product_get(clinic=clinic, code=code)
    parsed = _parse(entry, product_from_dict, catalog)
    if parsed is None:
        raise NotFound(f"The product '{code}' can no longer be read with this catalog.")
    return parsed


def _entry_get(model: type[_M], clinic: Clinic, code: str, what: str) -> _M:
    entry: Any = model.objects.for_clinic(clinic).filter(code=code).first()
    if entry is None:
        raise NotFound(f"There is no {what} with the code '{code}'.")
    result: _M = entry
    return result


def clinic_protocol_get(*, clinic: Clinic, code: str) -> ClinicProtocol:
    """The clinic's own protocol row (for editing and retiring)."""
    return _entry_get(ClinicProtocol, clinic, code, "clinic protocol")


def clinic_product_get(*, clinic: Clinic, code: str) -> ClinicProduct:
    """The clinic's own product row (for editing and retiring)."""
    return _entry_get(ClinicProduct, clinic, code, "clinic product")


def clinic_protocol_codes(*, clinic: Clinic) -> set[str]:
    return set(ClinicProtocol.objects.for_clinic(clinic).values_list("code", flat=True))


def catalog_for_clinic(*, clinic: Clinic) -> Catalog:
    """The built-in catalog with the clinic's active protocols and products merged in.

    Two queries. The engines look protocols and products up in the catalog they are given,
    so this is what lets a clinic protocol screen and plan exactly like a built-in one.
    Every screen, suggestion, plan and session reads the catalog through here, so they all
    give the same answer.
    """
    base = load_catalog()
    protocols = {p.code: p for p in protocol_list(clinic=clinic, catalog=base)}
    products = {p.code: p for p in product_list(clinic=clinic, catalog=base)}
    return dataclasses.replace(base, protocols=protocols, products=products)
