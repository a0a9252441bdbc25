"""Parsing the intake form (at the desk and on the patient's phone) into answers."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from pistor.clinical.catalog import load_catalog
from pistor.clinical.catalog.types import FactKind
from pistor.intake.constants import Activity, Smoking, SunExposure
from pistor.intake.services import IntakeAnswers

_YES_NO = {"yes": True, "no": False}
_OWN_QUESTIONS = {"pregnancy", "breastfeeding"}


def answers_from_post(data: QueryDict) -> IntakeAnswers:
    return IntakeAnswers(
        conditions=data.getlist("conditions"),
        medications=data.getlist("medications"),
        allergens=data.getlist("allergens"),
        other_history=data.get("other_history", ""),
        pregnant=_YES_NO.get(data.get("pregnant", "")),
        breastfeeding=_YES_NO.get(data.get("breastfeeding", "")),
        previous_treatments=data.get("previous_treatments", ""),
        smoking=data.get("smoking", ""),
        sun_exposure=data.get("sun_exposure", ""),
        activity=data.get("activity", ""),
        diet=data.get("diet", ""),
        weight_kg=data.get("weight_kg", "").strip() or None,
        fitzpatrick=data.get("fitzpatrick", "").strip() or None,
    )


def form_context(answers: IntakeAnswers | None, errors: dict[str, list[str]]) -> dict[str, Any]:
    """What the intake form partial needs: the catalog's choices and the current values."""
    catalog = load_catalog()
    groups: dict[FactKind, list[tuple[str, str]]] = {k: [] for k in FactKind}
    for fact in sorted(catalog.facts.values(), key=lambda f: f.name.lower()):
        if fact.code not in _OWN_QUESTIONS:
            groups[fact.kind].append((fact.code, fact.name))
    a = answers or IntakeAnswers()

    def yes_no(value: bool | None) -> str:
        return "" if value is None else ("yes" if value else "no")

    return {
        "condition_choices": groups[FactKind.CONDITION],
        "medication_choices": groups[FactKind.MEDICATION],
        "allergen_choices": groups[FactKind.ALLERGEN],
        "smoking_choices": Smoking.choices,
        "sun_choices": SunExposure.choices,
        "activity_choices": Activity.choices,
        "fitzpatrick_choices": range(1, 7),
        "v": {
            "conditions": set(a.conditions),
            "medications": set(a.medications),
            "allergens": set(a.allergens),
            "other_history": a.other_history,
            "pregnant": yes_no(a.pregnant),
            "breastfeeding": yes_no(a.breastfeeding),
            "previous_treatments": a.previous_treatments,
            "smoking": a.smoking,
            "sun_exposure": a.sun_exposure,
            "activity": a.activity,
            "diet": a.diet,
            "weight_kg": "" if a.weight_kg is None else str(a.weight_kg),
            "fitzpatrick": "" if a.fitzpatrick is None else str(a.fitzpatrick),
        },
        "errors": errors,
    }
