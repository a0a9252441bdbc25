"""Writes of the intake: a new version per submission, and single-use patient links."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.clinical.catalog import load_catalog
from pistor.clinical.catalog.types import FactKind
from pistor.clinics.models import Clinic
from pistor.core.errors import ApplicationError, ValidationFailed
from pistor.intake.constants import (
    LINK_LIFETIME,
    REQUIRED_FOR_COMPLETE,
    TEXT_MAX,
    TOKEN_BYTES,
    WEIGHT_MAX_KG,
    WEIGHT_MIN_KG,
    Activity,
    IntakeSource,
    IntakeStatus,
    Smoking,
    SunExposure,
)
from pistor.intake.models import IntakeForm, IntakeLink
from pistor.patients.models import Patient

# Pregnancy and breastfeeding have their own yes/no questions, so they are not "conditions".
_OWN_QUESTIONS = frozenset({"pregnancy", "breastfeeding"})
_LISTS = (
    ("conditions", FactKind.CONDITION),
    ("medications", FactKind.MEDICATION),
    ("allergens", FactKind.ALLERGEN),
)
_TEXTS = ("other_history", "previous_treatments", "diet")


@dataclass(frozen=True)
class IntakeAnswers:
    """One submission's answers. ``None`` is "not answered" (a draft may leave anything out)."""

    conditions: Sequence[str] = ()
    medications: Sequence[str] = ()
    allergens: Sequence[str] = ()
    other_history: str = ""
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    previous_treatments: str = ""
    smoking: str = ""
    sun_exposure: str = ""
    activity: str = ""
    diet: str = ""
    weight_kg: Decimal | str | int | float | None = None
    fitzpatrick: int | str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: IntakeForm) -> IntakeAnswers:
        return cls(
            conditions=list(form.conditions),
            medications=list(form.medications),
            allergens=list(form.allergens),
            other_history=form.other_history,
            pregnant=form.pregnant,
            breastfeeding=form.breastfeeding,
            previous_treatments=form.previous_treatments,
            smoking=form.smoking,
            sun_exposure=form.sun_exposure,
            activity=form.activity,
            diet=form.diet,
            weight_kg=form.weight_kg,
            fitzpatrick=form.fitzpatrick,
        )


class LinkRefused(ApplicationError):
    """An intake link that cannot be used; ``kind`` is "invalid", "used" or "expired"."""

    status = 410

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message, extra={"kind": kind})
        self.kind = kind


LINK_MESSAGES = {
    "invalid": "This link is not valid. Please check you opened the whole link from the "
    "message, or ask the clinic to send a new one.",
    "used": "This link has already been used to send your medical history. If you need to "
    "change something, please ask the clinic to send a new link.",
    "expired": "This link has expired. Please ask the clinic to send a new one.",
}


def _choice(value: str, allowed: type[Any], name: str, errors: dict[str, list[str]]) -> str:
    value = (value or "").strip()
    if value and value not in allowed.values:
        errors[name] = [f"Choose one of: {', '.join(allowed.values)}."]
    return value


def intake_clean(answers: IntakeAnswers, *, complete: bool) -> dict[str, Any]:
    """The answers as model fields, or ValidationFailed naming every field that is wrong.

    Every code must be one of the catalog's screening facts of the right kind: an answer the
    screen does not understand would be silently ignored by it, which is worse than refusing.
    """
    catalog = load_catalog()
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, kind in _LISTS:
        codes = list(dict.fromkeys(getattr(answers, name) or ()))
        wrong = [
            c
            for c in codes
            if not isinstance(c, str)
            or c not in catalog.facts
            or catalog.facts[c].kind is not kind
            or c in _OWN_QUESTIONS
        ]
        if wrong:
            errors[name] = [
                f"'{c}' is not one of the {kind.value} codes of the catalog." for c in wrong
            ]
        cleaned[name] = sorted(c for c in codes if isinstance(c, str))
    for name in _TEXTS:
        text = str(getattr(answers, name) or "").strip()
        if len(text) > TEXT_MAX:
            errors[name] = [f"At most {TEXT_MAX} characters."]
        cleaned[name] = text
    cleaned["pregnant"] = answers.pregnant
    cleaned["breastfeeding"] = answers.breastfeeding
    cleaned["smoking"] = _choice(answers.smoking, Smoking, "smoking", errors)
    cleaned["sun_exposure"] = _choice(answers.sun_exposure, SunExposure, "sun_exposure", errors)
    cleaned["activity"] = _choice(answers.activity, Activity, "activity", errors)
    cleaned["weight_kg"] = None
    if answers.weight_kg not in (None, ""):
        try:
            weight = Decimal(str(answers.weight_kg)).quantize(Decimal("0.1"))
            if not weight.is_finite():  # "NaN" parses, then cannot be compared
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors["weight_kg"] = ["Give the weight in kilograms, e.g. 68 or 68.5."]
        else:
            if not WEIGHT_MIN_KG <= weight <= WEIGHT_MAX_KG:
                errors["weight_kg"] = [
                    f"A weight of {weight} kg is not plausible; give a weight between "
                    f"{WEIGHT_MIN_KG} and {WEIGHT_MAX_KG} kg."
                ]
            cleaned["weight_kg"] = weight
    cleaned["fitzpatrick"] = None
    if answers.fitzpatrick not in (None, ""):
        try:
            skin = int(str(answers.fitzpatrick))
        except ValueError:
            skin = 0
        if not 1 <= skin <= 6:
            errors["fitzpatrick"] = ["The Fitzpatrick skin type is 1 to 6."]
        cleaned["fitzpatrick"] = skin
    if complete:
        for name in REQUIRED_FOR_COMPLETE:
            if cleaned.get(name) in (None, "") and name not in errors:
                errors[name] = ["Needed for a complete medical history."]
    if errors:
        message = (
            "The medical history is not complete yet: answer the questions marked."
            if complete
            and all(e == ["Needed for a complete medical history."] for e in errors.values())
            else "Some answers need correcting."
        )
        raise ValidationFailed(message, fields=errors)
    return cleaned


def _summary(form: IntakeForm) -> dict[str, Any]:
    # The audit trail records what kind of change happened, not the history itself.
    return {"version": form.version, "status": form.status, "source": form.source}


def intake_submit(
    *,
    clinic: Clinic,
    patient: Patient,
    actor: Any,
    answers: IntakeAnswers,
    complete: bool,
    source: str = IntakeSource.DESK,
) -> IntakeForm:
    """Record a new version of the patient's medical history (complete or a draft)."""
    if patient.clinic_id != clinic.pk:
        raise ValidationFailed("That patient is not at this clinic.", fields={"patient": ["?"]})
    cleaned = intake_clean(answers, complete=complete)
    with transaction.atomic():
        # Lock the patient row so two submissions at once get versions n+1 and n+2.
        list(
            Patient.objects.for_clinic(clinic)
            .select_for_update()
            .filter(pk=patient.pk)
            .values_list("pk", flat=True)
        )
        top = (
            IntakeForm.objects.for_clinic(clinic)
            .filter(patient=patient)
            .aggregate(top=Max("version"))["top"]
        )
        form = IntakeForm(
            clinic=clinic,
            patient=patient,
            version=(top or 0) + 1,
            status=IntakeStatus.COMPLETE if complete else IntakeStatus.DRAFT,
            source=source,
            submitted_by=actor if actor is not None and actor.is_authenticated else None,
            **cleaned,
        )
        form.save(force_insert=True)
        audit_record(
            clinic=clinic,
            actor=form.submitted_by,
            event_type=AuditEventType.INTAKE_SUBMITTED,
            subject_type="patient",
            subject_id=patient.pk,
            after=_summary(form),
        )
    return form


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def intake_link_create(
    *, clinic: Clinic, patient: Patient, actor: Any, now: dt.datetime
) -> tuple[IntakeLink, str]:
    """A new single-use link; returns it and the token, which is never stored (only its hash).

    Earlier unused links of the patient keep working until they expire or one is used: the
    patient may open whichever message they find first.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        link = IntakeLink(
            clinic=clinic,
            patient=patient,
            token_hash=_hash(token),
            expires_at=now + LINK_LIFETIME,
            created_by=actor,
        )
        link.save(force_insert=True)
        audit_record(
            clinic=clinic,
            actor=actor,
            event_type=AuditEventType.INTAKE_LINK_CREATED,
            subject_type="patient",
            subject_id=patient.pk,
            after={"link": link.pk, "expires_at": link.expires_at},
        )
    return link, token


def intake_link_resolve(*, token: str, now: dt.datetime, lock: bool = False) -> IntakeLink:
    """The link ``token`` opens, or LinkRefused saying why it cannot be used."""
    if not token or len(token) > 200:
        raise LinkRefused(LINK_MESSAGES["invalid"], kind="invalid")
    qs = IntakeLink.objects.select_related("patient", "clinic")
    if lock:
        qs = qs.select_for_update(of=("self",))
    link = qs.filter(token_hash=_hash(token)).first()
    if link is None:
        raise LinkRefused(LINK_MESSAGES["invalid"], kind="invalid")
    if link.used_at is not None:
        raise LinkRefused(LINK_MESSAGES["used"], kind="used")
    if now >= link.expires_at:
        raise LinkRefused(LINK_MESSAGES["expired"], kind="expired")
    return link


def intake_submit_by_link(*, token: str, answers: IntakeAnswers, now: dt.datetime) -> IntakeForm:
    """The patient's own submission through a link: complete, and it uses the link up."""
    with transaction.atomic():
        link = intake_link_resolve(token=token, now=now, lock=True)
        form = intake_submit(
            clinic=link.clinic,
            patient=link.patient,
            actor=None,
            answers=answers,
            complete=True,
            source=IntakeSource.LINK,
        )
        link.used_at = now
        link.intake = form
        link.save(update_fields=["used_at", "intake", "updated_at"])
        audit_record(
            clinic=link.clinic,
            actor=None,
            event_type=AuditEventType.INTAKE_LINK_USED,
            subject_type="patient",
            subject_id=link.patient_id,
            after={"link": link.pk, "version": form.version},
        )
    return form


def answers_as_dict(answers: IntakeAnswers) -> dict[str, Any]:
    data = asdict(answers)
    data.pop("extra", None)
    return data
