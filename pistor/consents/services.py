"""Writing consents: draw up, send a signing link, patient signs, practitioner countersigns,
withdraw, add an addendum. Each write is one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction

from pistor.audit.services import audit_record
from pistor.catalog.selectors import catalog_for_clinic
from pistor.consents.constants import LINK_HOURS_DEFAULT, LINK_HOURS_MAX, ConsentKind, PhotoUse
from pistor.consents.models import Consent, ConsentLink
from pistor.consents.signatures import signature_png_decode
from pistor.consents.texts import (
    PHOTO_TEMPLATE_VERSION,
    TEMPLATE_VERSION,
    CourseSummary,
    photo_sections,
    treatment_sections,
)
from pistor.core import clock
from pistor.core.errors import Conflict, Forbidden, ValidationFailed
from pistor.records.models import Addendum, Withdrawal
from pistor.records.services import record_add_addendum, record_sign, record_withdraw

if TYPE_CHECKING:
    from pistor.accounts.models import User
    from pistor.clinics.models import Clinic
    from pistor.patients.models import Patient


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def consent_create(
    *,
    clinic: Clinic,
    patient: Patient,
    by: User,
    kind: str,
    indication_code: str = "",
    product_codes: Sequence[str] = (),
    photo_uses: Sequence[str] = (),
    course: CourseSummary | None = None,
) -> Consent:
    """Draw up a consent from its template and the clinic's catalog, as a draft.

    Treatment consent needs an indication in the catalog and products of the catalog (none
    means "to be agreed", which a plan's products would then not be covered by); photograph
    consent needs at least one permitted use ("record only" is the least).
    """
    if patient.clinic_id != clinic.pk:  # pragma: no cover - callers fetch through access
        raise Forbidden("This patient belongs to another clinic.")
    if kind not in ConsentKind.values:
        raise _fail("kind", "Choose treatment or photographs.")
    catalog = catalog_for_clinic(clinic=clinic)
    if kind == ConsentKind.TREATMENT:
        if indication_code not in catalog.indications:
            raise _fail("indication_code", "Choose an indication from the catalog.")
        unknown = [c for c in product_codes if c not in catalog.products]
        if unknown:
            raise _fail("product_codes", f"Not in the catalog: {', '.join(unknown)}.")
        sections = treatment_sections(
            catalog=catalog,
            indication_code=indication_code,
            product_codes=list(dict.fromkeys(product_codes)),
            course=course or CourseSummary(),
        )
        version, uses = TEMPLATE_VERSION, []
    else:
        uses = list(dict.fromkeys(photo_uses))
        if not uses or any(u not in PhotoUse.values for u in uses):
            raise _fail("photo_uses", "Tick at least one permitted use of the photographs.")
        sections, version, indication_code = photo_sections(uses=uses), PHOTO_TEMPLATE_VERSION, ""
        product_codes = ()
    with transaction.atomic():
        consent = Consent(
            clinic=clinic,
            patient=patient,
            kind=kind,
            indication_code=indication_code,
            template_version=version,
            catalog_version=catalog.version,
            product_codes=list(dict.fromkeys(product_codes)),
            photo_uses=uses,
            sections=sections,
            created_by=by,
        )
        consent.full_clean()
        consent.save()
        audit_record(
            clinic=clinic,
            actor=by,
            event_type="consent.created",
            subject_type="consent",
            subject_id=consent.pk,
            after={"patient": patient.pk, "kind": kind, "indication": indication_code},
        )
    return consent


def _require_draft(consent: Consent) -> None:
    if consent.is_signed:
        raise Conflict(
            "This consent is signed and can no longer be changed. Withdraw it, or add an "
            "addendum, instead."
        )


def consent_link_create(
    *, consent: Consent, by: User, now: dt.datetime | None = None, hours: int = LINK_HOURS_DEFAULT
) -> tuple[ConsentLink, str]:
    """A single-use signing link for the patient; returns the link and its secret token.

    Only the token's hash is stored: show the returned token once (in the URL sent).
    Earlier unused links of the same consent stop working.
    """
    _require_draft(consent)
    if consent.patient_has_signed:
        raise Conflict("The patient has already signed this consent.")
    if not 1 <= hours <= LINK_HOURS_MAX:
        raise _fail("hours", f"A link may last from 1 to {LINK_HOURS_MAX} hours.")
    now = now or clock.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        ConsentLink.objects.for_clinic(consent.clinic_id).filter(
            consent=consent, used_at__isnull=True
        ).update(used_at=now)
        link = ConsentLink.objects.create(
            clinic_id=consent.clinic_id,
            consent=consent,
            token_sha256=token_hash(token),
            expires_at=now + dt.timedelta(hours=hours),
            created_by=by,
        )
        audit_record(
            clinic=consent.clinic,
            actor=by,
            event_type="consent.link_created",
            subject_type="consent",
            subject_id=consent.pk,
            after={"link": link.pk, "expires_at": link.expires_at},
        )
    return link, token


class LinkRefused(Exception):
    """A signing link that cannot be used; ``reason`` is one of unknown/expired/used/done."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def consent_link_resolve(*, token: str, now: dt.datetime | None = None) -> ConsentLink:
    """The usable link for ``token``, or ``LinkRefused`` saying why not."""
    now = now or clock.now()
    if not token or len(token) > 200:
        raise LinkRefused("unknown")
    link = (
        ConsentLink.objects.select_related("consent", "consent__patient", "consent__clinic")
        .filter(token_sha256=token_hash(token))
        .first()
    )
    if link is None:
        raise LinkRefused("unknown")
    if link.used_at is not None:
        raise LinkRefused("used")
    if link.expires_at <= now:
        raise LinkRefused("expired")
    if link.consent.is_signed or link.consent.patient_has_signed:
        raise LinkRefused("done")
    return link


def consent_patient_sign(
    *,
    consent: Consent,
    signature: str,
    signed_name: str,
    actor: User | None,
    link: ConsentLink | None = None,
    now: dt.datetime | None = None,
) -> Consent:
    """Record the patient's signature (at the desk, or through ``link``, which is used up).

    The image is checked first: nothing is written for a signature that is not a PNG or is
    larger than 1 MB.
    """
    png = signature_png_decode(signature)
    signed_name = (signed_name or "").strip()
    if not signed_name:
        raise _fail("signed_name", "Type your full name as well as signing.")
    if len(signed_name) > 200:
        raise _fail("signed_name", "At most 200 characters.")
    now = now or clock.now()
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        _require_draft(locked)
        if locked.patient_has_signed:
            raise Conflict("The patient has already signed this consent.")
        if link is not None:
            used = ConsentLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
            if not used:
                raise Conflict("This link has already been used.")
        consent.patient_signature = png
        consent.patient_signed_name = signed_name
        consent.patient_signed_at = now
        consent.patient_signed_via = "link" if link is not None else "desk"
        consent.save(
            update_fields=[
                "patient_signature",
                "patient_signed_name",
                "patient_signed_at",
                "patient_signed_via",
                "updated_at",
            ]
        )
        audit_record(
            clinic=consent.clinic,
            actor=actor,
            event_type="consent.patient_signed",
            subject_type="consent",
            subject_id=consent.pk,
            after={"via": consent.patient_signed_via, "signed_at": now},
        )
    return consent


def consent_countersign(
    *, consent: Consent, practitioner: User, signature: str, now: dt.datetime | None = None
) -> Consent:
    """The practitioner's countersignature, which signs and freezes the consent."""
    png = signature_png_decode(signature, field="countersignature")
    _require_draft(consent)
    if not consent.patient_has_signed:
        raise Conflict("The patient must sign before the practitioner countersigns.")
    consent.countersignature = png
    return record_sign(
        record=consent,
        signer=practitioner,
        now=now,
        event_type="consent.signed",
        extra_fields=("countersignature",),
    )


def consent_withdraw(
    *, consent: Consent, by: User, reason: str, now: dt.datetime | None = None
) -> Withdrawal:
    """Withdraw a signed consent (a new record: who, when, why); the gate closes again."""
    return record_withdraw(record=consent, by=by, reason=reason, now=now)


def consent_add_addendum(*, consent: Consent, author: User, text: str, reason: str) -> Addendum:
    return record_add_addendum(record=consent, author=author, text=text, reason=reason)
