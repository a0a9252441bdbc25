"""Writing a clinic's own protocols and products.

Each definition goes through the clinical loader (``protocol_from_dict`` /
``product_from_dict``), the same checks the built-in catalog passes, so a clinic entry can
never hold a course the engine cannot plan or a product naming an unknown ingredient.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from pistor.audit.events import catalog_event
from pistor.audit.services import audit_record
from pistor.catalog.models import ClinicCatalogEntry, ClinicProduct, ClinicProtocol
from pistor.clinical.catalog import load_catalog, product_from_dict, protocol_from_dict
from pistor.clinical.catalog.types import Catalog, Protocol
from pistor.clinical.errors import ClinicalDataError
from pistor.core.errors import Conflict, ValidationFailed, validation_error_from_django

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic

_Entry = TypeVar("_Entry", bound=ClinicCatalogEntry)

# "clinic protocol: entry 'x', field 'phases[0].sessions_min': " — the loader says where
# it is reading; beside a form field the place is already obvious.
_PLACE_RE = re.compile(r"^clinic \w+: entry '[^']*'(?:, field '[^']*')?: ")


def clinical_error_to_validation(error: ClinicalDataError) -> ValidationFailed:
    """The loader's error as ``ValidationFailed``, the message under the field it names."""
    message = _PLACE_RE.sub("", error.message)
    message = message[:1].upper() + message[1:]
    field = error.field or "__all__"
    return ValidationFailed(message, fields={field: [message]})


def _validate(
    data: Mapping[str, Any],
    parse: Callable[..., Any],
    catalog: Catalog,
    builtin_codes: Mapping[str, Any],
    what: str,
) -> Any:
    code = data.get("code")
    if isinstance(code, str) and code in builtin_codes:
        raise ValidationFailed(
            f"'{code}' is already the code of a built-in {what}; choose another code.",
            fields={"code": [f"'{code}' is already used by the built-in catalog."]},
        )
    try:
        parsed = parse(data, catalog, require_sources=False)
    except ClinicalDataError as error:
        raise clinical_error_to_validation(error) from None
    if isinstance(parsed, Protocol):
        _within_clinical_bounds(parsed)
    return parsed


# A clinic's own protocol is checked against bounds no real course exceeds: a stored interval
# of 10**18 days would overflow every date computed from it, on every page that plans it.
MAX_INTERVAL_DAYS = 3650
MAX_SESSIONS = 100


def _within_clinical_bounds(protocol: Protocol) -> None:
    fields: dict[str, list[str]] = {}
    parts: list[tuple[str, Any, tuple[str, ...]]] = [
        (f"phases[{i}]", phase, ("sessions_min", "sessions_default", "sessions_max"))
        for i, phase in enumerate(protocol.phases)
    ]
    if protocol.maintenance is not None:
        parts.append(("maintenance", protocol.maintenance, ("count",)))
    for where, part, session_fields in parts:
        for name in ("interval_min_days", "interval_target_days", "interval_max_days"):
            value = getattr(part, name)
            if value is not None and not 0 <= value <= MAX_INTERVAL_DAYS:
                fields[f"{where}.{name}"] = [
                    f"Give an interval between 0 and {MAX_INTERVAL_DAYS} days (ten years)."
                ]
        for name in session_fields:
            value = getattr(part, name)
            if value is not None and not 0 <= value <= MAX_SESSIONS:
                fields[f"{where}.{name}"] = [f"Give at most {MAX_SESSIONS} sessions."]
    if fields:
        raise ValidationFailed("Some details of the protocol are out of bounds.", fields=fields)


def _summary(entry: ClinicCatalogEntry) -> dict[str, Any]:
    return {
        "code": entry.code,
        "name": entry.name,
        "catalog_version": entry.catalog_version,
        "definition": entry.definition,
        "retired_at": entry.retired_at,
    }


def _save(entry: _Entry, *, what: str) -> _Entry:
    try:
        entry.full_clean()
    except ValidationError as exc:
        failed = validation_error_from_django(exc)
        if any("already exists" in m for m in failed.fields.get("__all__", [])):
            raise _code_taken(entry.code, what) from None
        raise failed from None
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        # Two managers saving the same new code at once: the constraint decides.
        raise _code_taken(entry.code, what) from None
    return entry


def _code_taken(code: str, what: str) -> ValidationFailed:
    return ValidationFailed(
        f"This clinic already has a {what} with the code '{code}'.",
        fields={"code": [f"This clinic already has a {what} with the code '{code}'."]},
    )


def _create(
    model: type[_Entry],
    *,
    clinic: Clinic,
    actor: User | None,
    data: Mapping[str, Any],
    parse: Callable[..., Any],
    builtin: Callable[[Catalog], Mapping[str, Any]],
    what: str,
    catalog: Catalog | None,
) -> _Entry:
    catalog = catalog or load_catalog()
    parsed = _validate(data, parse, catalog, builtin(catalog), what)
    with transaction.atomic():
        entry = model(
            clinic=clinic,
            code=parsed.code,
            name=parsed.name,
            definition=_plain(data),
            catalog_version=catalog.version,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        _save(entry, what=what)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=catalog_event(what, "created"),
            subject_type=f"clinic_{what}",
            subject_id=entry.pk,
            after=_summary(entry),
        )
    return entry


def _update(
    entry: _Entry,
    *,
    actor: User | None,
    data: Mapping[str, Any],
    parse: Callable[..., Any],
    builtin: Callable[[Catalog], Mapping[str, Any]],
    what: str,
    catalog: Catalog | None,
) -> _Entry:
    catalog = catalog or load_catalog()
    # Plans refer to the code, so it stays what it was whatever the caller sent.
    data = {**data, "code": entry.code}
    parsed = _validate(data, parse, catalog, builtin(catalog), what)
    with transaction.atomic():
        locked = cast(_Entry, type(entry).objects.select_for_update().get(pk=entry.pk))
        if locked.is_retired:
            raise Conflict(f"This {what} has been retired; it can no longer be changed.")
        before = _summary(locked)
        locked.name = parsed.name
        locked.definition = _plain(data)
        locked.catalog_version = catalog.version
        _save(locked, what=what)
        audit_record(
            clinic=locked.clinic,
            actor=actor,
            event_type=catalog_event(what, "updated"),
            subject_type=f"clinic_{what}",
            subject_id=locked.pk,
            before=before,
            after=_summary(locked),
        )
    return locked


def _retire(entry: _Entry, *, actor: User | None, what: str) -> _Entry:
    with transaction.atomic():
        locked = cast(_Entry, type(entry).objects.select_for_update().get(pk=entry.pk))
        if locked.is_retired:
            raise Conflict(f"This {what} was already retired.")
        before = _summary(locked)
        locked.retired_at = timezone.now()
        locked.save(update_fields=["retired_at", "updated_at"])
        audit_record(
            clinic=locked.clinic,
            actor=actor,
            event_type=catalog_event(what, "retired"),
            subject_type=f"clinic_{what}",
            subject_id=locked.pk,
            before=before,
            after=_summary(locked),
        )
    return locked


def _plain(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with JSON-friendly values (Decimals as text), as the loader accepts them."""

    def convert(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        if value is None or isinstance(value, bool | int | str):
            return value
        return str(value)

    result: dict[str, Any] = convert(data)
    return result


# The most phases a clinic protocol and ingredients a clinic product may list, at every door
# (the pages' formsets and the API's schemas): the longest built-in course has three phases
# and the richest product seven ingredients (a test holds the built-in catalog within both).
PHASES_MOST = 4
COMPONENTS_MOST = 20


def clinic_protocol_create(
    *, clinic: Clinic, actor: User | None, data: Mapping[str, Any], catalog: Catalog | None = None
) -> ClinicProtocol:
    """Add a clinic protocol. ``data`` holds the catalog's protocol fields (``code``,
    ``name``, ``description``, ``indications``, ``phases``, optional ``maintenance``)."""
    return _create(
        ClinicProtocol,
        clinic=clinic,
        actor=actor,
        data=data,
        parse=protocol_from_dict,
        builtin=lambda c: c.protocols,
        what="protocol",
        catalog=catalog,
    )


def clinic_protocol_update(
    *,
    protocol: ClinicProtocol,
    actor: User | None,
    data: Mapping[str, Any],
    catalog: Catalog | None = None,
) -> ClinicProtocol:
    return _update(
        protocol,
        actor=actor,
        data=data,
        parse=protocol_from_dict,
        builtin=lambda c: c.protocols,
        what="protocol",
        catalog=catalog,
    )


def clinic_protocol_retire(*, protocol: ClinicProtocol, actor: User | None) -> ClinicProtocol:
    """Stop offering a protocol. The row stays: plans made with it must still read it."""
    return _retire(protocol, actor=actor, what="protocol")


def clinic_product_create(
    *, clinic: Clinic, actor: User | None, data: Mapping[str, Any], catalog: Catalog | None = None
) -> ClinicProduct:
    """Add a clinic product; its composition must name ingredients the catalog knows."""
    return _create(
        ClinicProduct,
        clinic=clinic,
        actor=actor,
        data=data,
        parse=product_from_dict,
        builtin=lambda c: c.products,
        what="product",
        catalog=catalog,
    )


def clinic_product_update(
    *,
    product: ClinicProduct,
    actor: User | None,
    data: Mapping[str, Any],
    catalog: Catalog | None = None,
) -> ClinicProduct:
    return _update(
        product,
        actor=actor,
        data=data,
        parse=product_from_dict,
        builtin=lambda c: c.products,
        what="product",
        catalog=catalog,
    )


def clinic_product_retire(*, product: ClinicProduct, actor: User | None) -> ClinicProduct:
    """Stop offering a product. The row stays: sessions charted with it must still read it."""
    return _retire(product, actor=actor, what="product")
