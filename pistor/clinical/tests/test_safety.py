"""Safety screen rules, on a small in-memory catalog (examples on real data: test_cases.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pistor.clinical.catalog.types import Needle, Severity
from pistor.clinical.codes import FindingCode, finding_code
from pistor.clinical.errors import ClinicalDataError, UnitMismatchError
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
from pistor.clinical.tests.builders import make_catalog, q

CATALOG = make_catalog()
TODAY = date(2027, 3, 1)
ADULT = PatientFacts(birth_date=date(1990, 5, 1), weight_kg=Decimal(70), fitzpatrick=2)
PAPULE = AreaPlan("Thighs", "papule", q("1.5", "mm"), Needle(30, q(4, "mm")))


def proposal(*lines: CocktailLine, **changes: object) -> TreatmentProposal:
    base = TreatmentProposal("cellulite", (PAPULE,), tuple(lines), TODAY)
    return replace(base, **changes)  # type: ignore[arg-type]


def run(patient: PatientFacts, plan: TreatmentProposal, **kwargs: object) -> list[str]:
    return list(screen(patient, plan, today=TODAY, catalog=CATALOG, **kwargs).codes)  # type: ignore[arg-type]


def test_a_plain_treatment_for_a_healthy_adult_has_no_findings() -> None:
    result = screen(ADULT, proposal(CocktailLine("hyaluronic-acid")), today=TODAY, catalog=CATALOG)
    assert result.findings == ()
    assert not result.blocked


def test_soy_allergy_blocks_phosphatidylcholine_inside_a_product() -> None:
    patient = replace(ADULT, allergens=frozenset({"soy"}))
    result = screen(
        patient,
        proposal(CocktailLine("dermaheal-ll", volume=q(2, "mL"))),
        today=TODAY,
        catalog=CATALOG,
    )
    assert result.blocked
    (finding,) = result.blocks
    assert finding.code == finding_code(FindingCode.ALLERGY, "soy", "phosphatidylcholine")
    assert finding.message.startswith(
        "Patient is allergic to soya; phosphatidylcholine (in Dermaheal LL)"
    )
    assert "must not be injected" in finding.message
    assert "patient:soy" in finding.evidence


def test_a_block_caution_names_the_fact_and_the_ingredient() -> None:
    patient = replace(ADULT, conditions=frozenset({"infection-at-site"}))
    result = screen(
        patient, proposal(CocktailLine("kybella", volume=q(1, "mL"))), today=TODAY, catalog=CATALOG
    )
    finding = next(
        f
        for f in result.findings
        if f.code == finding_code(FindingCode.CAUTION, "infection-at-site", "deoxycholic-acid")
    )
    assert finding.severity is Severity.BLOCK
    assert (
        "infection at the site" in finding.message
        and "deoxycholic acid (in Kybella)" in finding.message
    )


def test_configurable_caution_severity_follows_clinic_settings() -> None:
    patient = replace(ADULT, conditions=frozenset({"epilepsy"}))
    plan = proposal(CocktailLine("l-carnitine"))
    assert (
        finding_code(FindingCode.CAUTION, "epilepsy", "l-carnitine")
        in screen(patient, plan, today=TODAY, catalog=CATALOG).codes
    )
    strict = ScreeningSettings(caution_severity={"epilepsy": Severity.BLOCK})
    assert screen(patient, plan, today=TODAY, catalog=CATALOG, settings=strict).blocked


def test_coumarin_implies_anticoagulant_and_warns_on_inr_and_bleeding() -> None:
    patient = replace(ADULT, medications=frozenset({"coumarin"}))
    result = screen(patient, proposal(CocktailLine("l-carnitine")), today=TODAY, catalog=CATALOG)
    assert result.codes == (
        FindingCode.BLEEDING_RISK,
        finding_code(FindingCode.COUMARIN_INR, "l-carnitine"),
    )
    assert not result.blocked
    inr = result.findings[1]
    assert (
        "INR" in inr.message and "coumarin" in inr.message and "l-carnitine" in inr.message.lower()
    )


def test_bleeding_warning_is_stronger_with_deoxycholic_acid() -> None:
    patient = replace(ADULT, medications=frozenset({"fish-oil"}))
    codes = run(patient, proposal(CocktailLine("kybella", volume=q(1, "mL"))))
    assert FindingCode.BLEEDING_RISK_STRONG in codes and FindingCode.BLEEDING_RISK not in codes


def test_two_xanthines_or_theophylline_warn() -> None:
    assert FindingCode.DUPLICATE_XANTHINES in run(
        ADULT, proposal(CocktailLine("aminophylline"), CocktailLine("caffeine"))
    )
    patient = replace(ADULT, medications=frozenset({"theophylline"}))
    assert finding_code(FindingCode.XANTHINE_THEOPHYLLINE, "aminophylline") in run(
        patient, proposal(CocktailLine("aminophylline"))
    )


def test_beta_agonist_with_adrenaline_warns_of_arrhythmia() -> None:
    result = screen(
        ADULT,
        proposal(
            CocktailLine("isoproterenol"), CocktailLine("lidocaine-1-adrenaline", volume=q(1, "mL"))
        ),
        today=TODAY,
        catalog=CATALOG,
    )
    finding = next(f for f in result.findings if f.code == FindingCode.BETA_AGONIST_ADRENALINE)
    assert "arrhythmia" in finding.message


def test_antidiabetic_with_l_carnitine_warns_of_hypoglycaemia() -> None:
    patient = replace(ADULT, medications=frozenset({"antidiabetic"}))
    assert finding_code(FindingCode.HYPOGLYCAEMIA, "l-carnitine") in run(
        patient, proposal(CocktailLine("dermaheal-ll"))
    )


def test_withdrawn_ingredient_blocks() -> None:
    result = screen(ADULT, proposal(CocktailLine("buflomedil")), today=TODAY, catalog=CATALOG)
    assert result.codes == (finding_code(FindingCode.REGULATORY, "withdrawn-eu", "buflomedil"),)
    assert result.blocked and result.findings[0].message.startswith("Buflomedil:")


def test_pregnancy_blocks_elective_care_and_lipolytic_drugs() -> None:
    patient = replace(ADULT, pregnant=True)
    codes = run(patient, proposal(CocktailLine("l-carnitine")))
    assert {
        "pregnancy-elective",
        finding_code(FindingCode.PREGNANCY_LIPOLYTIC, "l-carnitine"),
    } <= set(codes)
    pain = proposal(
        CocktailLine("lidocaine", amount=q(10, "mg")), indication="musculoskeletal-pain"
    )
    assert run(patient, pain) == [FindingCode.PREGNANCY]


def test_under_18_blocks_cosmetic_care_but_not_pain_care() -> None:
    teen = replace(ADULT, birth_date=date(2010, 3, 2))
    assert FindingCode.UNDER_18 in run(teen, proposal(CocktailLine("hyaluronic-acid")))
    pain = proposal(CocktailLine("hyaluronic-acid"), indication="musculoskeletal-pain")
    assert run(teen, pain) == []
    # Turns 18 on the treatment date.
    eighteen = replace(ADULT, birth_date=date(2009, 3, 1))
    assert run(eighteen, proposal(CocktailLine("hyaluronic-acid"))) == []


def test_unknown_age_warns_for_cosmetic_care() -> None:
    assert run(PatientFacts(), proposal(CocktailLine("hyaluronic-acid"))) == [
        FindingCode.AGE_UNKNOWN
    ]


def test_dark_skin_gets_a_pigmentation_warning_stronger_with_deoxycholic_acid() -> None:
    patient = replace(ADULT, fitzpatrick=5)
    assert run(patient, proposal(CocktailLine("hyaluronic-acid"))) == [
        FindingCode.PIGMENTATION_RISK
    ]
    codes = run(patient, proposal(CocktailLine("kybella", volume=q(1, "mL"))))
    assert (
        FindingCode.PIGMENTATION_RISK_STRONG in codes and FindingCode.PIGMENTATION_RISK not in codes
    )
    lenient = ScreeningSettings(fitzpatrick_threshold=6)
    assert run(patient, proposal(CocktailLine("hyaluronic-acid")), settings=lenient) == []


def test_depth_outside_the_technique_and_needle_too_long_warn() -> None:
    deep = AreaPlan("Face", "papule", q(6, "mm"), Needle(30, q(13, "mm")))
    codes = run(ADULT, proposal(CocktailLine("hyaluronic-acid"), areas=(deep,)))
    assert codes == [
        finding_code(FindingCode.DEPTH_OUTSIDE_TECHNIQUE, "papule"),
        finding_code(FindingCode.NEEDLE_TOO_LONG, "papule"),
    ]


def test_linear_retrograde_takes_a_13_mm_needle_flat() -> None:
    area = AreaPlan("Neck", "linear-retrograde", q(2, "mm"), Needle(32, q(13, "mm")))
    assert run(ADULT, proposal(CocktailLine("hyaluronic-acid"), areas=(area,))) == []


def test_depth_beyond_the_needle_is_flagged() -> None:
    area = AreaPlan("Abdomen", "point-by-point", q(6, "mm"), Needle(27, q(4, "mm")))
    assert run(ADULT, proposal(CocktailLine("hyaluronic-acid"), areas=(area,))) == [
        finding_code(FindingCode.DEPTH_EXCEEDS_NEEDLE, "point-by-point")
    ]


def kybella_plan(volume: str, *, per_injection: str = "0.2", on: date = TODAY) -> TreatmentProposal:
    area = AreaPlan(
        "Chin", "point-by-point", q(6, "mm"), Needle(30, q(13, "mm")), 50, q(per_injection, "mL")
    )
    return TreatmentProposal(
        "submental-fat", (area,), (CocktailLine("kybella", volume=q(volume, "mL")),), on, "dc-label"
    )


def test_deoxycholic_acid_label_limits_block() -> None:
    assert run(ADULT, kybella_plan("10")) == []
    codes = run(ADULT, kybella_plan("12", per_injection="0.3"))
    assert codes == [
        finding_code(FindingCode.LABEL_MASS_PER_SESSION, "deoxycholic-acid"),
        finding_code(FindingCode.LABEL_VOLUME_PER_INJECTION, "deoxycholic-acid"),
        finding_code(FindingCode.LABEL_VOLUME_PER_SESSION, "deoxycholic-acid"),
    ]


def test_deoxycholic_acid_seventh_session_and_short_interval_block() -> None:
    earlier = tuple(
        EarlierSession(
            TODAY - timedelta(days=35 * (6 - i)),
            (CocktailLine("kybella", volume=q(4, "mL")),),
            "dc-label",
        )
        for i in range(6)
    )
    patient = replace(ADULT, earlier_sessions=earlier)
    codes = run(patient, kybella_plan("4", on=TODAY - timedelta(days=25)))
    assert finding_code(FindingCode.LABEL_MAX_SESSIONS, "deoxycholic-acid") in codes
    assert finding_code(FindingCode.LABEL_INTERVAL, "deoxycholic-acid") in codes
    assert FindingCode.PROTOCOL_SESSIONS_EXCEEDED in codes


def test_protocol_interval_too_short_warns() -> None:
    earlier = (
        EarlierSession(TODAY - timedelta(days=3), (CocktailLine("hyaluronic-acid"),), "weekly"),
    )
    patient = replace(ADULT, earlier_sessions=earlier)
    result = screen(
        patient,
        proposal(CocktailLine("hyaluronic-acid"), protocol="weekly"),
        today=TODAY,
        catalog=CATALOG,
    )
    assert result.codes == (FindingCode.INTERVAL_TOO_SHORT,)
    assert result.findings[0].severity is Severity.WARN


def test_lidocaine_over_maximum_blocks_and_unknown_weight_warns() -> None:
    light = replace(ADULT, weight_kg=Decimal(60))
    assert run(light, proposal(CocktailLine("lidocaine", amount=q(400, "mg")))) == [
        FindingCode.LIDOCAINE_OVER_MAXIMUM
    ]
    unknown = replace(ADULT, weight_kg=None)
    assert run(unknown, proposal(CocktailLine("lidocaine", amount=q(100, "mg")))) == [
        FindingCode.LIDOCAINE_WEIGHT_UNKNOWN
    ]


@pytest.mark.parametrize(
    ("plan", "patient", "field"),
    [
        (proposal(CocktailLine("nope")), ADULT, "cocktail[0].code"),
        (proposal(CocktailLine("lidocaine"), CocktailLine("x")), ADULT, "cocktail[1].code"),
        (proposal(indication="nope"), ADULT, "indication"),
        (proposal(protocol="nope"), ADULT, "protocol"),
        (
            proposal(areas=(AreaPlan("Face", "nope", q(1, "mm")),)),
            ADULT,
            "areas[0].technique",
        ),
        (proposal(), replace(ADULT, allergens=frozenset({"cats"})), "patient.allergens"),
        (proposal(), replace(ADULT, conditions=frozenset({"soy"})), "patient.conditions"),
        (proposal(), replace(ADULT, fitzpatrick=7), "patient.fitzpatrick"),
        (proposal(), replace(ADULT, birth_date=TODAY + timedelta(days=1)), "patient.birth_date"),
    ],
)
def test_bad_data_names_the_field(
    plan: TreatmentProposal, patient: PatientFacts, field: str
) -> None:
    with pytest.raises(ClinicalDataError) as error:
        screen(patient, plan, today=TODAY, catalog=CATALOG)
    assert error.value.field == field


def test_negative_depth_and_wrong_unit_name_the_field() -> None:
    negative = AreaPlan("Face", "papule", replace(q(1, "mm"), value=Decimal(-1)))
    with pytest.raises(ClinicalDataError) as error:
        screen(ADULT, proposal(areas=(negative,)), today=TODAY, catalog=CATALOG)
    assert error.value.field == "areas[0].depth"
    in_ml = AreaPlan("Face", "papule", q(1, "mL"))
    with pytest.raises(UnitMismatchError) as mismatch:
        screen(ADULT, proposal(areas=(in_ml,)), today=TODAY, catalog=CATALOG)
    assert mismatch.value.field == "areas[0].depth"


def test_screen_ingredient_leaves_out_whole_treatment_findings() -> None:
    patient = replace(ADULT, pregnant=True, allergens=frozenset({"soy"}), fitzpatrick=6)
    result = screen_ingredient(patient, "phosphatidylcholine", today=TODAY, catalog=CATALOG)
    assert set(result.codes) == {
        finding_code(FindingCode.ALLERGY, "soy", "phosphatidylcholine"),
        finding_code(FindingCode.PREGNANCY_LIPOLYTIC, "phosphatidylcholine"),
    }


# --- properties -----------------------------------------------------------------------

FACT_CODES = sorted(CATALOG.facts)
LINES = st.sampled_from(
    [
        CocktailLine("dermaheal-ll", volume=q(2, "mL")),
        CocktailLine("kybella", volume=q(4, "mL")),
        CocktailLine("lidocaine", amount=q(150, "mg")),
        CocktailLine("lidocaine-1-adrenaline", volume=q(5, "mL")),
        CocktailLine("aminophylline"),
        CocktailLine("caffeine"),
        CocktailLine("isoproterenol"),
        CocktailLine("buflomedil"),
        CocktailLine("redensity-1", volume=q(1, "mL")),
    ]
)
AREAS = st.sampled_from(
    [
        PAPULE,
        AreaPlan("Chin", "point-by-point", q(6, "mm"), Needle(30, q(13, "mm")), 20, q("0.2", "mL")),
        AreaPlan("Face", "papule", q(6, "mm"), Needle(30, q(13, "mm"))),
        AreaPlan("Body", "needle-free", q(0, "mm")),
    ]
)


@st.composite
def patients(draw: st.DrawFn) -> PatientFacts:
    by_kind: dict[str, list[str]] = {"condition": [], "medication": [], "allergen": []}
    for code in draw(st.lists(st.sampled_from(FACT_CODES), max_size=5)):
        by_kind[CATALOG.facts[code].kind.value].append(code)
    return PatientFacts(
        birth_date=draw(st.none() | st.dates(date(1930, 1, 1), TODAY)),
        weight_kg=draw(st.none() | st.decimals(Decimal(30), Decimal(200), places=1)),
        pregnant=draw(st.booleans()),
        breastfeeding=draw(st.booleans()),
        conditions=frozenset(by_kind["condition"]),
        medications=frozenset(by_kind["medication"]),
        allergens=frozenset(by_kind["allergen"]),
        fitzpatrick=draw(st.none() | st.integers(1, 6)),
    )


@st.composite
def proposals(draw: st.DrawFn) -> TreatmentProposal:
    return TreatmentProposal(
        draw(st.sampled_from(sorted(CATALOG.indications))),
        tuple(draw(st.lists(AREAS, max_size=3))),
        tuple(draw(st.lists(LINES, max_size=4))),
        TODAY,
        draw(st.none() | st.sampled_from(sorted(CATALOG.protocols))),
    )


@settings(max_examples=200)
@given(patients(), proposals())
def test_screening_is_deterministic_sorted_and_blocked_only_by_a_block(
    patient: PatientFacts, plan: TreatmentProposal
) -> None:
    first = screen(patient, plan, today=TODAY, catalog=CATALOG)
    second = screen(
        patient, replace(plan, cocktail=tuple(plan.cocktail)), today=TODAY, catalog=CATALOG
    )
    assert first == second
    assert first.blocked == any(f.severity is Severity.BLOCK for f in first.findings)
    rank = {Severity.BLOCK: 0, Severity.WARN: 1, Severity.INFO: 2}
    keys = [(rank[f.severity], f.code) for f in first.findings]
    assert keys == sorted(keys)
    assert all(f.message and f.message[0].isupper() for f in first.findings)


# --- real cases, on the packaged catalog ------------------------------------------------

REAL_TODAY = date(2027, 3, 1)
REAL_ADULT = PatientFacts(birth_date=date(1988, 6, 1), weight_kg=Decimal(60), fitzpatrick=2)
ABDOMEN = AreaPlan("Abdomen", "point-by-point", q(6, "mm"), Needle(30, q(13, "mm")))
CHIN = AreaPlan("Chin", "point-by-point", q(6, "mm"), Needle(30, q(13, "mm")), 50, q("0.2", "mL"))


def real(patient: PatientFacts, plan: TreatmentProposal) -> Screening:
    return screen(patient, plan, today=REAL_TODAY)


def kybella(volume: str, on: date = REAL_TODAY) -> TreatmentProposal:
    return TreatmentProposal(
        "submental-fat",
        (CHIN,),
        (CocktailLine("kybella", volume=q(volume, "mL")),),
        on,
        "deoxycholic-acid-label",
    )


def test_case_soy_allergy_blocks_a_phosphatidylcholine_cocktail() -> None:
    patient = replace(REAL_ADULT, allergens=frozenset({"soy"}))
    plan = TreatmentProposal(
        "localised-fat", (ABDOMEN,), (CocktailLine("dermaheal-ll", volume=q(2, "mL")),), REAL_TODAY
    )
    result = real(patient, plan)
    assert result.blocked
    message = result.blocks[0].message
    assert "soy" in message.lower() and "phosphatidylcholine" in message
    assert "Dermaheal LL" in message


def test_case_pregnancy_blocks_a_lipolytic_cocktail() -> None:
    patient = replace(REAL_ADULT, pregnant=True)
    plan = TreatmentProposal(
        "localised-fat", (ABDOMEN,), (CocktailLine("lipostabil", volume=q(4, "mL")),), REAL_TODAY
    )
    result = real(patient, plan)
    assert result.blocked
    assert finding_code(FindingCode.PREGNANCY_LIPOLYTIC, "phosphatidylcholine") in result.codes
    assert FindingCode.PREGNANCY_ELECTIVE in result.codes


def test_case_warfarin_and_l_carnitine_warn_about_the_inr() -> None:
    patient = replace(REAL_ADULT, medications=frozenset({"coumarin"}))
    plan = TreatmentProposal(
        "cellulite",
        (PAPULE,),
        (CocktailLine("l-carnitine", volume=q(2, "mL"), concentration=q(1, "%")),),
        REAL_TODAY,
    )
    result = real(patient, plan)
    assert not result.blocked
    assert any("INR" in f.message and "carnitine" in f.message for f in result.warnings)
    assert FindingCode.BLEEDING_RISK in result.codes  # coumarin implies anticoagulant


def test_case_papule_at_6_mm_is_flagged() -> None:
    face = AreaPlan("Face", "papule", q(6, "mm"), Needle(30, q(4, "mm")))
    plan = TreatmentProposal(
        "skin-rejuvenation", (face,), (CocktailLine("redensity-1", volume=q(3, "mL")),), REAL_TODAY
    )
    assert (
        finding_code(FindingCode.DEPTH_OUTSIDE_TECHNIQUE, "papule") in real(REAL_ADULT, plan).codes
    )


def test_case_12_ml_of_deoxycholic_acid_in_one_session_is_blocked() -> None:
    result = real(REAL_ADULT, kybella("12"))
    assert finding_code(FindingCode.LABEL_VOLUME_PER_SESSION, "deoxycholic-acid") in result.codes
    assert result.blocked
    assert not real(REAL_ADULT, kybella("10")).blocked


def test_case_a_seventh_deoxycholic_session_is_blocked() -> None:
    earlier = tuple(
        EarlierSession(
            REAL_TODAY - timedelta(days=35 * (6 - i)),
            (CocktailLine("kybella", volume=q(4, "mL")),),
            "deoxycholic-acid-label",
        )
        for i in range(6)
    )
    result = real(replace(REAL_ADULT, earlier_sessions=earlier), kybella("4"))
    assert finding_code(FindingCode.LABEL_MAX_SESSIONS, "deoxycholic-acid") in result.codes
    assert result.blocked


def test_case_deoxycholic_sessions_less_than_30_days_apart_are_blocked() -> None:
    earlier = (
        EarlierSession(
            REAL_TODAY - timedelta(days=20), (CocktailLine("kybella", volume=q(4, "mL")),)
        ),
    )
    result = real(replace(REAL_ADULT, earlier_sessions=earlier), kybella("4"))
    assert finding_code(FindingCode.LABEL_INTERVAL, "deoxycholic-acid") in result.codes


def test_case_lidocaine_400_mg_without_adrenaline_at_60_kg_is_blocked() -> None:
    plan = TreatmentProposal(
        "musculoskeletal-pain",
        (ABDOMEN,),
        (CocktailLine("lidocaine-2", volume=q(20, "mL")),),
        REAL_TODAY,
    )
    result = real(REAL_ADULT, plan)
    assert result.codes == (FindingCode.LIDOCAINE_OVER_MAXIMUM,)
    assert "400 mg" in result.findings[0].message


def test_case_withdrawn_buflomedil_is_blocked() -> None:
    plan = TreatmentProposal("cellulite", (PAPULE,), (CocktailLine("buflomedil"),), REAL_TODAY)
    assert (
        finding_code(FindingCode.REGULATORY, "withdrawn-eu", "buflomedil")
        in real(REAL_ADULT, plan).codes
    )


def test_case_kybella_on_label_has_no_off_label_note() -> None:
    assert real(REAL_ADULT, kybella("4")).findings == ()


def test_screen_ingredient_names_the_code_field_for_an_unknown_code() -> None:
    with pytest.raises(ClinicalDataError) as error:
        screen_ingredient(ADULT, "nope", today=TODAY, catalog=CATALOG)
    assert error.value.field == "code"
