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
