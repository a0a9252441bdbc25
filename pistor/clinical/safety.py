"""The pre-treatment safety screen: this patient, this cocktail, these areas, on this date.

The screen reads the catalog, not hard-coded drug lists: an ingredient's allergens, cautions,
tags, regulatory flags and label limits decide what fires. Severities follow REFERENCE §3–§4:
label contraindications, allergies, withdrawn products, label limits and the conditions §4
classes absolute (for any injection, whatever the cocktail) block; §4's relative classes warn
for any injection unless the catalog narrows them, with a source, to named ingredients;
everything else warns so the practitioner weighs it and records why they went ahead. A block
can never be overridden (see ``gates``). Each finding names the patient fact and the
ingredient behind it, and cites only the sources behind that rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from pistor.clinical._lookup import default_catalog, require
from pistor.clinical.catalog.types import (
    Catalog,
    Caution,
    Contraindication,
    ContraindicationClass,
    FactKind,
    Indication,
    Ingredient,
    Needle,
    Severity,
)
from pistor.clinical.codes import FindingCode, finding_code
from pistor.clinical.dosing import (
    ADRENALINE_TAG,
    CocktailLine,
    IngredientDose,
    cumulative_lidocaine_check,
    expand_cocktail,
)
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.findings import Finding, sort_findings
from pistor.clinical.protocols import max_sessions, rhythm_for_session
from pistor.clinical.units import Dimension, Quantity

__all__ = [
    "AreaPlan",
    "CocktailLine",
    "EarlierSession",
    "PatientFacts",
    "Screening",
    "ScreeningSettings",
    "TreatmentProposal",
    "screen",
    "screen_ingredient",
    "screen_suggestion",
]

ADULT_AGE = 18
# REFERENCE §3 rule 1: medicines and supplements that make every injection bleed more.
BLEEDING_FACTS = (
    "anticoagulant",
    "antiplatelet",
    "aspirin",
    "nsaid",
    "ginkgo-supplement",
    "fish-oil",
    "vitamin-e-supplement",
    "bleeding-disorder",
)
PREGNANCY = "pregnancy"
POSSIBLE_PREGNANCY = "possible-pregnancy"
BREASTFEEDING = "breastfeeding"
COUMARIN = "coumarin"
ANTIDIABETIC = "antidiabetic"
THEOPHYLLINE = "theophylline"
TAG_XANTHINE = "xanthine"
TAG_BETA_AGONIST = "beta-agonist"
TAG_BLEEDING_STRONG = "bleeding-risk-strong"
TAG_COUMARIN_INR = "coumarin-inr"
TAG_HYPOGLYCAEMIA = "hypoglycaemia"
TAG_LIPOLYTIC = "lipolytic-drug"
TAG_PIGMENTATION = "pigmentation-risk"
_ALLERGY_SUFFIX = " allergy"
# Medication classes read as countable nouns ("takes an anticoagulant"); drug names do not.
_COUNTABLE = frozenset(
    {
        "anticoagulant",
        "antiplatelet",
        "drug",
        "medicine",
        "supplement",
        "inhibitor",
        "glycoside",
        "immunosuppressant",
        "corticosteroid",
        "antihistamine",
    }
)
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}


@dataclass(frozen=True)
class EarlierSession:
    """A session already given: what went in, and under which protocol."""

    date: dt.date
    ingredients: tuple[CocktailLine, ...]
    protocol: str | None = None


@dataclass(frozen=True)
class PatientFacts:
    """What the screen needs to know about the patient, as catalog fact codes."""

    birth_date: dt.date | None = None
    age_years: int | None = None  # used when the birth date is not recorded
    sex: str | None = None
    weight_kg: Decimal | None = None
    pregnant: bool = False
    breastfeeding: bool = False
    conditions: frozenset[str] = frozenset()
    medications: frozenset[str] = frozenset()
    allergens: frozenset[str] = frozenset()
    fitzpatrick: int | None = None
    earlier_sessions: tuple[EarlierSession, ...] = ()


@dataclass(frozen=True)
class AreaPlan:
    """One treated area: where, how deep, with which needle and how much per injection."""

    area: str
    technique: str
    depth: Quantity
    needle: Needle | None = None
    injections: int | None = None
    volume_per_injection: Quantity | None = None


@dataclass(frozen=True)
class TreatmentProposal:
    """The session the practitioner intends to give."""

    indication: str
    areas: tuple[AreaPlan, ...]
    cocktail: tuple[CocktailLine, ...]
    date: dt.date
    protocol: str | None = None


@dataclass(frozen=True)
class ScreeningSettings:
    """A clinic's choices where the sources disagree.

    ``caution_severity`` maps a fact code to the severity the clinic wants for cautions the
    catalog marks ``configurable``; label cautions keep their severity whatever is set here.
    ``fitzpatrick_threshold`` is the lowest skin type that gets the pigmentation warning.
    """

    caution_severity: Mapping[str, Severity] = field(default_factory=dict)
    fitzpatrick_threshold: int = 4


@dataclass(frozen=True)
class Screening:
    findings: tuple[Finding, ...]

    @property
    def blocked(self) -> bool:
        return any(f.severity is Severity.BLOCK for f in self.findings)

    @property
    def blocks(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.BLOCK)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARN)

    @property
    def notes(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.INFO)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)


def screen(
    patient: PatientFacts,
    proposal: TreatmentProposal,
    *,
    today: dt.date,
    catalog: Catalog | None = None,
    settings: ScreeningSettings | None = None,
) -> Screening:
    """Every finding for giving ``proposal`` to ``patient``, blocks first.

    Unknown codes and impossible values raise ``ClinicalDataError`` naming the field: a screen
    that silently skips an allergen it does not recognise would be worse than no screen.
    """
    cat = default_catalog(catalog)
    ctx = _Context.build(cat, patient, proposal.date, today, settings or ScreeningSettings())
    indication = require(
        cat.indications, proposal.indication, what="indication", field="indication"
    )
    doses = expand_cocktail(proposal.cocktail, catalog=cat)
    _require_known_ingredients(cat, doses, "cocktail")
    present = _by_ingredient(doses)
    # A label protocol for its own indication (Kybella for submental fat) is on-label use.
    protocol = cat.protocols.get(proposal.protocol or "")
    on_label = protocol is not None and protocol.label and indication.code in protocol.indications

    findings: list[Finding] = []
    findings += _patient_rules(ctx, indication)
    findings += _contraindication_rules(ctx, indication)
    findings += _area_rules(ctx, proposal.areas)
    for code, products in present.items():
        findings += _ingredient_rules(ctx, cat.ingredients[code], products, on_label=on_label)
    findings += _combination_rules(ctx, present, general=True)
    findings += _mixing_rules(ctx, proposal.cocktail)
    findings += _label_limit_rules(ctx, proposal, doses, present)
    findings += cumulative_lidocaine_check(
        proposal.cocktail, weight_kg=patient.weight_kg, catalog=cat
    ).findings
    findings += _protocol_rules(ctx, proposal, indication)
    return Screening(sort_findings(findings))


def screen_ingredient(
    patient: PatientFacts,
    code: str,
    *,
    today: dt.date,
    catalog: Catalog | None = None,
    settings: ScreeningSettings | None = None,
) -> Screening:
    """The findings that concern one ingredient or product for this patient, on its own.

    Allergies, cautions, interactions with the patient's medicines, regulatory flags and the
    label's minimum age. Findings about the whole treatment (pregnancy and elective care, age
    for cosmetic work, doses, depths, intervals) come from ``screen``.
    """
    cat = default_catalog(catalog)
    ctx = _Context.build(cat, patient, today, today, settings or ScreeningSettings())
    return Screening(sort_findings(_alone(ctx, code, general=False)))


def screen_suggestion(
    patient: PatientFacts,
    code: str,
    *,
    indication: str,
    today: dt.date,
    catalog: Catalog | None = None,
    settings: ScreeningSettings | None = None,
) -> Screening:
    """What ``screen`` would find for a cocktail of ``code`` alone, before areas and doses.

    The patient rules (age, pregnancy, REFERENCE §4's contraindications), the ingredient's
    own rules, the warnings that hold for any injection (bleeding, pigmentation) and the
    label's session count and interval against the earlier sessions. A suggestion screened
    here is never offered unflagged to a patient the full screen would block.
    """
    cat = default_catalog(catalog)
    ctx = _Context.build(cat, patient, today, today, settings or ScreeningSettings())
    entry = require(cat.indications, indication, what="indication", field="indication")
    findings = _patient_rules(ctx, entry) + _contraindication_rules(ctx, entry)
    findings += _alone(ctx, code, general=True)
    doses = expand_cocktail((CocktailLine(code),), catalog=cat, field="code")
    for ingredient in _by_ingredient(doses):
        findings += _history_rules(ctx, ingredient, _label(ctx, ingredient, ()), today)
    return Screening(sort_findings(findings))


def _alone(ctx: _Context, code: str, *, general: bool) -> list[Finding]:
    cat = ctx.catalog
    if code not in cat.ingredients and code not in cat.products:
        raise ClinicalDataError(
            f"'{code}' is neither an ingredient nor a product in the clinical catalog.",
            field="code",
        )
    doses = expand_cocktail((CocktailLine(code),), catalog=cat, field="code")
    _require_known_ingredients(cat, doses, "code")
    present = _by_ingredient(doses)
    findings: list[Finding] = []
    for ingredient, products in present.items():
        findings += _ingredient_rules(ctx, cat.ingredients[ingredient], products)
    findings += _combination_rules(ctx, present, general=general)
    return findings


@dataclass(frozen=True)
class _Context:
    catalog: Catalog
    patient: PatientFacts
    on: dt.date  # the treatment date: ages and intervals are measured to it
    facts: Mapping[str, str]  # every fact code the patient carries → the recorded code behind it
    allergens: Mapping[str, str]
    age: int | None
    pregnant: bool
    settings: ScreeningSettings

    @classmethod
    def build(
        cls,
        catalog: Catalog,
        patient: PatientFacts,
        on: dt.date,
        today: dt.date,
        settings: ScreeningSettings,
    ) -> _Context:
        recorded: list[tuple[str, str]] = []
        groups = (
            ("conditions", patient.conditions, FactKind.CONDITION),
            ("medications", patient.medications, FactKind.MEDICATION),
            ("allergens", patient.allergens, FactKind.ALLERGEN),
        )
        for name, codes, kind in groups:
            for code in sorted(codes):
                fact = require(catalog.facts, code, what="patient fact", field=f"patient.{name}")
                if fact.kind is not kind:
                    raise ClinicalDataError(
                        f"'{code}' is a {fact.kind.value}, not one of the patient's {name}.",
                        field=f"patient.{name}",
                    )
                recorded.append((code, code))
        age = _age(patient, on, today)
        if age is not None:
            # Conditions the catalog derives from the age (aminophylline's "over 55").
            recorded.extend(
                (code, code)
                for code, fact in sorted(catalog.facts.items())
                if fact.older_than is not None and age > fact.older_than
            )
        if patient.pregnant:
            recorded.append((PREGNANCY, PREGNANCY))
        if patient.breastfeeding:
            recorded.append((BREASTFEEDING, BREASTFEEDING))
        facts = _expand(catalog, recorded)
        allergens = _expand(catalog, [(c, c) for c in sorted(patient.allergens)])
        if patient.fitzpatrick is not None and patient.fitzpatrick not in _ROMAN:
            raise ClinicalDataError(
                f"Fitzpatrick skin type must be 1 to 6, not {patient.fitzpatrick}.",
                field="patient.fitzpatrick",
            )
        if patient.weight_kg is not None and not patient.weight_kg > 0:
            raise ClinicalDataError(
                f"The weight must be a positive number of kilograms, not {patient.weight_kg}.",
                field="patient.weight_kg",
            )
        for index, session in enumerate(patient.earlier_sessions):
            if session.date > on:
                raise ClinicalDataError(
                    f"An earlier session is dated {session.date.isoformat()}, after the "
                    f"treatment date {on.isoformat()}.",
                    field=f"patient.earlier_sessions[{index}].date",
                )
            if session.protocol is not None:
                require(
                    catalog.protocols,
                    session.protocol,
                    what="protocol",
                    field=f"patient.earlier_sessions[{index}].protocol",
                )
            where = f"patient.earlier_sessions[{index}].ingredients"
            expand_cocktail(session.ingredients, catalog=catalog, field=where)
        return cls(
            catalog=catalog,
            patient=patient,
            on=on,
            facts=facts,
            allergens=allergens,
            age=age,
            pregnant=PREGNANCY in facts,
            settings=settings,
        )

    def fact_name(self, code: str) -> str:
        """The fact as a noun phrase: 'soya' for the soya allergy, 'epilepsy or seizure ...'."""
        fact = self.catalog.facts.get(code)
        if fact is None:
            return code.replace("-", " ")
        name = _lower(fact.name)
        if fact.kind is FactKind.ALLERGEN and name.endswith(_ALLERGY_SUFFIX):
            return name.removesuffix(_ALLERGY_SUFFIX)
        if fact.kind is FactKind.MEDICATION:
            return _with_article(name)
        return name

    def phrase(self, code: str) -> str:
        """'Patient takes aspirin, an antiplatelet' for a fact the patient carries."""
        origin = self.facts.get(code, code)
        if origin == PREGNANCY:
            text = "Patient is pregnant"
        elif origin == BREASTFEEDING:
            text = "Patient is breastfeeding"
        else:
            text = "Patient " + _predicate(self, origin)
        if origin != code:
            implied = self.fact_name(code)
            if not implied.startswith(("a ", "an ")):
                implied = _with_article(implied, always=True)
            text += f", {implied}"
        return text

    def patient_evidence(self, *codes: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f"patient:{self.facts.get(c, c)}" for c in codes))


def _expand(catalog: Catalog, recorded: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Close the recorded facts over ``implies``: coumarin carries anticoagulant with it."""
    result: dict[str, str] = {}
    queue = list(recorded)
    while queue:
        code, origin = queue.pop(0)
        if code in result:
            continue
        result[code] = origin
        fact = catalog.facts.get(code)
        if fact is not None:
            queue.extend((implied, origin) for implied in fact.implies)
    return result


def _age(patient: PatientFacts, on: dt.date, today: dt.date) -> int | None:
    if patient.birth_date is not None:
        if patient.birth_date > today:
            raise ClinicalDataError(
                f"The birth date {patient.birth_date.isoformat()} is in the future.",
                field="patient.birth_date",
            )
        born = patient.birth_date
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if patient.age_years is not None:
        if not 0 <= patient.age_years <= 130:
            raise ClinicalDataError(
                f"An age of {patient.age_years} years is not plausible.", field="patient.age_years"
            )
        return patient.age_years
    return None


def _require_known_ingredients(
    catalog: Catalog, doses: Sequence[IngredientDose], where: str
) -> None:
    for dose in doses:
        require(catalog.ingredients, dose.ingredient, what="ingredient", field=f"{where}.code")


def _by_ingredient(doses: Sequence[IngredientDose]) -> dict[str, tuple[str | None, ...]]:
    """Each ingredient present → the products it came in (None: given on its own)."""
    present: dict[str, tuple[str | None, ...]] = {}
    for dose in doses:
        seen = present.get(dose.ingredient, ())
        if dose.product not in seen:
            present[dose.ingredient] = (*seen, dose.product)
    return present


def _label(ctx: _Context, code: str, products: Sequence[str | None]) -> str:
    """'phosphatidylcholine (in Dermaheal LL)': the ingredient and where it comes from."""
    name = _lower(ctx.catalog.ingredients[code].name)
    named = [ctx.catalog.products[p].name for p in products if p is not None]
    if not named:
        return name
    name = name.split(" (", 1)[0]  # "deoxycholic acid (in Kybella)", not two brackets
    where = " and ".join(named)
    if None in products:
        return f"{name} (on its own and in {where})"
    return f"{name} (in {where})"


def _labels(
    ctx: _Context, present: Mapping[str, Sequence[str | None]], codes: Iterable[str]
) -> str:
    return _join([_label(ctx, c, present[c]) for c in codes])


def _patient_rules(ctx: _Context, indication: Indication) -> list[Finding]:
    findings: list[Finding] = []
    if ctx.pregnant:
        if indication.cosmetic:
            findings.append(
                Finding(
                    FindingCode.PREGNANCY_ELECTIVE,
                    Severity.BLOCK,
                    f"Patient is pregnant; {_lower(indication.name)} is an elective cosmetic "
                    "treatment and must not be given in pregnancy. Offer it after the pregnancy "
                    "and breastfeeding.",
                    (*ctx.patient_evidence(PREGNANCY), "S53a", "S53b", "S53c", "S53e"),
                )
            )
        else:
            findings.append(
                Finding(
                    FindingCode.PREGNANCY,
                    Severity.WARN,
                    f"Patient is pregnant; weigh {_lower(indication.name)} treatment with the "
                    "obstetric team and record the decision.",
                    (*ctx.patient_evidence(PREGNANCY), "S53a"),
                )
            )
    nursing_fact = ctx.catalog.facts.get(BREASTFEEDING)
    nursing = nursing_fact.contraindication if nursing_fact is not None else None
    if BREASTFEEDING in ctx.facts and nursing is not None:
        severity = _contraindication_severity(ctx, BREASTFEEDING, nursing, indication)
        if indication.cosmetic:
            findings.append(
                Finding(
                    FindingCode.BREASTFEEDING_ELECTIVE,
                    severity,
                    f"Patient is breastfeeding; elective {_lower(indication.name)} treatment "
                    + (
                        "is not given while breastfeeding. Offer it once breastfeeding ends."
                        if severity is Severity.BLOCK
                        else "is usually deferred until breastfeeding ends. Discuss it and "
                        "record the decision."
                    ),
                    (*ctx.patient_evidence(BREASTFEEDING), *nursing.sources),
                )
            )
        else:
            findings.append(
                Finding(
                    FindingCode.BREASTFEEDING,
                    severity,
                    f"Patient is breastfeeding; weigh {_lower(indication.name)} treatment and "
                    "the ingredients' own cautions, and record the decision.",
                    (*ctx.patient_evidence(BREASTFEEDING), *nursing.sources),
                )
            )
    if indication.cosmetic:
        if ctx.age is None:
            findings.append(
                Finding(
                    FindingCode.AGE_UNKNOWN,
                    Severity.WARN,
                    "The patient's age is not recorded; confirm they are 18 or over before "
                    f"cosmetic treatment for {_lower(indication.name)}.",
                    ("S61f", "S61g"),
                )
            )
        elif ctx.age < ADULT_AGE:
            findings.append(
                Finding(
                    FindingCode.UNDER_18,
                    Severity.BLOCK,
                    f"Patient is {ctx.age}; cosmetic treatment for {_lower(indication.name)} "
                    "is not given to anyone under 18.",
                    ("S61f", "S61g"),
                )
            )
    return findings


def _contraindication_severity(
    ctx: _Context, code: str, rule: Contraindication, indication: Indication
) -> Severity:
    """The class's severity; a disputed class follows the clinic's setting for the fact."""
    severity = rule.severity
    if rule.elective_only and not indication.cosmetic and severity is Severity.BLOCK:
        severity = Severity.WARN
    if rule.disputed:
        return ctx.settings.caution_severity.get(code, severity)
    return severity


_AS_SEVERITY = {
    Severity.BLOCK: "a reason not to inject",
    Severity.WARN: "a warning to weigh",
    Severity.INFO: "a note",
}
_CLASS_LEAD = {
    ContraindicationClass.ABSOLUTE: "this rules out injections of any kind.",
    ContraindicationClass.DEFER: "no injection until it has passed.",
    ContraindicationClass.RELATIVE: "weigh it before any injection.",
    ContraindicationClass.NOTE: "a note for any injection.",
}


def _contraindication_rules(ctx: _Context, indication: Indication) -> list[Finding]:
    """REFERENCE §4: how each of the patient's conditions and medicines weighs on any
    injection, whatever the cocktail (infection at the site blocks a vitamins-only mix too).

    Pregnancy and breastfeeding are said by ``_patient_rules``; a relative class on a
    bleeding medicine is said once, in the bleeding finding of ``_combination_rules``.
    """
    findings: list[Finding] = []
    for code in sorted(ctx.facts):
        fact = ctx.catalog.facts.get(code)
        rule = fact.contraindication if fact is not None else None
        if rule is None or code in (PREGNANCY, BREASTFEEDING):
            continue
        severity = _contraindication_severity(ctx, code, rule, indication)
        if code in BLEEDING_FACTS and severity is not Severity.BLOCK:
            continue
        lead = _CLASS_LEAD[rule.klass]
        if severity is not rule.severity:
            lead = f"this clinic treats it as {_AS_SEVERITY[severity]}."
        findings.append(
            Finding(
                finding_code(FindingCode.CONTRAINDICATION, code),
                severity,
                f"{ctx.phrase(code)}; {lead} {_sentence(rule.message)}",
                (*ctx.patient_evidence(code), *rule.sources),
            )
        )
    return findings


def _stronger_rules(ctx: _Context, ingredient: Ingredient, label: str) -> list[Finding]:
    """§4's "relative, but absolute for these cocktails" (heart disease and beta-agonists or
    xanthines; seizures and xanthines or L-carnitine). The labels behind some of those
    ingredients say only "caution", so the class is disputed: the fact's clinic setting
    applies. An ingredient whose own caution already blocks says it once, there."""
    findings: list[Finding] = []
    own = {c.fact: c for c in ingredient.cautions}
    for code in sorted(ctx.facts):
        fact = ctx.catalog.facts.get(code)
        rule = fact.contraindication if fact is not None else None
        stronger = rule.stronger if rule is not None else None
        if rule is None or stronger is None:
            continue
        if not (
            set(stronger.tags) & set(ingredient.tags) or ingredient.code in stronger.ingredients
        ):
            continue
        caution = own.get(code)
        if caution is not None and _severity(ctx, caution) is Severity.BLOCK:
            continue
        severity = ctx.settings.caution_severity.get(code, Severity.BLOCK)
        lead = (
            f"{label} must not be injected."
            if severity is Severity.BLOCK
            else f"this clinic treats it as {_AS_SEVERITY[severity]} for {label}."
        )
        # The ingredient's own weaker caution is said here, not as a second finding.
        detail = f" {_sentence(caution.message)}" if caution is not None else ""
        findings.append(
            Finding(
                finding_code(FindingCode.CONTRAINDICATION, code, ingredient.code),
                severity,
                f"{ctx.phrase(code)}; {lead} {_sentence(rule.message)}{detail}",
                (
                    *ctx.patient_evidence(code),
                    *stronger.sources,
                    *(caution.sources if caution is not None else ()),
                ),
            )
        )
    return findings


def _mixing_rules(ctx: _Context, cocktail: Sequence[CocktailLine]) -> list[Finding]:
    """A product whose label forbids mixing or dilution must be the only thing injected."""
    findings: list[Finding] = []
    for index, line in enumerate(cocktail):
        product = ctx.catalog.products.get(line.code)
        if product is None or not product.no_mixing_sources or len(cocktail) < 2:
            continue
        others = [_name_of(ctx, other.code) for i, other in enumerate(cocktail) if i != index]
        findings.append(
            Finding(
                finding_code(FindingCode.NO_MIXING, product.code),
                Severity.WARN,
                f"The {product.name} label says not to mix or dilute it, but the cocktail "
                f"adds {_join(list(dict.fromkeys(others)))}. Inject it on its own.",
                product.no_mixing_sources,
            )
        )
    return findings


def _name_of(ctx: _Context, code: str) -> str:
    if code in ctx.catalog.products:
        return ctx.catalog.products[code].name
    if code in ctx.catalog.ingredients:
        return _lower(ctx.catalog.ingredients[code].name)
    return code


def _area_rules(ctx: _Context, areas: Sequence[AreaPlan]) -> list[Finding]:
    findings: list[Finding] = []
    for index, area in enumerate(areas):
        where = f"areas[{index}]"
        technique = require(
            ctx.catalog.techniques, area.technique, what="technique", field=f"{where}.technique"
        )
        depth = _length(area.depth, f"{where}.depth")
        place = area.area or f"Area {index + 1}"
        if area.injections is not None and area.injections < 1:
            raise ClinicalDataError(
                f"{place}: the number of injections must be at least 1.",
                field=f"{where}.injections",
            )
        if area.volume_per_injection is not None:
            _non_negative(area.volume_per_injection, f"{where}.volume_per_injection")
            area.volume_per_injection.require(
                Dimension.VOLUME, field=f"{where}.volume_per_injection"
            )
        if not technique.depth_min <= depth <= technique.depth_max:
            findings.append(
                Finding(
                    finding_code(FindingCode.DEPTH_OUTSIDE_TECHNIQUE, technique.code),
                    Severity.WARN,
                    f"{place}: a depth of {depth} is outside the {technique.depth_min} to "
                    f"{technique.depth_max} range of {_lower(technique.name)}. Check the "
                    "technique or the depth.",
                    technique.sources,
                )
            )
        if area.needle is None or not technique.uses_needle:
            continue
        if area.needle.gauge <= 0:
            raise ClinicalDataError(
                f"{place}: a needle gauge must be positive.", field=f"{where}.needle.gauge"
            )
        length = _length(area.needle.length, f"{where}.needle.length")
        # Compare with the longest needle the technique lists, not its depth: linear
        # retrograde threads a 13 mm needle flat under the skin to reach 2 mm.
        longest = max((n.length for n in technique.needles), default=None)
        if longest is not None and length > longest:
            findings.append(
                Finding(
                    finding_code(FindingCode.NEEDLE_TOO_LONG, technique.code),
                    Severity.WARN,
                    f"{place}: a {length} needle is longer than the {longest} the "
                    f"{_lower(technique.name)} technique uses; it may go deeper than intended.",
                    technique.sources,
                )
            )
        if depth > length:
            findings.append(
                Finding(
                    finding_code(FindingCode.DEPTH_EXCEEDS_NEEDLE, technique.code),
                    Severity.WARN,
                    f"{place}: a depth of {depth} cannot be reached with a {length} needle. "
                    "Check the needle or the depth.",
                    technique.sources,
                )
            )
    return findings


def _ingredient_rules(
    ctx: _Context,
    ingredient: Ingredient,
    products: Sequence[str | None],
    *,
    on_label: bool = False,
) -> list[Finding]:
    findings: list[Finding] = []
    code = ingredient.code
    label = _label(ctx, code, products)
    tags = set(ingredient.tags)

    allergic = sorted(a for a in ({*ingredient.allergens, code, *tags} & ctx.allergens.keys()))
    for allergen in allergic:
        caution = next((c for c in ingredient.cautions if c.fact == allergen), None)
        explanation = _sentence(caution.message) if caution is not None else ""
        # Cite what says this ingredient carries the allergen, not the ingredient's every source.
        behind = caution.sources if caution is not None else _fact_sources(ctx, allergen)
        findings.append(
            Finding(
                finding_code(FindingCode.ALLERGY, allergen, code),
                Severity.BLOCK,
                f"{ctx.phrase(allergen)}; {label} contains or cross-reacts with "
                f"{ctx.fact_name(allergen)} and must not be injected. {explanation}".rstrip(),
                (*ctx.patient_evidence(allergen), *behind),
            )
        )

    stronger = _stronger_rules(ctx, ingredient, label)
    said = {f.code.split(":")[1] for f in stronger}
    findings += stronger

    for caution in ingredient.cautions:
        if caution.fact not in ctx.facts or caution.fact in allergic or caution.fact in said:
            continue
        if _folded_into_bleeding(ctx, caution):
            continue
        if caution.fact == PREGNANCY and TAG_LIPOLYTIC in tags and ctx.pregnant:
            continue  # the pregnancy block below already rules it out
        severity = _severity(ctx, caution)
        if severity is Severity.BLOCK:
            lead = f"{label} must not be injected."
        elif severity is Severity.WARN:
            lead = f"take care with {label}."
        else:
            lead = f"a note on {label}."
        findings.append(
            Finding(
                finding_code(FindingCode.CAUTION, caution.fact, code),
                severity,
                f"{ctx.phrase(caution.fact)}; {lead} {_sentence(caution.message)}".rstrip(),
                (*ctx.patient_evidence(caution.fact), *caution.sources),
            )
        )

    for flag in ingredient.regulatory:
        if on_label and flag.code == "off-label":
            continue
        findings.append(
            Finding(
                finding_code(FindingCode.REGULATORY, flag.code, code),
                flag.severity,
                f"{_upper(label)}: {_sentence(flag.message)}",
                flag.sources,
            )
        )

    # REFERENCE §3's interaction rules speak for ingredients whose catalog entry has no
    # caution of its own on that medicine; where it has one, that caution already says it.
    cautioned = {c.fact for c in ingredient.cautions}

    if ctx.age is None:
        for caution in ingredient.cautions:
            derived = ctx.catalog.facts.get(caution.fact)
            if derived is None or derived.older_than is None:
                continue
            findings.append(
                Finding(
                    finding_code(FindingCode.AGE_CAUTION_UNKNOWN, code, caution.fact),
                    Severity.WARN,
                    f"The patient's age is not recorded; {label} has a caution for patients "
                    f"{_lower(derived.name)}. Record the date of birth or the age.",
                    caution.sources,
                )
            )

    if ctx.pregnant and TAG_LIPOLYTIC in tags:
        findings.append(
            Finding(
                finding_code(FindingCode.PREGNANCY_LIPOLYTIC, code),
                Severity.BLOCK,
                f"Patient is pregnant; {label}, a lipolytic drug, must not be injected in "
                "pregnancy.",
                (
                    *ctx.patient_evidence(PREGNANCY),
                    "S53e",
                    *_caution_sources(ingredient, PREGNANCY),
                ),
            )
        )
    if (
        POSSIBLE_PREGNANCY in ctx.facts
        and not ctx.pregnant
        and TAG_LIPOLYTIC in tags
        and POSSIBLE_PREGNANCY not in cautioned
    ):
        findings.append(
            Finding(
                finding_code(FindingCode.POSSIBLE_PREGNANCY_LIPOLYTIC, code),
                Severity.WARN,
                f"{ctx.phrase(POSSIBLE_PREGNANCY)}; {label} is a lipolytic drug. Confirm "
                "reliable contraception before a drug-based lipolytic course, or leave it out.",
                (*ctx.patient_evidence(POSSIBLE_PREGNANCY), "S53e"),
            )
        )

    limits = ingredient.label_limits
    if limits is not None and limits.min_age_years is not None:
        if ctx.age is None:
            findings.append(
                Finding(
                    finding_code(FindingCode.LABEL_AGE_UNKNOWN, code),
                    Severity.WARN,
                    f"The patient's age is not recorded; the {label} label is for patients aged "
                    f"{limits.min_age_years} or over. Record the date of birth.",
                    limits.sources,
                )
            )
        elif ctx.age < limits.min_age_years:
            findings.append(
                Finding(
                    finding_code(FindingCode.LABEL_MIN_AGE, code),
                    Severity.BLOCK,
                    f"Patient is {ctx.age}; the {label} label is for patients aged "
                    f"{limits.min_age_years} or over, so it must not be injected.",
                    limits.sources,
                )
            )

    if COUMARIN in ctx.facts and TAG_COUMARIN_INR in tags and COUMARIN not in cautioned:
        findings.append(
            Finding(
                finding_code(FindingCode.COUMARIN_INR, code),
                Severity.WARN,
                f"{ctx.phrase(COUMARIN)}; {label} can raise the INR with coumarins such as "
                "warfarin. Check the INR before and after the course and tell the "
                "anticoagulation clinic.",
                (*ctx.patient_evidence(COUMARIN), "S45a", "S49"),
            )
        )
    if ANTIDIABETIC in ctx.facts and TAG_HYPOGLYCAEMIA in tags and ANTIDIABETIC not in cautioned:
        findings.append(
            Finding(
                finding_code(FindingCode.HYPOGLYCAEMIA, code),
                Severity.WARN,
                f"{ctx.phrase(ANTIDIABETIC)}; {label} can cause hypoglycaemia with diabetes "
                "medicines. Ask about low blood sugar and check glucose if symptoms appear.",
                (*ctx.patient_evidence(ANTIDIABETIC), "S45a", "S49"),
            )
        )
    if THEOPHYLLINE in ctx.facts and TAG_XANTHINE in tags and THEOPHYLLINE not in cautioned:
        findings.append(
            Finding(
                finding_code(FindingCode.XANTHINE_THEOPHYLLINE, code),
                Severity.WARN,
                f"{ctx.phrase(THEOPHYLLINE)}; {label} is a xanthine too and their effects add "
                "up (seizures, arrhythmia). Avoid it or discuss with the prescriber.",
                (*ctx.patient_evidence(THEOPHYLLINE), "S41a", "S45b"),
            )
        )
    return findings


def _combination_rules(
    ctx: _Context, present: Mapping[str, Sequence[str | None]], *, general: bool
) -> list[Finding]:
    """Rules about the mix as a whole and the patient (REFERENCE §3 cross-cutting rules).

    ``general`` adds the warnings that hold for any injection whatever the ingredients
    (bleeding, pigmentation); they are left out when one ingredient is weighed on its own.
    """
    findings: list[Finding] = []
    ingredients = ctx.catalog.ingredients

    def tagged(tag: str) -> list[str]:
        return [c for c in present if tag in ingredients[c].tags]

    xanthines = tagged(TAG_XANTHINE)
    if len(xanthines) > 1:
        findings.append(
            Finding(
                FindingCode.DUPLICATE_XANTHINES,
                Severity.WARN,
                f"The cocktail combines {len(xanthines)} xanthines "
                f"({_labels(ctx, present, xanthines)}); their effects add up (seizures, "
                "arrhythmia). Keep to one.",
                ("S41a", "S45b"),
            )
        )

    beta = tagged(TAG_BETA_AGONIST)
    adrenaline = [
        c for c in present if c == ADRENALINE_TAG or ADRENALINE_TAG in ingredients[c].tags
    ]
    if beta and adrenaline:
        findings.append(
            Finding(
                FindingCode.BETA_AGONIST_ADRENALINE,
                Severity.WARN,
                f"The cocktail combines {_labels(ctx, present, beta)}, a beta-agonist, with "
                f"{_labels(ctx, present, adrenaline)}; together they can cause arrhythmia. "
                "Leave one of them out.",
                ("S43",),
            )
        )

    bleeding = [f for f in BLEEDING_FACTS if f in ctx.facts]
    # The ingredients' own bleeding cautions are folded into this one finding, so the
    # practitioner weighs (and overrides) the bleeding risk once, with every detail in view.
    details: dict[str, list[str]] = {}
    detail_sources: list[str] = []
    for code in present:
        for caution in ingredients[code].cautions:
            if caution.fact in ctx.facts and _folded_into_bleeding(ctx, caution):
                said = details.setdefault(_upper(_label(ctx, code, present[code])), [])
                if _sentence(caution.message) not in said:
                    said.append(_sentence(caution.message))
                detail_sources.extend(caution.sources)
    detail_text = "".join(f" {name}: {' '.join(said)}" for name, said in details.items())
    strong = tagged(TAG_BLEEDING_STRONG)
    if bleeding and (general or strong or details):
        who = _patient_list(ctx, bleeding)
        evidence = (*ctx.patient_evidence(*bleeding), "S12", "S39", "S45a", "S47", "S52a")
        evidence = tuple(dict.fromkeys((*evidence, *detail_sources)))
        advice = " Press after each injection, and do not stop the medicine without the prescriber."
        if strong:
            findings.append(
                Finding(
                    FindingCode.BLEEDING_RISK_STRONG,
                    Severity.WARN,
                    f"{who}; {_labels(ctx, present, strong)} "
                    f"{'carry' if len(strong) > 1 else 'carries'} a high risk of bruising "
                    f"and bleeding on top of that, so weigh whether to go ahead.{advice}"
                    f"{detail_text}",
                    evidence,
                )
            )
        else:
            findings.append(
                Finding(
                    FindingCode.BLEEDING_RISK,
                    Severity.WARN,
                    f"{who}; every injection can bruise or bleed more than usual.{advice}"
                    f"{detail_text}",
                    evidence,
                )
            )

    skin = ctx.patient.fitzpatrick
    if skin is not None and skin >= ctx.settings.fitzpatrick_threshold:
        pigment = tagged(TAG_PIGMENTATION)
        lead = f"Patient has Fitzpatrick skin type {_ROMAN[skin]}"
        if pigment:
            findings.append(
                Finding(
                    FindingCode.PIGMENTATION_RISK_STRONG,
                    Severity.WARN,
                    f"{lead}; post-inflammatory hyperpigmentation is more likely, and "
                    f"{_labels(ctx, present, pigment)} {'have' if len(pigment) > 1 else 'has'} "
                    "itself been linked to pigmentation. "
                    "Discuss the risk and consider leaving it out.",
                    ("patient:fitzpatrick", "S20", "S53e", "S57"),
                )
            )
        elif general:
            findings.append(
                Finding(
                    FindingCode.PIGMENTATION_RISK,
                    Severity.WARN,
                    f"{lead}; post-inflammatory hyperpigmentation is more likely after "
                    "injections. Discuss the risk and advise sun protection.",
                    ("patient:fitzpatrick", "S53e", "S57"),
                )
            )
    return findings


def _label_limit_rules(
    ctx: _Context,
    proposal: TreatmentProposal,
    doses: Sequence[IngredientDose],
    present: Mapping[str, Sequence[str | None]],
) -> list[Finding]:
    """Regulator label limits read from the catalog (deoxycholic acid: REFERENCE §1.2)."""
    findings: list[Finding] = []
    for code, products in present.items():
        limits = ctx.catalog.ingredients[code].label_limits
        if limits is None:
            continue
        label = _label(ctx, code, products)
        evidence = limits.sources
        missing: list[str] = []

        if limits.max_volume_per_injection is not None:
            cap = limits.max_volume_per_injection
            given = [
                (a.area, a.volume_per_injection)
                for a in proposal.areas
                if a.volume_per_injection is not None
            ]
            if not given:
                missing.append(f"the volume per injection (label maximum {cap})")
            for place, per_injection in given:
                if per_injection > cap:
                    findings.append(
                        Finding(
                            finding_code(FindingCode.LABEL_VOLUME_PER_INJECTION, code),
                            Severity.BLOCK,
                            f"{place}: {per_injection} per injection of {label} "
                            f"is above the label maximum of {cap} per injection.",
                            evidence,
                        )
                    )

        lines = sorted({d.line for d in doses if d.ingredient == code})
        if limits.max_volume_per_session is not None:
            cap = limits.max_volume_per_session
            volume = _session_volume(proposal, lines)
            if volume is None:
                missing.append(f"the volume for the session (label maximum {cap})")
            elif volume > cap:
                findings.append(
                    Finding(
                        finding_code(FindingCode.LABEL_VOLUME_PER_SESSION, code),
                        Severity.BLOCK,
                        f"The session would use {volume} of {label}, above the label maximum "
                        f"of {cap} per session.",
                        evidence,
                    )
                )

        if limits.max_mass_per_session is not None:
            cap = limits.max_mass_per_session
            masses = [d.mass for d in doses if d.ingredient == code and d.mass is not None]
            if masses:
                total = masses[0]
                for mass in masses[1:]:
                    total = total + mass
                if total > cap:
                    findings.append(
                        Finding(
                            finding_code(FindingCode.LABEL_MASS_PER_SESSION, code),
                            Severity.BLOCK,
                            f"The session would give {total} of {label}, above the label "
                            f"maximum of {cap} per session.",
                            evidence,
                        )
                    )

        findings += _history_rules(ctx, code, label, proposal.date)
        if missing:
            findings.append(
                Finding(
                    finding_code(FindingCode.LABEL_CHECK_INCOMPLETE, code),
                    Severity.WARN,
                    f"Record {_join(missing)} so the label limits for {label} can be checked.",
                    evidence,
                )
            )
    return findings


def _history_rules(ctx: _Context, code: str, label: str, on: dt.date) -> list[Finding]:
    """The label's session count and interval for ``code``, against the earlier sessions.

    Sessions are calendar dates, so the interval is a whole number of days: a clock
    change between two sessions cannot shorten or lengthen it.
    """
    limits = ctx.catalog.ingredients[code].label_limits
    if limits is None:
        return []
    evidence = limits.sources
    findings: list[Finding] = []
    earlier = _earlier_dates_with(ctx, code)
    if limits.max_sessions is not None and len(earlier) + 1 > limits.max_sessions:
        findings.append(
            Finding(
                finding_code(FindingCode.LABEL_MAX_SESSIONS, code),
                Severity.BLOCK,
                f"This would be session {len(earlier) + 1} with {label}; the label allows "
                f"at most {limits.max_sessions} sessions (earlier: "
                f"{_join([d.isoformat() for d in earlier])}).",
                evidence,
            )
        )
    if limits.min_interval_days is not None and earlier:
        last = earlier[-1]
        gap = (on - last).days
        if gap < limits.min_interval_days:
            allowed = last + dt.timedelta(days=limits.min_interval_days)
            findings.append(
                Finding(
                    finding_code(FindingCode.LABEL_INTERVAL, code),
                    Severity.BLOCK,
                    f"The last session with {label} was on {last.isoformat()}, {gap} days "
                    f"before this one; the label requires at least {limits.min_interval_days}"
                    f" days between sessions, so the earliest date is {allowed.isoformat()}.",
                    evidence,
                )
            )
    return findings


def _session_volume(proposal: TreatmentProposal, lines: Sequence[int]) -> Quantity | None:
    """The volume of solution carrying the ingredient: its cocktail lines, else the areas."""
    volumes = [proposal.cocktail[i].volume for i in lines]
    known = [v for v in volumes if v is not None]
    if known and len(known) == len(volumes):
        return _sum(known)
    planned = [
        Quantity(a.volume_per_injection.value * a.injections, a.volume_per_injection.unit)
        for a in proposal.areas
        if a.volume_per_injection is not None and a.injections is not None
    ]
    if proposal.areas and len(planned) == len(proposal.areas):
        return _sum(planned)
    return _sum(known) if known else None


def _earlier_dates_with(ctx: _Context, code: str) -> list[dt.date]:
    dates = []
    for index, session in enumerate(ctx.patient.earlier_sessions):
        where = f"patient.earlier_sessions[{index}].ingredients"
        doses = expand_cocktail(session.ingredients, catalog=ctx.catalog, field=where)
        if any(d.ingredient == code for d in doses):
            dates.append(session.date)
    return sorted(dates)


def _protocol_rules(
    ctx: _Context, proposal: TreatmentProposal, indication: Indication
) -> list[Finding]:
    if proposal.protocol is None:
        return []
    protocol = require(ctx.catalog.protocols, proposal.protocol, what="protocol", field="protocol")
    findings: list[Finding] = []
    evidence = (f"protocol:{protocol.code}", *protocol.sources)
    if protocol.indications and indication.code not in protocol.indications:
        findings.append(
            Finding(
                FindingCode.PROTOCOL_OTHER_INDICATION,
                Severity.INFO,
                f"{protocol.name} is written for {_join(protocol.indications)}, not "
                f"{_lower(indication.name)}.",
                evidence,
            )
        )
    earlier = sorted(s.date for s in ctx.patient.earlier_sessions if s.protocol == protocol.code)
    number = len(earlier) + 1
    rhythm = rhythm_for_session(protocol, number)
    if rhythm is None:
        findings.append(
            Finding(
                FindingCode.PROTOCOL_SESSIONS_EXCEEDED,
                Severity.WARN,
                f"This would be session {number} of {protocol.name}, which plans at most "
                f"{max_sessions(protocol)} sessions.",
                evidence,
            )
        )
        return findings
    if earlier:
        last = earlier[-1]
        gap = (proposal.date - last).days
        if gap < rhythm.interval_min_days:
            allowed = last + dt.timedelta(days=rhythm.interval_min_days)
            findings.append(
                Finding(
                    FindingCode.INTERVAL_TOO_SHORT,
                    Severity.WARN,
                    f"The last {protocol.name} session was on {last.isoformat()}, {gap} days "
                    f"before this one; session {number} ({rhythm.phase}) should be at least "
                    f"{rhythm.interval_min_days} days later, from {allowed.isoformat()}.",
                    evidence,
                )
            )
    return findings


def _fact_sources(ctx: _Context, code: str) -> tuple[str, ...]:
    fact = ctx.catalog.facts.get(code)
    return fact.sources if fact is not None else ()


def _caution_sources(ingredient: Ingredient, fact: str) -> tuple[str, ...]:
    return next((c.sources for c in ingredient.cautions if c.fact == fact), ())


def _severity(ctx: _Context, caution: Caution) -> Severity:
    if caution.configurable:
        return ctx.settings.caution_severity.get(caution.fact, caution.severity)
    return caution.severity


def _folded_into_bleeding(ctx: _Context, caution: Caution) -> bool:
    """A bleeding caution short of a block is said in the bleeding finding instead."""
    return caution.fact in BLEEDING_FACTS and _severity(ctx, caution) is not Severity.BLOCK


def _patient_list(ctx: _Context, codes: Sequence[str]) -> str:
    """'Patient takes a coumarin and a fish-oil supplement and has a bleeding disorder'."""
    origins = list(dict.fromkeys(ctx.facts.get(c, c) for c in codes))
    takes = [ctx.fact_name(o) for o in origins if _kind(ctx, o) is FactKind.MEDICATION]
    others = [_predicate(ctx, o) for o in origins if _kind(ctx, o) is not FactKind.MEDICATION]
    parts = [f"takes {_join(takes)}"] if takes else []
    return "Patient " + _join([*parts, *others])


def _predicate(ctx: _Context, code: str) -> str:
    """What follows 'Patient': 'is allergic to soya', 'takes aspirin', 'has diabetes'."""
    fact = ctx.catalog.facts.get(code)
    name = ctx.fact_name(code)
    if fact is None:
        return f"has {name}"
    if fact.kind is FactKind.ALLERGEN:
        raw = _lower(fact.name)
        return f"is allergic to {name}" if raw.endswith(_ALLERGY_SUFFIX) else f"has {name}"
    if fact.kind is FactKind.MEDICATION:
        return f"takes {name}"
    if fact.older_than is not None:
        return f"is {ctx.age}" if ctx.age is not None else f"is {name}"
    if name.startswith("may "):  # "may become pregnant"
        return name
    return f"has {name}"


def _with_article(name: str, *, always: bool = False) -> str:
    head = name.split(" (", 1)[0].split()
    if not head or not (always or head[-1].lower() in _COUNTABLE):
        return name
    return ("an " if head[0][0].lower() in "aeiou" else "a ") + name


def _kind(ctx: _Context, code: str) -> FactKind:
    fact = ctx.catalog.facts.get(code)
    return fact.kind if fact else FactKind.CONDITION


def _length(value: Quantity, field: str) -> Quantity:
    _non_negative(value, field)
    return value.require(Dimension.LENGTH, field=field)


def _non_negative(value: Quantity, field: str) -> None:
    if value.value < 0:
        raise ClinicalDataError(f"{field}: {value} cannot be negative.", field=field)


def _sum(values: Sequence[Quantity]) -> Quantity:
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _lower(name: str) -> str:
    """Lower-case a name's first letter unless it is an acronym or like 'L-carnitine'."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    return _upper(text) if text[-1] in ".!?" else _upper(text) + "."
