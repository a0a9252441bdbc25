"""The clinic's own settings over the API: any staff may read them, managers change them.

These are the choices where the sources disagree (REFERENCE.md marks them unverified or
conflicting): how long after placing allergy test injections they may be read, the skin
type from which pigmentation is warned of, and how firmly each adjustable caution applies.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import StrictInt

from pistor.api.auth import allow, api_caller
from pistor.api.schemas import ERROR_RESPONSES, InputSchema
from pistor.clinical.catalog import load_catalog
from pistor.clinics.models import AllergyTestPolicy, Clinic
from pistor.clinics.permissions import Action
from pistor.clinics.selectors import configurable_cautions
from pistor.clinics.services import clinic_settings_update

router = Router(tags=["clinic"])


class CautionUseOut(Schema):
    ingredient: str = Field(..., description="Ingredient code; empty for any injection.")
    ingredient_name: str
    severity: str = Field(..., description="The catalog's severity: block, warn or info.")
    message: str
    sources: list[str] = Field(..., description="Source tags; see /catalog for their titles.")


class AdjustableCautionOut(Schema):
    fact: str = Field(..., description="Patient fact code: the key to use in overrides.")
    name: str
    default_severities: list[str]
    severity: str | None = Field(
        ..., description="This clinic's choice, or null for the catalog default."
    )
    uses: list[CautionUseOut]


class ClinicSettingsOut(Schema):
    clinic: str
    allergy_test_min_read_hours: int
    fitzpatrick_pigmentation_threshold: int
    caution_severity_overrides: dict[str, str]
    adjustable_cautions: list[AdjustableCautionOut]
    allergy_test_policy: AllergyTestPolicy
    allergy_test_also_required: list[str] = Field(
        ..., description="Products this clinic tests even where the catalog exempts them."
    )


class ClinicSettingsPatch(InputSchema):
    """Only the settings sent are changed."""

    # Typed without None on purpose: leaving a setting out keeps it, sending null is refused.
    allergy_test_min_read_hours: StrictInt = Field(  # type: ignore[assignment]
        None, description="Hours after placing test injections before reading; at least 24."
    )
    fitzpatrick_pigmentation_threshold: StrictInt = Field(  # type: ignore[assignment]
        None, description="The lowest Fitzpatrick type (1 to 6) warned of pigmentation."
    )
    caution_severity_overrides: dict[str, str] = Field(
        None,  # type: ignore[arg-type]
        description="Replaces the whole mapping: fact code → block, warn or info. Facts left "
        "out return to the catalog's severity; {} clears every override. Only the facts in "
        "adjustable_cautions are accepted.",
        examples=[{"breastfeeding": "block"}],
    )
    allergy_test_policy: AllergyTestPolicy = Field(  # type: ignore[assignment]
        None, description="every-new-patient or new-ingredients."
    )
    allergy_test_also_required: list[str] = Field(
        None,  # type: ignore[arg-type]
        description="Replaces the list of product codes tested even where the catalog "
        "exempts them (a clinic may add tests, never remove one).",
    )


def _settings(clinic: Clinic) -> dict[str, Any]:
    overrides = dict(clinic.caution_severity_overrides or {})
    return {
        "clinic": clinic.name,
        "allergy_test_min_read_hours": clinic.allergy_test_min_read_hours,
        "fitzpatrick_pigmentation_threshold": clinic.fitzpatrick_pigmentation_threshold,
        "caution_severity_overrides": overrides,
        "allergy_test_policy": clinic.allergy_test_policy,
        "allergy_test_also_required": list(clinic.allergy_test_also_required or []),
        "adjustable_cautions": [
            {
                "fact": row.fact,
                "name": row.name,
                "default_severities": [s.value for s in row.default_severities],
                "severity": overrides.get(row.fact),
                "uses": [
                    {
                        "ingredient": use.ingredient,
                        "ingredient_name": use.ingredient_name,
                        "severity": use.severity.value,
                        "message": use.message,
                        "sources": list(use.sources),
                    }
                    for use in row.uses
                ],
            }
            for row in configurable_cautions(load_catalog())
        ],
    }


@router.get(
    "/settings",
    response={200: ClinicSettingsOut, **ERROR_RESPONSES},
    summary="The clinic's safety settings",
    auth=allow(Action.CLINIC_SETTINGS_VIEW, doing="read the clinic's settings"),
)
def get_settings(request: HttpRequest) -> dict[str, Any]:
    caller = api_caller(request)
    return _settings(caller.clinic)


@router.patch(
    "/settings",
    response={200: ClinicSettingsOut, **ERROR_RESPONSES},
    summary="Change the clinic's safety settings (managers)",
    auth=allow(Action.CLINIC_SETTINGS, doing="change the clinic's settings"),
)
def update_settings(request: HttpRequest, payload: ClinicSettingsPatch) -> dict[str, Any]:
    caller = api_caller(request)
    clinic = clinic_settings_update(
        clinic=caller.clinic, actor=caller.user, **payload.model_dump(exclude_unset=True)
    )
    return _settings(clinic)
