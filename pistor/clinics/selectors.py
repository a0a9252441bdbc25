"""Reads about clinics: memberships, and the clinic's screening settings."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.db import connection

from pistor.clinical.catalog import resolve_sources
from pistor.clinical.catalog.types import Catalog, Severity, Source
from pistor.clinical.safety import ScreeningSettings
from pistor.clinics.models import Clinic, Membership
from pistor.core.rows import PREPARED, model_columns, model_from_row, row_id


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


def _device_table(device_persistent_id: Any) -> tuple[str, int] | None:
    """The table and id of the device a session names ("otp_totp.totpdevice/5"), if real."""
    from django.apps import apps
    from django_otp.models import Device

    if not isinstance(device_persistent_id, str) or "/" not in device_persistent_id:
        return None
    model_path, _, pk = device_persistent_id.rpartition("/")
    parts = model_path.split(".")
    try:
        model = apps.get_model(parts[-2], parts[-1])
        device_pk = int(pk)
    except (LookupError, ValueError, IndexError):
        return None
    if not issubclass(model, Device):
        return None
    return model._meta.db_table, device_pk


def staff_context_get(*, user_id: Any, clinic_id: Any, device_persistent_id: Any) -> StaffContext:
    """The signed-in person's clinic membership and second-factor state in ONE statement.

    Every signed-in request runs this, so it is written as SQL rather than built by the ORM:
    the annotated queryset it replaces spent longer being compiled than being run (a third
    of the record page's time, profiled). The chosen clinic wins if it is still an active
    membership at an active clinic; otherwise a person with exactly one clinic is placed in
    it, and a person with several must choose.
    """
    _user, context = _staff_context(user_id, clinic_id, device_persistent_id, with_user=False)
    assert context is not None  # noqa: S101 - without the user's row there is always one
    return context


def staff_user_get(
    *, user_id: Any, clinic_id: Any, device_persistent_id: Any
) -> tuple[Any, StaffContext | None]:
    """The user ``user_id`` (a session's value: None if malformed or gone) and their
    ``staff_context_get``, in the same one statement: what the session's sign-in needs,
    for one round trip instead of two (``pistor.accounts.middleware``)."""
    key = row_id(user_id)
    if key is None:
        return None, None
    return _staff_context(key, clinic_id, device_persistent_id, with_user=True)


def _staff_context(
    user_id: Any, clinic_id: Any, device_persistent_id: Any, *, with_user: bool
) -> tuple[Any, StaffContext | None]:
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pistor.accounts.selectors import OTP_REQUIRED_ROLES

    try:
        chosen = int(clinic_id) if clinic_id is not None else None
    except (TypeError, ValueError):
        chosen = None
    user_model = get_user_model()
    membership_table = Membership._meta.db_table
    clinic_table = Clinic._meta.db_table
    totp_table = TOTPDevice._meta.db_table
    roles = sorted(r.value for r in OTP_REQUIRED_ROLES)
    device = _device_table(device_persistent_id)
    params: list[Any] = []
    if device is not None:
        device_sql = f"EXISTS (SELECT 1 FROM {device[0]} d WHERE d.id = %s AND d.user_id = %s AND d.confirmed)"  # noqa: S608, E501
        params += [device[1], user_id]
    else:
        device_sql = "(1 = 0)"
    user_columns = f"{model_columns(user_model, 'u')}, " if with_user else ""
    clinic_columns = model_columns(Clinic, "c")
    role_marks = ", ".join(["%s"] * len(roles))
    # With the user's row, the statement reads from it (no row: no such user); without,
    # from a one-row stand-in. Table names come from the models' own metadata, values
    # only as parameters.
    base = f"{user_model._meta.db_table} u" if with_user else "(SELECT 1 AS one) u"
    sql = f"""
        SELECT {user_columns}{clinic_columns},
               m.id AS pistor_membership_id, m.role AS pistor_role,
               {device_sql} AS pistor_device_valid,
               EXISTS (SELECT 1 FROM {totp_table} t WHERE t.user_id = %s AND t.confirmed)
                   AS pistor_has_totp,
               EXISTS (SELECT 1 FROM {membership_table} r WHERE r.user_id = %s AND r.is_active
                       AND r.role IN ({role_marks})) AS pistor_otp_required,
               (SELECT COUNT(*) FROM {membership_table} n
                  JOIN {clinic_table} nc ON nc.id = n.clinic_id
                 WHERE n.user_id = %s AND n.is_active AND nc.is_active) AS pistor_clinic_count
          FROM {base}
          LEFT JOIN {membership_table} m ON m.id = (
                SELECT a.id FROM {membership_table} a
                  JOIN {clinic_table} ac ON ac.id = a.clinic_id
                 WHERE a.user_id = %s AND a.is_active AND ac.is_active
                 ORDER BY CASE WHEN a.clinic_id = %s THEN 0 ELSE 1 END, ac.name, a.id
                 LIMIT 1)
          LEFT JOIN {clinic_table} c ON c.id = m.clinic_id
         {"WHERE u.id = %s" if with_user else ""}{PREPARED}"""  # noqa: S608
    params += [user_id, user_id, *roles, user_id, user_id, chosen]
    if with_user:
        params.append(user_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None, None
    user = None
    if with_user:
        user_width = len(user_model._meta.concrete_fields)
        user = model_from_row(user_model, row[:user_width])
        row = row[user_width:]
    width = len(Clinic._meta.concrete_fields)
    clinic_id = row[0]
    membership_id, role, device_valid, has_totp, otp_required, clinic_count = row[width:]
    count = int(clinic_count or 0)
    membership = None
    if clinic_id is not None and ((chosen is not None and clinic_id == chosen) or count == 1):
        # Built from the row, timestamps deferred: nothing in a request reads them.
        membership = Membership.from_db(
            connection.alias,
            ["id", "user_id", "clinic_id", "role", "is_active"],
            [membership_id, user_id, clinic_id, role, True],
        )
        membership.clinic = model_from_row(Clinic, row[:width])
    context = StaffContext(
        membership=membership,
        clinic_count=count,
        device_valid=bool(device_valid),
        has_confirmed_totp=bool(has_totp),
        otp_required_by_role=bool(otp_required),
    )
    return user, context


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
    # A class REFERENCE §4 gives as disputed ("absolute/relative") holds for any injection;
    # its row says so with an empty ingredient code.
    for entry in catalog.facts.values():
        rule = entry.contraindication
        if rule is None:
            continue
        if rule.disputed:
            uses.setdefault(entry.code, []).append(
                CautionUse(
                    ingredient="",
                    ingredient_name="Any injection",
                    severity=rule.severity,
                    message=rule.message,
                    sources=rule.sources,
                )
            )
        if rule.stronger is not None:
            named = [
                *(f"{tag} cocktails" for tag in rule.stronger.tags),
                *rule.stronger.ingredients,
            ]
            uses.setdefault(entry.code, []).append(
                CautionUse(
                    ingredient="",
                    ingredient_name=", ".join(named).capitalize(),
                    severity=Severity.BLOCK,
                    message=rule.message,
                    sources=rule.stronger.sources,
                )
            )
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
    ) | frozenset(
        fact.code
        for fact in catalog.facts.values()
        if fact.contraindication is not None
        and (fact.contraindication.disputed or fact.contraindication.stronger is not None)
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
