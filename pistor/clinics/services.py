"""Writes about clinics and a person's place in them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from pistor.audit.services import audit_record
from pistor.clinical.gates import MIN_READ_HOURS
from pistor.clinics.models import Clinic, Membership
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
            event_type="clinic.switched",
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
        event_type="clinic.created",
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
