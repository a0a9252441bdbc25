"""Writes about clinics and a person's place in them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.clinical.catalog import load_catalog
from pistor.clinical.catalog.types import Catalog, Severity
from pistor.clinical.gates import MIN_READ_HOURS
from pistor.clinics.models import AllergyTestPolicy, Clinic, Membership
from pistor.clinics.selectors import configurable_fact_codes
from pistor.core.errors import NotFound, ValidationFailed, validation_error_from_django


def membership_choose(*, user: Any, clinic_id: Any, previous_clinic_id: Any) -> Membership:
    """The person's active membership of ``clinic_id``, audited as the clinic they work in.

    A clinic they do not belong to answers exactly like one that does not exist.
    """
    try:
        clinic_pk = int(clinic_id)
    except (TypeError, ValueError):
        raise NotFound("No such clinic.") from None
    membership = (
        Membership.objects.filter(
            user=user, clinic_id=clinic_pk, is_active=True, clinic__is_active=True
        )
        .select_related("clinic")
        .first()
    )
    if membership is None:
        raise NotFound("No such clinic.")
    if previous_clinic_id != membership.clinic_id:
        audit_record(
            clinic=membership.clinic,
            actor=user,
            event_type=AuditEventType.CLINIC_SWITCHED,
            subject_type="clinic",
            subject_id=membership.clinic_id,
            before={"clinic_id": previous_clinic_id},
            after={"clinic_id": membership.clinic_id, "role": membership.role},
        )
    return membership


@transaction.atomic
def clinic_create(
    *,
    name: str,
    slug: str,
    actor: Any = None,
    address: str = "",
    time_zone: str = "Europe/London",
    currency: str = "GBP",
    registration_numbers: str = "",
    allergy_test_min_read_hours: int = MIN_READ_HOURS,
) -> Clinic:
    """Open a new clinic (a tenant). Used by ``pistor createclinic`` and the demo loader."""
    clinic = Clinic(
        name=(name or "").strip(),
        slug=(slug or "").strip().lower(),
        address=address,
        time_zone=time_zone,
        currency=(currency or "").strip().upper(),
        registration_numbers=registration_numbers,
        allergy_test_min_read_hours=allergy_test_min_read_hours,
    )
    fields: dict[str, list[str]] = {}
    try:
        clinic.full_clean()
    except ValidationError as exc:
        fields = validation_error_from_django(exc).fields
    if len(clinic.currency) != 3 or not clinic.currency.isalpha():
        fields["currency"] = ["Use a three-letter ISO 4217 code, such as GBP or EUR."]
    if fields:
        raise ValidationFailed("Some details need correcting.", fields=fields)
    clinic.save()
    audit_record(
        clinic=clinic,
        actor=actor,
        event_type=AuditEventType.CLINIC_CREATED,
        subject_type="clinic",
        subject_id=clinic.pk,
        after={
            "name": clinic.name,
            "slug": clinic.slug,
            "address": clinic.address,
            "time_zone": clinic.time_zone,
            "currency": clinic.currency,
            "allergy_test_min_read_hours": clinic.allergy_test_min_read_hours,
            "registration_numbers": clinic.registration_numbers,
        },
    )
    return clinic


#: The settings a manager may change, in the order pages and audit events list them.
SETTINGS_FIELDS = (
    "allergy_test_min_read_hours",
    "fitzpatrick_pigmentation_threshold",
    "caution_severity_overrides",
    "allergy_test_policy",
    "allergy_test_also_required",
)
OVERRIDES = "caution_severity_overrides"
SETTINGS_EVENT = AuditEventType.CLINIC_SETTINGS_UPDATED


def _settings_of(clinic: Clinic) -> dict[str, Any]:
    return {name: getattr(clinic, name) for name in SETTINGS_FIELDS}


def _whole_number(value: Any, field: str, fields: dict[str, list[str]]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        fields[field] = ["Give a whole number."]
        return None
    return value


def _overrides(value: Any, catalog: Catalog, fields: dict[str, list[str]]) -> dict[str, str]:
    """The overrides as stored (fact code → severity value), or field errors naming the key."""
    if not isinstance(value, Mapping):
        fields[OVERRIDES] = ["Give an object mapping patient fact codes to block, warn or info."]
        return {}
    allowed = configurable_fact_codes(catalog)
    severities = ", ".join(s.value for s in Severity)
    cleaned: dict[str, str] = {}
    for code, severity in value.items():
        where = f"{OVERRIDES}.{code}"
        if not isinstance(code, str) or code not in allowed:
            # A label caution is a hard rule; an unknown code is a typo. Either way, refuse.
            fields[where] = [f"'{code}' has no caution a clinic may change."]
        elif not isinstance(severity, str) or severity not in {s.value for s in Severity}:
            fields[where] = [f"'{severity}' is not a severity; choose one of {severities}."]
        else:
            cleaned[code] = severity
    return dict(sorted(cleaned.items()))


@transaction.atomic
def clinic_settings_update(
    *,
    clinic: Clinic,
    actor: Any,
    allergy_test_min_read_hours: int | None = None,
    fitzpatrick_pigmentation_threshold: int | None = None,
    caution_severity_overrides: Mapping[str, str] | None = None,
    catalog: Catalog | None = None,
    allergy_test_policy: str | None = None,
    allergy_test_also_required: Sequence[str] | None = None,
) -> Clinic:
    """Change the clinic's safety settings; ``None`` leaves a setting as it is.

    ``caution_severity_overrides`` replaces the whole mapping (``{}`` returns every caution
    to the catalog's severity). Only facts with a caution the catalog marks ``configurable``
    (REFERENCE.md: unverified or conflicting) may be set; label cautions are hard rules.
    The read window never drops below 24 hours. Bad input stores nothing; a change is
    audited with the before and after of the settings that changed, and only those.
    """
    catalog = catalog or load_catalog()
    locked = Clinic.objects.select_for_update().get(pk=clinic.pk)
    before = _settings_of(locked)
    fields: dict[str, list[str]] = {}
    hours = _whole_number(allergy_test_min_read_hours, "allergy_test_min_read_hours", fields)
    threshold = _whole_number(
        fitzpatrick_pigmentation_threshold, "fitzpatrick_pigmentation_threshold", fields
    )
    if hours is not None:
        locked.allergy_test_min_read_hours = hours
    if threshold is not None:
        locked.fitzpatrick_pigmentation_threshold = threshold
    if caution_severity_overrides is not None:
        locked.caution_severity_overrides = _overrides(caution_severity_overrides, catalog, fields)
    if allergy_test_policy is not None:
        if allergy_test_policy not in AllergyTestPolicy.values:
            fields["allergy_test_policy"] = [
                f"Choose one of: {', '.join(AllergyTestPolicy.values)}."
            ]
        locked.allergy_test_policy = allergy_test_policy
    if allergy_test_also_required is not None:
        # A clinic may add products to test, never exempt one: the list only adds.
        codes = list(dict.fromkeys(allergy_test_also_required))
        unknown = [c for c in codes if c not in catalog.products]
        if unknown:
            fields["allergy_test_also_required"] = [
                f"'{c}' is not a product of the catalog." for c in unknown
            ]
        locked.allergy_test_also_required = sorted(codes)
    others = [f.name for f in Clinic._meta.fields if f.name not in SETTINGS_FIELDS]
    try:
        # Only the settings: a problem elsewhere in the row is not this form's to report.
        locked.full_clean(exclude=others, validate_unique=False)
    except ValidationError as exc:
        for name, messages in validation_error_from_django(exc).fields.items():
            fields.setdefault(name, messages)
    if fields:
        raise ValidationFailed("Some settings need correcting.", fields=fields)
    after = _settings_of(locked)
    changed = [name for name in SETTINGS_FIELDS if before[name] != after[name]]
    if not changed:
        return locked
    locked.save(update_fields=[*changed, "updated_at"])
    for name in changed:  # the caller's copy (often request.clinic) reads the new values
        setattr(clinic, name, after[name])
    audit_record(
        clinic=locked,
        actor=actor,
        event_type=SETTINGS_EVENT,
        subject_type="clinic",
        subject_id=locked.pk,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return locked
