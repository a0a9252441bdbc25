"""Reads about clinics: memberships, and the clinic's screening settings."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pistor.clinical.catalog import resolve_sources
from pistor.clinical.catalog.types import Catalog, Severity, Source
from pistor.clinical.safety import ScreeningSettings
from pistor.clinics.models import Clinic, Membership


def membership_list_for_user(user: Any) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user, is_active=True, clinic__is_active=True)
        .select_related("clinic")
        .order_by("clinic__name")
    )


@dataclass(frozen=True)
class StaffContext:
    """What every signed-in request needs to know about the person, from one query."""

    membership: Membership | None  # the clinic they are working in, clinic loaded
    clinic_count: int  # active memberships at active clinics ("switch clinic" if > 1)
    device_valid: bool  # the second-factor device the session names is theirs and confirmed
    has_confirmed_totp: bool
    otp_required_by_role: bool


def _device_check(device_persistent_id: Any, user_id: Any) -> Any:
    """An EXISTS over the device the session names, or FALSE when it names none we know."""
    from django.apps import apps
    from django.db.models import Exists, Value
    from django_otp.models import Device

    if not isinstance(device_persistent_id, str) or "/" not in device_persistent_id:
        return Value(False)
    model_path, _, pk = device_persistent_id.rpartition("/")
    try:
        model = apps.get_model(model_path.split(".")[-2] + "." + model_path.split(".")[-1])
        device_pk = int(pk)
    except (LookupError, ValueError, IndexError):
        return Value(False)
    if not issubclass(model, Device):
        return Value(False)
    return Exists(model.objects.filter(pk=device_pk, user_id=user_id, confirmed=True))


def staff_context_get(*, user_id: Any, clinic_id: Any, device_persistent_id: Any) -> StaffContext:
    """The signed-in person's clinic membership and second-factor state in ONE query.

    The membership rows (chosen clinic first) carry the rest as subquery annotations; a
    person with no active membership needs a second, membership-free query. The chosen
    clinic wins if it is still an active membership; otherwise a person with exactly one
    clinic is placed in it, and a person with several must choose.
    """
    from django.db.models import Case, Count, Exists, IntegerField, Subquery, When
    from django.db.models.functions import Coalesce
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pistor.accounts.models import User
    from pistor.accounts.selectors import OTP_REQUIRED_ROLES

    active = Membership.objects.filter(user_id=user_id, is_active=True, clinic__is_active=True)
    annotations: dict[str, Any] = {
        "pistor_device_valid": _device_check(device_persistent_id, user_id),
        "pistor_has_totp": Exists(TOTPDevice.objects.filter(user_id=user_id, confirmed=True)),
        "pistor_otp_required": Exists(
            Membership.objects.filter(
                user_id=user_id, is_active=True, role__in=[r.value for r in OTP_REQUIRED_ROLES]
            )
        ),
        "pistor_clinic_count": Coalesce(
            Subquery(
                active.order_by().values("user_id").annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        ),
    }
    try:
        chosen = int(clinic_id) if clinic_id is not None else None
    except (TypeError, ValueError):
        chosen = None
    rows = list(
        active.select_related("clinic")
        .annotate(
            **annotations,
            pistor_chosen_first=Case(
                When(clinic_id=chosen, then=0), default=1, output_field=IntegerField()
            ),
        )
        .order_by("pistor_chosen_first", "clinic__name", "pk")[:1]
    )
    if rows:
        row: Any = rows[0]
        count = int(row.pistor_clinic_count)
        membership = row if (chosen is not None and row.clinic_id == chosen) or count == 1 else None
        return StaffContext(
            membership=membership,
            clinic_count=count,
            device_valid=bool(row.pistor_device_valid),
            has_confirmed_totp=bool(row.pistor_has_totp),
            otp_required_by_role=bool(row.pistor_otp_required),
        )
    facts: Any = (
        User.objects.filter(pk=user_id)
        .annotate(
            pistor_device_valid=annotations["pistor_device_valid"],
            pistor_has_totp=annotations["pistor_has_totp"],
            pistor_otp_required=annotations["pistor_otp_required"],
        )
        .values("pistor_device_valid", "pistor_has_totp", "pistor_otp_required")
        .first()
    ) or {}
    return StaffContext(
        membership=None,
        clinic_count=0,
        device_valid=bool(facts.get("pistor_device_valid")),
        has_confirmed_totp=bool(facts.get("pistor_has_totp")),
        otp_required_by_role=bool(facts.get("pistor_otp_required")),
    )


def membership_for_request(user: Any, clinic_id: Any) -> Membership | None:
    """The membership for the clinic chosen in the session, or the only one the user has."""
    qs = Membership.objects.filter(user=user, is_active=True, clinic__is_active=True)
    if clinic_id is not None:
        chosen = qs.filter(clinic_id=clinic_id).select_related("clinic").first()
        if chosen is not None:
            return chosen
    memberships = list(qs.select_related("clinic")[:2])
    return memberships[0] if len(memberships) == 1 else None


# --------------------------------------------------------------------------------------
# Screening settings: the clinic's choices where the sources disagree
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CautionUse:
    """One ingredient's caution about the fact, as the catalog writes it."""

    ingredient: str  # ingredient code
    ingredient_name: str
    severity: Severity
    message: str
    sources: tuple[str, ...]  # source tags


@dataclass(frozen=True)
class ConfigurableCaution:
    """A patient fact whose caution a clinic may make firmer or softer, and where it applies."""

    fact: str
    name: str
    uses: tuple[CautionUse, ...]
    sources: tuple[Source, ...]  # every use's tags, resolved for reading

    @property
    def default_severities(self) -> tuple[Severity, ...]:
        """The catalog's severities for this fact, most severe first (usually just one)."""
        return tuple(s for s in _SEVERITY_ORDER if any(u.severity is s for u in self.uses))


_SEVERITY_ORDER = (Severity.BLOCK, Severity.WARN, Severity.INFO)


def configurable_cautions(catalog: Catalog) -> list[ConfigurableCaution]:
    """Each fact with at least one ``configurable`` caution, by fact name.

    Only those: a label caution (the catalog leaves ``configurable`` false) is a hard rule
    no clinic setting reaches, so it is not offered. No database query.
    """
    uses: dict[str, list[CautionUse]] = {}
    for ingredient in sorted(catalog.ingredients.values(), key=lambda i: i.name.lower()):
        for caution in ingredient.cautions:
            if caution.configurable:
                uses.setdefault(caution.fact, []).append(
                    CautionUse(
                        ingredient=ingredient.code,
                        ingredient_name=ingredient.name,
                        severity=caution.severity,
                        message=caution.message,
                        sources=caution.sources,
                    )
                )
    rows = []
    for fact_code, fact_uses in uses.items():
        fact = catalog.facts.get(fact_code)
        tags = [tag for use in fact_uses for tag in use.sources]
        rows.append(
            ConfigurableCaution(
                fact=fact_code,
                name=fact.name if fact is not None else fact_code.replace("-", " "),
                uses=tuple(fact_uses),
                sources=tuple(resolve_sources(catalog, tags)),
            )
        )
    return sorted(rows, key=lambda row: row.name.lower())


def configurable_fact_codes(catalog: Catalog) -> frozenset[str]:
    """The fact codes a clinic may set a severity for."""
    return frozenset(
        caution.fact
        for ingredient in catalog.ingredients.values()
        for caution in ingredient.cautions
        if caution.configurable
    )


def clinic_screening_settings(clinic: Clinic) -> ScreeningSettings:
    """The clinic's row as the safety screen's settings: the one place this is translated.

    A stored value that is no longer a severity (written around the service) is skipped, so
    the catalog's severity applies; the screen itself leaves label cautions untouched.
    """
    stored = clinic.caution_severity_overrides or {}
    severities: dict[str, Severity] = {}
    if isinstance(stored, dict):
        for fact, value in stored.items():
            if isinstance(fact, str) and isinstance(value, str) and value in _SEVERITY_VALUES:
                severities[fact] = Severity(value)
    return ScreeningSettings(
        caution_severity=MappingProxyType(severities),
        fitzpatrick_threshold=clinic.fitzpatrick_pigmentation_threshold,
    )


_SEVERITY_VALUES = frozenset(s.value for s in Severity)
