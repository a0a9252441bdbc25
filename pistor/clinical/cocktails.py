"""Cocktail suggestions for an indication, weighed against this patient.

A suggestion is a starting point the practitioner tailors, never a prescription: the
evidence for most mesotherapy mixes is weak (REFERENCE, general caveat) and the choice of
ingredients, strengths and volumes stays with the practitioner. What this adds is safety:
an ingredient the patient must not receive stays on the list, marked excluded with the
reason beside it, so nobody wonders why it is missing or adds it back unaware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pistor.clinical._lookup import default_catalog, require
from pistor.clinical.catalog.types import Catalog
from pistor.clinical.safety import PatientFacts, ScreeningSettings, screen_suggestion
from pistor.clinical.units import Quantity


@dataclass(frozen=True)
class Suggestion:
    family: str
    ingredient_code: str  # an ingredient code, or a product code when ``kind`` is "product"
    name: str
    usual_concentration: Quantity | None
    excluded: bool
    reasons: tuple[str, ...]  # why it is excluded (block findings)
    cautions: tuple[str, ...] = ()  # warnings to weigh if it is used
    kind: str = "ingredient"  # "ingredient" or "product"


def suggest(
    indication: str,
    patient: PatientFacts,
    *,
    today: date,
    catalog: Catalog | None = None,
    settings: ScreeningSettings | None = None,
) -> list[Suggestion]:
    """The ingredients and products each cocktail family of ``indication`` usually draws on.

    This is a starting point the practitioner tailors, never a prescription. Each entry is
    screened as ``safety.screen`` would screen a cocktail of it alone for this indication:
    the patient rules (age, pregnancy, REFERENCE §4's contraindications) as well as the
    ingredient's own, so a patient the screen blocks never gets an unflagged suggestion. One
    with a blocking finding is kept and marked ``excluded`` with the reasons. Doses, depths
    and areas are left to ``safety.screen`` on the final cocktail.
    """
    cat = default_catalog(catalog)
    entry = require(cat.indications, indication, what="indication", field="indication")
    suggestions: list[Suggestion] = []
    for family in entry.cocktail_families:
        for kind, codes in (("ingredient", family.ingredients), ("product", family.products)):
            for code in codes:
                screening = screen_suggestion(
                    patient,
                    code,
                    indication=entry.code,
                    today=today,
                    catalog=cat,
                    settings=settings,
                )
                if kind == "ingredient":
                    ingredient = cat.ingredients[code]
                    name, usual = ingredient.name, ingredient.usual_concentration
                else:
                    name, usual = cat.products[code].name, None
                suggestions.append(
                    Suggestion(
                        family=family.name,
                        ingredient_code=code,
                        name=name,
                        usual_concentration=usual,
                        excluded=screening.blocked,
                        reasons=tuple(f.message for f in screening.blocks),
                        cautions=tuple(f.message for f in screening.warnings),
                        kind=kind,
                    )
                )
    return suggestions
