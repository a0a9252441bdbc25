"""The packaged catalog against REFERENCE.md, class by class rather than example by example.

§4's table of general contraindications is written out below as the reference states it;
each test walks every row, so demoting a condition in the catalog, or adding a condition
without a class, fails here. §3's age cautions, the no-mixing label, suggestions, clock
changes and the sources each finding cites are walked the same way.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pistor.clinical.catalog import load_catalog
from pistor.clinical.catalog.types import ContraindicationClass, FactKind, Severity
from pistor.clinical.cocktails import suggest
from pistor.clinical.codes import FindingCode, GateReason, finding_code
from pistor.clinical.gates import (
    AllergyTestFacts,
    BatchFacts,
    ConsentFacts,
    can_start_session,
)
from pistor.clinical.protocols import check_adherence
from pistor.clinical.safety import (
    AreaPlan,
    CocktailLine,
    EarlierSession,
    PatientFacts,
    Screening,
    ScreeningSettings,
    TreatmentProposal,
    screen,
    screen_ingredient,
)
from pistor.clinical.units import Quantity

CAT = load_catalog()
TODAY = date(2027, 3, 1)
ADULT = PatientFacts(birth_date=date(1985, 6, 1))
FACE = AreaPlan("face", "nappage", Quantity.of("2", "mm"))


def proposal(
    *codes: str, indication: str = "skin-rejuvenation", on: date = TODAY
) -> TreatmentProposal:
    return TreatmentProposal(indication, (FACE,), tuple(CocktailLine(c) for c in codes), on)


VITAMINS = proposal("vitamins")

# REFERENCE §4, row by row: the catalog facts each row covers.
ABSOLUTE_ROWS: dict[str, tuple[str, ...]] = {
    "active infection or inflammation at the injection site (herpes, acne flare, open "
    "wounds, eczema)": (
        "infection-at-site",
        "herpes-active",
        "acne-flare",
        "open-wound",
        "eczema-at-site",
    ),
    "pregnancy (elective aesthetic use)": ("pregnancy",),
    "breastfeeding (absolute/relative)": ("breastfeeding",),
    "bleeding disorders, coagulopathy, thrombocytopenia (absolute/relative)": (
        "bleeding-disorder",
        "thrombocytopenia",
        "platelet-dysfunction",
    ),
    "active cancer (absolute/relative)": ("active-cancer",),
}
DISPUTED_ABSOLUTE = {"breastfeeding", "bleeding-disorder", "active-cancer"}
RELATIVE_ROWS: dict[str, tuple[str, ...]] = {
    "women of child-bearing potential without contraception": ("possible-pregnancy",),
    "anticoagulant / antiplatelet therapy": (
        "anticoagulant",
        "coumarin",
        "doac",
        "heparin",
        "antiplatelet",
        "aspirin",
    ),
    "diabetes": ("diabetes",),
    "autoimmune / connective-tissue disease, immunosuppression": (
        "autoimmune-disease",
        "autoimmune-thyroid-disease",
        "immunosuppression",
    ),
    "cardiac disease, severe hypertension": (
        "cardiac-arrhythmia",
        "ischaemic-heart-disease",
        "angina",
        "recent-myocardial-infarction",
        "heart-failure",
        "hypertension",
    ),
    "history of stroke / cerebral haemorrhage": ("recent-cerebral-haemorrhage",),
    "epilepsy / seizure history": ("epilepsy",),
    "hyperthyroidism": ("hyperthyroidism",),
    "gallstones, bile-duct obstruction": ("gallstones", "bile-duct-obstruction"),
    "severe renal or hepatic impairment": ("severe-renal-impairment", "severe-liver-disease"),
    "keloid / hypertrophic scar tendency": ("keloid-tendency",),
    "unrealistic expectations, body dysmorphic concerns": ("body-dysmorphic-concern",),
}
# REFERENCE §7.4: the medicines the consultation checklist asks about.
CHECKLIST_MEDICINES = (
    "anticoagulant",
    "antiplatelet",
    "nsaid",
    "ginkgo-supplement",
    "fish-oil",
    "vitamin-e-supplement",
    "theophylline",
    "coumarin",
    "antidiabetic",
    "immunosuppressant",
    "isotretinoin",
)
DEFER_ROWS = ("acute-illness",)


def patient_with(code: str, base: PatientFacts = ADULT) -> PatientFacts:
    if code == "pregnancy":
        return replace(base, pregnant=True)
    if code == "breastfeeding":
        return replace(base, breastfeeding=True)
    kind = CAT.facts[code].kind
    if kind is FactKind.MEDICATION:
        return replace(base, medications=frozenset({code}))
    return replace(base, conditions=frozenset({code}))


def about(screening: Screening, code: str, severity: Severity) -> list[str]:
    """Messages of findings at ``severity`` resting on the patient's ``code``."""
    return [
        f.message
        for f in screening.findings
        if f.severity is severity and f"patient:{code}" in f.evidence
    ]


def classes(code: str) -> set[ContraindicationClass]:
    """The §4 classes a fact carries, its own and those of the broader facts it implies."""
    found: set[ContraindicationClass] = set()
    stack = [code]
    while stack:
        fact = CAT.facts[stack.pop()]
        if fact.contraindication is not None:
            found.add(fact.contraindication.klass)
        stack.extend(fact.implies)
    return found


def narrowing(code: str) -> tuple[str, ...] | None:
    """The ingredients a fact is narrowed to, its own or a broader fact's it implies."""
    stack = [code]
    while stack:
        fact = CAT.facts[stack.pop()]
        if fact.narrowing is not None:
            assert fact.narrowing.sources, fact.code
            return fact.narrowing.ingredients
        stack.extend(fact.implies)
    return None


ABSOLUTE = sorted({c for codes in ABSOLUTE_ROWS.values() for c in codes})
RELATIVE = sorted({c for codes in RELATIVE_ROWS.values() for c in codes} | set(CHECKLIST_MEDICINES))


# ------------------------------------------------------------------ §4 absolute


def test_the_catalog_classes_every_absolute_row_absolute() -> None:
    for code in ABSOLUTE:
        assert ContraindicationClass.ABSOLUTE in classes(code), code


def test_every_condition_and_medicine_has_a_class_or_a_sourced_narrowing() -> None:
    for fact in CAT.facts.values():
        if fact.kind is FactKind.ALLERGEN:
            continue
        assert classes(fact.code) or narrowing(fact.code), fact.code


@pytest.mark.parametrize("code", ABSOLUTE)
def test_each_absolute_condition_blocks_a_vitamins_only_cocktail(code: str) -> None:
    screening = screen(patient_with(code), VITAMINS, today=TODAY, catalog=CAT)
    assert screening.blocked
    assert about(screening, code, Severity.BLOCK), screening.findings


@pytest.mark.parametrize("code", ABSOLUTE_ROWS[next(iter(ABSOLUTE_ROWS))])
def test_infection_at_the_site_blocks_pain_treatment_too(code: str) -> None:
    pain = proposal("procaine", indication="musculoskeletal-pain")
    screening = screen(patient_with(code), pain, today=TODAY, catalog=CAT)
    assert about(screening, code, Severity.BLOCK)
    assert finding_code(FindingCode.CONTRAINDICATION, "infection-at-site") in screening.codes


def test_under_18_blocks_a_vitamins_only_cocktail() -> None:
    teen = PatientFacts(birth_date=date(2010, 6, 1))
    screening = screen(teen, VITAMINS, today=TODAY, catalog=CAT)
    assert FindingCode.UNDER_18 in screening.codes and screening.blocked


@pytest.mark.parametrize(
    ("allergen", "product"),
    sorted(
        (allergen, product.code)
        for product in CAT.products.values()
        for component in product.composition
        for allergen in CAT.ingredients[component.ingredient].allergens
    ),
)
def test_an_allergy_blocks_every_product_that_carries_the_allergen(
    allergen: str, product: str
) -> None:
    patient = replace(ADULT, allergens=frozenset({allergen}))
    assert screen_ingredient(patient, product, today=TODAY, catalog=CAT).blocked


@pytest.mark.parametrize("code", sorted(DISPUTED_ABSOLUTE))
def test_a_clinic_may_soften_a_disputed_absolute_class(code: str) -> None:
    assert CAT.facts[code].contraindication is not None
    assert CAT.facts[code].contraindication.disputed  # type: ignore[union-attr]
    softer = ScreeningSettings(caution_severity={code: Severity.WARN})
    screening = screen(patient_with(code), VITAMINS, today=TODAY, catalog=CAT, settings=softer)
    assert not screening.blocked
    assert about(screening, code, Severity.WARN)


def test_a_clinic_cannot_soften_an_undisputed_absolute_class() -> None:
    softer = ScreeningSettings(caution_severity={"infection-at-site": Severity.INFO})
    patient = patient_with("infection-at-site")
    assert screen(patient, VITAMINS, today=TODAY, catalog=CAT, settings=softer).blocked


@pytest.mark.parametrize("code", DEFER_ROWS)
def test_a_condition_to_defer_for_blocks_today(code: str) -> None:
    screening = screen(patient_with(code), VITAMINS, today=TODAY, catalog=CAT)
    assert about(screening, code, Severity.BLOCK)


# ------------------------------------------------------------------ §4 relative


@pytest.mark.parametrize("code", RELATIVE)
def test_each_relative_row_warns_for_any_injection_or_is_narrowed_with_a_source(
    code: str,
) -> None:
    patient = patient_with(code)
    named = narrowing(code)
    if named is None:
        assert ContraindicationClass.RELATIVE in classes(code), code
        screening = screen(patient, VITAMINS, today=TODAY, catalog=CAT)
        messages = about(screening, code, Severity.WARN)
        assert messages, screening.findings
        name = CAT.facts[code].name.lower().split(" (")[0]
        assert any(name in m.lower() for m in messages), (name, messages)
        return
    for ingredient in named:
        alone = screen_ingredient(patient, ingredient, today=TODAY, catalog=CAT)
        assert any(f"patient:{code}" in f.evidence for f in alone.findings), (code, ingredient)


def test_a_narrowed_condition_leaves_injections_without_those_ingredients_alone() -> None:
    screening = screen(patient_with("gallstones"), VITAMINS, today=TODAY, catalog=CAT)
    assert not any("patient:gallstones" in f.evidence for f in screening.findings)


# ------------------------------------------------------------------ no mixing


def test_a_product_whose_label_forbids_mixing_warns_when_it_shares_the_cocktail() -> None:
    label = [p.code for p in CAT.products.values() if p.no_mixing_sources]
    assert "kybella" in label
    for product in label:
        alone = screen(
            ADULT, proposal(product, indication="submental-fat"), today=TODAY, catalog=CAT
        )
        assert finding_code(FindingCode.NO_MIXING, product) not in alone.codes
        mixed = proposal(product, "lidocaine-1", indication="submental-fat")
        screening = screen(ADULT, mixed, today=TODAY, catalog=CAT)
        finding = next(
            f for f in screening.findings if f.code == finding_code(FindingCode.NO_MIXING, product)
        )
        assert finding.severity is Severity.WARN and "Lidocaine" in finding.message


# ------------------------------------------------------------------ §3 age cautions

AGE_CAUTIONS = sorted(
    (fact.code, fact.older_than, ingredient.code)
    for fact in CAT.facts.values()
    if fact.older_than is not None
    for ingredient in CAT.ingredients.values()
    if any(c.fact == fact.code for c in ingredient.cautions)
)


def test_the_label_age_cautions_are_in_the_catalog() -> None:
    assert ("aged-over-55", 55, "aminophylline") in AGE_CAUTIONS
    assert {i for f, _, i in AGE_CAUTIONS if f == "elderly"} >= {"isoproterenol", "lidocaine"}


@pytest.mark.parametrize(("fact", "older_than", "ingredient"), AGE_CAUTIONS)
def test_age_cautions_apply_from_a_birth_date_or_from_years(
    fact: str, older_than: int, ingredient: str
) -> None:
    code = finding_code(FindingCode.CAUTION, fact, ingredient)
    over, at = older_than + 1, older_than
    # A birthday the day after the treatment: still ``older_than`` on the day.
    born_at = date(TODAY.year - older_than - 1, TODAY.month, TODAY.day + 1)
    born_over = date(TODAY.year - over, TODAY.month, TODAY.day)
    cases = [
        (PatientFacts(age_years=over), True),
        (PatientFacts(age_years=at), False),
        (PatientFacts(birth_date=born_over), True),
        (PatientFacts(birth_date=born_at), False),
    ]
    for patient, fires in cases:
        codes = screen_ingredient(patient, ingredient, today=TODAY, catalog=CAT).codes
        assert (code in codes) is fires, (patient, codes)
    unknown = screen_ingredient(PatientFacts(), ingredient, today=TODAY, catalog=CAT)
    assert finding_code(FindingCode.AGE_CAUTION_UNKNOWN, ingredient, fact) in unknown.codes


def test_an_age_caution_names_the_age() -> None:
    found = screen_ingredient(PatientFacts(age_years=60), "aminophylline", today=TODAY, catalog=CAT)
    caution = next(
        f
        for f in found.findings
        if f.code == finding_code(FindingCode.CAUTION, "aged-over-55", "aminophylline")
    )
    assert caution.message.startswith("Patient is 60;")


# ------------------------------------------------------------------ suggestions


def test_a_16_year_old_gets_no_unflagged_hair_loss_suggestion() -> None:
    teen = PatientFacts(birth_date=date(2010, 9, 1), sex="male")
    result = suggest("hair-loss", teen, today=TODAY, catalog=CAT)
    assert result
    for suggestion in result:
        assert suggestion.excluded, suggestion
        assert any("under 18" in reason for reason in suggestion.reasons)


def test_biotin_is_not_an_anti_androgen() -> None:
    family = next(
        f for f in CAT.indications["hair-loss"].cocktail_families if f.name == "anti-androgen"
    )
    assert "biotin" not in family.ingredients
    assert all(
        CAT.ingredients[c].classes == CAT.ingredients["dutasteride"].classes
        for c in family.ingredients
    )


CONDITIONS = sorted(
    c for c, f in CAT.facts.items() if f.kind is FactKind.CONDITION and f.older_than is None
)
MEDICINES = sorted(c for c, f in CAT.facts.items() if f.kind is FactKind.MEDICATION)
ALLERGENS = sorted(c for c, f in CAT.facts.items() if f.kind is FactKind.ALLERGEN)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    indication=st.sampled_from(sorted(CAT.indications)),
    age=st.one_of(st.none(), st.integers(min_value=10, max_value=90)),
    conditions=st.frozensets(st.sampled_from(CONDITIONS), max_size=3),
    medicines=st.frozensets(st.sampled_from(MEDICINES), max_size=2),
    allergens=st.frozensets(st.sampled_from(ALLERGENS), max_size=2),
    pregnant=st.booleans(),
)
def test_what_the_screen_blocks_is_never_suggested_unflagged(
    indication: str,
    age: int | None,
    conditions: frozenset[str],
    medicines: frozenset[str],
    allergens: frozenset[str],
    pregnant: bool,
) -> None:
    patient = PatientFacts(
        age_years=age,
        conditions=conditions,
        medications=medicines,
        allergens=allergens,
        pregnant=pregnant,
    )
    for suggestion in suggest(indication, patient, today=TODAY, catalog=CAT):
        alone = proposal(suggestion.ingredient_code, indication=indication)
        if screen(patient, alone, today=TODAY, catalog=CAT).blocked:
            assert suggestion.excluded, suggestion


def test_suggestions_respect_the_label_session_count_from_earlier_sessions() -> None:
    earlier = tuple(
        EarlierSession(TODAY - timedelta(days=40 * n), (CocktailLine("deoxycholic-acid"),))
        for n in range(1, 7)
    )
    patient = replace(ADULT, earlier_sessions=earlier)
    result = suggest("submental-fat", patient, today=TODAY, catalog=CAT)
    deoxycholic = [s for s in result if s.ingredient_code in {"deoxycholic-acid", "kybella"}]
    assert deoxycholic and all(s.excluded for s in deoxycholic)


# ------------------------------------------------------------------ clock changes

LONDON = ZoneInfo("Europe/London")
PRODUCT = "redensity-1"


def read_window(placed: datetime, read: datetime) -> list[str]:
    decision = can_start_session(
        consent=ConsentFacts(placed - timedelta(days=2), frozenset({"plan"}), withdrawn=False),
        plan_code="plan",
        products_used=[PRODUCT],
        allergy_tests=[AllergyTestFacts(frozenset({PRODUCT}), placed, read, "negative")],
        screening=Screening(()),
        override=None,
        batches=[BatchFacts(PRODUCT, "LOT", date(2028, 1, 1), 5)],  # type: ignore[arg-type]
        now=read + timedelta(minutes=5),
    )
    return [r.code for r in decision.reasons]


def test_the_read_window_counts_real_hours_across_the_spring_change() -> None:
    # Clocks go forward at 01:00 GMT on 28 March 2027: that day is 23 hours long.
    placed = datetime(2027, 3, 27, 12, 0, tzinfo=LONDON)
    same_wall_clock = datetime(2027, 3, 28, 12, 0, tzinfo=LONDON)  # 23 real hours
    assert same_wall_clock.astimezone(UTC) - placed.astimezone(UTC) == timedelta(hours=23)
    assert read_window(placed, same_wall_clock) == [GateReason.ALLERGY_TEST_READ_TOO_EARLY]
    assert read_window(placed, datetime(2027, 3, 28, 13, 0, tzinfo=LONDON)) == []


def test_the_read_window_counts_real_hours_across_the_autumn_change() -> None:
    # Clocks go back at 01:00 GMT on 31 October 2027: that day is 25 hours long.
    placed = datetime(2027, 10, 30, 12, 0, tzinfo=LONDON)
    assert read_window(placed, datetime(2027, 10, 31, 11, 0, tzinfo=LONDON)) == []  # 24 h
    early = datetime(2027, 10, 31, 10, 59, tzinfo=LONDON)  # 23 h 59 min
    assert read_window(placed, early) == [GateReason.ALLERGY_TEST_READ_TOO_EARLY]


def test_the_time_to_read_again_is_given_on_the_clinics_clock() -> None:
    placed = datetime(2027, 3, 27, 12, 0, tzinfo=LONDON)
    decision = can_start_session(
        consent=ConsentFacts(placed - timedelta(days=2), frozenset({"plan"}), withdrawn=False),
        plan_code="plan",
        products_used=[PRODUCT],
        allergy_tests=[
            AllergyTestFacts(
                frozenset({PRODUCT}),
                placed,
                datetime(2027, 3, 28, 12, 0, tzinfo=LONDON),
                "negative",
            )
        ],
        screening=Screening(()),
        override=None,
        batches=[BatchFacts(PRODUCT, "LOT", date(2028, 1, 1), 5)],  # type: ignore[arg-type]
        now=datetime(2027, 3, 28, 12, 5, tzinfo=LONDON),
    )
    assert "2027-03-28T13:00:00+01:00" in decision.reasons[0].unblock


@pytest.mark.parametrize(
    ("last", "on"),
    [
        (date(2027, 3, 1), date(2027, 3, 31)),  # spans the spring change
        (date(2027, 10, 15), date(2027, 11, 14)),  # spans the autumn change
    ],
)
def test_label_and_protocol_intervals_count_days_across_clock_changes(last: date, on: date) -> None:
    patient = replace(
        ADULT,
        earlier_sessions=(
            EarlierSession(last, (CocktailLine("kybella"),), "deoxycholic-acid-label"),
        ),
    )
    code = finding_code(FindingCode.LABEL_INTERVAL, "deoxycholic-acid")
    assert (
        code
        not in screen(
            patient, proposal("kybella", indication="submental-fat", on=on), today=on, catalog=CAT
        ).codes
    )
    day_early = on - timedelta(days=1)
    early = screen(
        patient,
        proposal("kybella", indication="submental-fat", on=day_early),
        today=day_early,
        catalog=CAT,
    )
    assert code in early.codes
    protocol = CAT.protocols["deoxycholic-acid-label"]
    gap = protocol.phases[0].interval_min_days
    assert not any(
        f.code == FindingCode.INTERVAL_TOO_SHORT
        for f in check_adherence(protocol, [last, last + timedelta(days=gap)])
    )
    assert any(
        f.code == FindingCode.INTERVAL_TOO_SHORT
        for f in check_adherence(protocol, [last, last + timedelta(days=gap - 1)])
    )


# ------------------------------------------------------------------ sources


def test_age_not_recorded_cites_only_the_under_18_sources() -> None:
    screening = screen(
        PatientFacts(), proposal("vitamins", indication="cellulite"), today=TODAY, catalog=CAT
    )
    finding = next(f for f in screening.findings if f.code == FindingCode.AGE_UNKNOWN)
    assert finding.evidence == ("S61f", "S61g")


def test_an_allergy_cites_what_says_the_ingredient_carries_the_allergen() -> None:
    patient = replace(ADULT, allergens=frozenset({"soy"}))
    found = screen_ingredient(patient, "phosphatidylcholine", today=TODAY, catalog=CAT)
    allergy = next(f for f in found.findings if f.code.startswith(FindingCode.ALLERGY))
    tags = {t for t in allergy.evidence if not t.startswith("patient:")}
    assert tags <= {"S27", "S28", "S19"}, tags


@pytest.mark.parametrize("indication", sorted(CAT.indications))
def test_no_finding_cites_a_code_table_or_more_than_its_rule(indication: str) -> None:
    patient = PatientFacts(
        conditions=frozenset({"epilepsy", "diabetes", "keloid-tendency"}),
        medications=frozenset({"coumarin", "isotretinoin"}),
        allergens=frozenset({"soy"}),
        fitzpatrick=5,
    )
    codes = [c for f in CAT.indications[indication].cocktail_families for c in f.ingredients][:4]
    screening = screen(patient, proposal(*codes, indication=indication), today=TODAY, catalog=CAT)
    for finding in screening.findings:
        tags = [t for t in finding.evidence if not t.startswith(("patient:", "protocol:"))]
        assert not any(t.startswith("S60") for t in tags), finding
        assert len(tags) <= 8, finding


def test_source_titles_name_the_source_not_how_it_was_found() -> None:
    for source in CAT.sources.values():
        assert "find_string" not in source.title and "GitHub" not in source.title, source
    for tag in ("S60i", "S61i", "S61j"):
        assert CAT.sources[tag].urls, tag


# ------------------------------------------------------------------ codes


@pytest.mark.parametrize("indication", sorted(CAT.indications))
def test_every_finding_code_is_a_declared_kind(indication: str) -> None:
    kinds = {k.value for k in FindingCode}
    patient = PatientFacts(
        age_years=16,
        conditions=frozenset({"infection-at-site", "hyperthyroidism"}),
        medications=frozenset({"theophylline", "aspirin"}),
        allergens=frozenset({"xanthine"}),
        breastfeeding=True,
    )
    codes = [c for f in CAT.indications[indication].cocktail_families for c in f.ingredients]
    screening = screen(patient, proposal(*codes, indication=indication), today=TODAY, catalog=CAT)
    assert screening.findings
    for finding in screening.findings:
        assert finding.kind in kinds, finding.code


# ------------------------------------------------------------------ §4 "absolute for ..."

STRONGER = sorted(
    (fact.code, ingredient.code)
    for fact in CAT.facts.values()
    if fact.contraindication is not None and fact.contraindication.stronger is not None
    for ingredient in CAT.ingredients.values()
    if set(fact.contraindication.stronger.tags) & set(ingredient.tags)
    or ingredient.code in fact.contraindication.stronger.ingredients
)


def test_heart_disease_and_seizures_are_stronger_for_the_cocktails_section_4_names() -> None:
    facts = {f for f, _ in STRONGER}
    assert {"cardiac-arrhythmia", "ischaemic-heart-disease", "heart-failure", "epilepsy"} <= facts
    assert ("heart-failure", "aminophylline") in STRONGER
    assert ("ischaemic-heart-disease", "isoproterenol") in STRONGER
    assert ("epilepsy", "l-carnitine") in STRONGER and ("epilepsy", "caffeine") in STRONGER


@pytest.mark.parametrize(("fact", "ingredient"), STRONGER)
def test_a_relative_class_blocks_the_cocktails_it_is_absolute_for(
    fact: str, ingredient: str
) -> None:
    patient = patient_with(fact)
    alone = screen_ingredient(patient, ingredient, today=TODAY, catalog=CAT)
    assert about(alone, fact, Severity.BLOCK), alone.findings
    # and a vitamins-only cocktail only warns
    assert not screen(patient, VITAMINS, today=TODAY, catalog=CAT).blocked


def test_a_clinic_may_soften_the_stronger_class_but_not_a_label_block() -> None:
    softer = ScreeningSettings(caution_severity={"heart-failure": Severity.WARN})
    patient = patient_with("heart-failure")
    assert not screen_ingredient(
        patient, "aminophylline", today=TODAY, catalog=CAT, settings=softer
    ).blocked
    arrhythmia = patient_with("cardiac-arrhythmia")
    lenient = ScreeningSettings(caution_severity={"cardiac-arrhythmia": Severity.WARN})
    # isoproterenol's own label contraindication still blocks
    assert screen_ingredient(
        arrhythmia, "isoproterenol", today=TODAY, catalog=CAT, settings=lenient
    ).blocked


def test_the_stronger_class_and_the_ingredients_own_caution_are_said_once() -> None:
    found = screen_ingredient(patient_with("epilepsy"), "aminophylline", today=TODAY, catalog=CAT)
    assert finding_code(FindingCode.CAUTION, "epilepsy", "aminophylline") not in found.codes
    block = next(
        f
        for f in found.findings
        if f.code == finding_code(FindingCode.CONTRAINDICATION, "epilepsy", "aminophylline")
    )
    assert "Xanthines can provoke seizures" in block.message


# REFERENCE §3/§4 and the §7.4 checklist: the allergies each ingredient carries.
ALLERGY_ROWS = {
    "soy": {"phosphatidylcholine"},
    "peanut": {"phosphatidylcholine"},
    "legume": {"phosphatidylcholine"},
    "birch-pollen": {"phosphatidylcholine"},
    "bee-venom": {"hyaluronidase"},
    "wasp-venom": {"hyaluronidase"},
    "amide-local-anaesthetic": {"lidocaine"},
    "ester-local-anaesthetic": {"procaine"},
    "asteraceae": {"artichoke"},
    "xanthine": {"aminophylline", "caffeine", "pentoxifylline"},
    "ethylenediamine": {"aminophylline"},
}


@pytest.mark.parametrize("allergen", sorted(ALLERGY_ROWS))
def test_each_listed_allergy_blocks_its_ingredients_given_on_their_own(allergen: str) -> None:
    carriers = {i.code for i in CAT.ingredients.values() if allergen in i.allergens}
    assert ALLERGY_ROWS[allergen] <= carriers
    patient = replace(ADULT, allergens=frozenset({allergen}))
    for ingredient in carriers:
        found = screen_ingredient(patient, ingredient, today=TODAY, catalog=CAT)
        assert about(found, allergen, Severity.BLOCK), (allergen, ingredient)
    # and an unrelated vitamins-only cocktail is not blocked by it
    assert not screen(patient, VITAMINS, today=TODAY, catalog=CAT).blocked
