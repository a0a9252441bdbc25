from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from pistor.clinical.catalog.types import Severity
from pistor.clinical.codes import FindingCode, GateReason, finding_code
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.findings import Finding
from pistor.clinical.gates import (
    AllergyTestFacts,
    BatchFacts,
    ConsentFacts,
    OverrideFacts,
    can_start_session,
)
from pistor.clinical.safety import Screening

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
PRODUCT = "redensity-1"
CONSENT = ConsentFacts(NOW - timedelta(days=3), frozenset({"plan-1"}), withdrawn=False)
TEST_READ_AT_24H = AllergyTestFacts(
    frozenset({PRODUCT}), NOW - timedelta(hours=30), NOW - timedelta(hours=6), "negative"
)
BATCH = BatchFacts(PRODUCT, "LOT-1", date(2027, 12, 31), Decimal(3))
CLEAR = Screening(())
WARNING = Finding(
    FindingCode.BLEEDING_RISK, Severity.WARN, "Patient takes aspirin; bruising is likely."
)
BLOCK = Finding(
    finding_code(FindingCode.ALLERGY, "soy", "phosphatidylcholine"),
    Severity.BLOCK,
    "Patient is allergic to soya.",
)


def decide(**changes: object) -> tuple[bool, list[str]]:
    arguments: dict[str, object] = {
        "consent": CONSENT,
        "plan_code": "plan-1",
        "products_used": [PRODUCT],
        "allergy_tests": [TEST_READ_AT_24H],
        "screening": CLEAR,
        "override": None,
        "batches": [BATCH],
        "now": NOW,
    }
    arguments.update(changes)
    decision = can_start_session(**arguments)  # type: ignore[arg-type]
    assert decision.allowed == (not decision.reasons)
    for reason in decision.reasons:
        assert reason.message and reason.unblock
    return decision.allowed, [r.code for r in decision.reasons]


def test_everything_in_order_allows_the_session() -> None:
    assert decide() == (True, [])


@pytest.mark.parametrize(
    ("consent", "code"),
    [
        (None, GateReason.CONSENT_MISSING),
        (replace(CONSENT, signed_at=None), GateReason.CONSENT_UNSIGNED),
        (replace(CONSENT, withdrawn=True), GateReason.CONSENT_WITHDRAWN),
        (
            replace(CONSENT, covers_plans=frozenset({"plan-2"})),
            GateReason.CONSENT_NOT_COVERING_PLAN,
        ),
    ],
)
def test_consent_must_be_signed_current_and_cover_the_plan(
    consent: ConsentFacts | None, code: str
) -> None:
    assert decide(consent=consent) == (False, [code])


def test_allergy_test_read_at_23_hours_blocks_and_at_24_hours_passes() -> None:
    placed = NOW - timedelta(hours=30)
    early = AllergyTestFacts(frozenset({PRODUCT}), placed, placed + timedelta(hours=23), "negative")
    allowed, codes = decide(allergy_tests=[early])
    assert (allowed, codes) == (False, [GateReason.ALLERGY_TEST_READ_TOO_EARLY])
    on_time = replace(early, read_at=placed + timedelta(hours=24))
    assert decide(allergy_tests=[on_time]) == (True, [])


def test_a_clinic_can_lengthen_the_read_window_but_not_shorten_it() -> None:
    placed = NOW - timedelta(hours=50)
    at_30h = AllergyTestFacts(
        frozenset({PRODUCT}), placed, placed + timedelta(hours=30), "negative"
    )
    assert decide(allergy_tests=[at_30h], min_read_hours=48)[0] is False
    at_23h = replace(at_30h, read_at=placed + timedelta(hours=23))
    assert decide(allergy_tests=[at_23h], min_read_hours=1)[0] is False


@pytest.mark.parametrize(
    ("tests", "code"),
    [
        ([], GateReason.ALLERGY_TEST_MISSING),
        ([replace(TEST_READ_AT_24H, result="positive")], GateReason.ALLERGY_TEST_POSITIVE),
        (
            [replace(TEST_READ_AT_24H, read_at=None, result="pending")],
            GateReason.ALLERGY_TEST_PENDING,
        ),
        (
            [replace(TEST_READ_AT_24H, products=frozenset({"kybella"}))],
            GateReason.ALLERGY_TEST_MISSING,
        ),
    ],
)
def test_each_product_needs_a_negative_allergy_test(
    tests: list[AllergyTestFacts], code: str
) -> None:
    assert decide(allergy_tests=tests) == (False, [code])


def test_a_positive_test_wins_over_a_negative_one() -> None:
    positive = replace(TEST_READ_AT_24H, result="positive")
    assert decide(allergy_tests=[TEST_READ_AT_24H, positive])[1] == [
        GateReason.ALLERGY_TEST_POSITIVE
    ]


def test_expired_or_empty_batches_block() -> None:
    expired = replace(BATCH, expires_on=NOW.date() - timedelta(days=1))
    assert decide(batches=[expired]) == (False, [GateReason.BATCH_EXPIRED])
    assert decide(batches=[replace(BATCH, quantity_in_stock=Decimal(0))]) == (
        False,
        [GateReason.BATCH_OUT_OF_STOCK],
    )
    assert decide(batches=[]) == (False, [GateReason.BATCH_MISSING])
    # A batch is usable through its expiry date.
    assert decide(batches=[replace(BATCH, expires_on=NOW.date())]) == (True, [])


def test_a_warning_needs_an_override_naming_it_with_a_reason() -> None:
    screening = Screening((WARNING,))
    assert decide(screening=screening) == (False, [GateReason.WARNING_NOT_ACKNOWLEDGED])
    override = OverrideFacts(
        frozenset({"bleeding-risk"}), "Discussed bruising; INR stable.", "Dr A"
    )
    assert decide(screening=screening, override=override) == (True, [])
    other = replace(override, finding_codes=frozenset({"pigmentation-risk"}))
    assert decide(screening=screening, override=other) == (
        False,
        [GateReason.WARNING_NOT_ACKNOWLEDGED],
    )
    blank = replace(override, reason="   ")
    assert decide(screening=screening, override=blank) == (
        False,
        [GateReason.OVERRIDE_INCOMPLETE, GateReason.WARNING_NOT_ACKNOWLEDGED],
    )


def test_a_block_finding_can_never_be_overridden() -> None:
    override = OverrideFacts(frozenset({BLOCK.code}), "Patient insists.", "Dr A")
    allowed, codes = decide(screening=Screening((BLOCK,)), override=override)
    assert (allowed, codes) == (False, [GateReason.SCREENING_BLOCKED])


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ClinicalDataError) as error:
        decide(now=NOW.replace(tzinfo=None))
    assert error.value.field == "now"
    naive = replace(TEST_READ_AT_24H, placed_at=TEST_READ_AT_24H.placed_at.replace(tzinfo=None))
    with pytest.raises(ClinicalDataError) as error:
        decide(allergy_tests=[naive])
    assert error.value.field == "allergy_tests[0].placed_at"


def test_read_window_is_measured_across_time_zones() -> None:
    paris = timezone(timedelta(hours=1))
    placed = datetime(2027, 2, 27, 9, 0, tzinfo=UTC)
    read = datetime(2027, 2, 28, 9, 30, tzinfo=paris)  # 23.5 h later
    test = AllergyTestFacts(frozenset({PRODUCT}), placed, read, "negative")
    assert decide(allergy_tests=[test])[1] == [GateReason.ALLERGY_TEST_READ_TOO_EARLY]
