"""The gate before a session starts: consent, allergy tests, the screen, batches.

Each rule that fails gives a reason in the practitioner's words and what would unblock it;
the session service raises ``GateBlocked`` with them. The rules come from REFERENCE §5.5
(allergy tests read after an observation window, 24 h by default, which a clinic may lengthen
but never shorten), §7.1 (batch and expiry recorded, product in date) and §7.2 (signed,
plan-specific consent). A block finding from the screen can never be overridden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pistor.clinical.catalog.types import Severity
from pistor.clinical.codes import GateReason
from pistor.clinical.errors import ClinicalDataError
from pistor.clinical.safety import Screening

MIN_READ_HOURS = 24


@dataclass(frozen=True)
class ConsentFacts:
    signed_at: datetime | None
    covers_plans: frozenset[str]
    withdrawn: bool = False


@dataclass(frozen=True)
class AllergyTestFacts:
    products: frozenset[str]
    placed_at: datetime
    read_at: datetime | None
    result: str  # "negative", "positive", "pending", "inconclusive"


@dataclass(frozen=True)
class OverrideFacts:
    """A practitioner's recorded decision to go ahead despite the named warnings."""

    finding_codes: frozenset[str]
    reason: str
    by: str


@dataclass(frozen=True)
class BatchFacts:
    product: str
    lot: str
    expires_on: date  # the last day the batch may be used
    quantity_in_stock: Decimal


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    unblock: str
    finding: str | None = None  # the screening finding behind it, if any


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[Reason, ...]


def can_start_session(
    *,
    consent: ConsentFacts | None,
    plan_code: str,
    products_used: Sequence[str],
    allergy_tests: Sequence[AllergyTestFacts],
    screening: Screening,
    override: OverrideFacts | None,
    batches: Sequence[BatchFacts],
    now: datetime,
    min_read_hours: int = MIN_READ_HOURS,
) -> Decision:
    """Whether the session may start now, and every reason it may not.

    ``min_read_hours`` below 24 is raised to 24: a clinic can only lengthen the observation
    window of an allergy test. Naive datetimes are refused, since "24 hours" across a clock
    change or between two time zones is only meaningful with offsets.
    """
    _aware(now, "now")
    read_after = timedelta(hours=max(MIN_READ_HOURS, min_read_hours))
    products = list(dict.fromkeys(products_used))
    reasons: list[Reason] = []
    reasons += _consent_reasons(consent, plan_code, now)
    reasons += _allergy_reasons(products, allergy_tests, now, read_after)
    reasons += _screening_reasons(screening, override)
    reasons += batch_reasons(products, batches, now.date())
    return Decision(not reasons, tuple(reasons))


def _consent_reasons(consent: ConsentFacts | None, plan: str, now: datetime) -> list[Reason]:
    sign = "Have the practitioner who will treat go through the consent form with the patient "
    if consent is None:
        return [
            Reason(
                GateReason.CONSENT_MISSING,
                "There is no consent on record for this treatment plan.",
                sign + "and record their signature.",
            )
        ]
    if consent.signed_at is None:
        return [
            Reason(
                GateReason.CONSENT_UNSIGNED,
                "The consent for this plan has not been signed.",
                sign + "and record their signature.",
            )
        ]
    _aware(consent.signed_at, "consent.signed_at")
    if _utc(consent.signed_at) > _utc(now):
        raise ClinicalDataError(
            "The consent is recorded as signed in the future.", field="consent.signed_at"
        )
    if consent.withdrawn:
        return [
            Reason(
                GateReason.CONSENT_WITHDRAWN,
                "The patient has withdrawn their consent.",
                "Do not treat. If the patient wishes to go ahead, take a new consent.",
            )
        ]
    if plan not in consent.covers_plans:
        return [
            Reason(
                GateReason.CONSENT_NOT_COVERING_PLAN,
                "The signed consent does not cover this treatment plan.",
                sign + "for this plan and record their signature.",
            )
        ]
    return []


def _allergy_reasons(
    products: Sequence[str],
    tests: Sequence[AllergyTestFacts],
    now: datetime,
    read_after: timedelta,
) -> list[Reason]:
    for index, test in enumerate(tests):
        _aware(test.placed_at, f"allergy_tests[{index}].placed_at")
        if test.read_at is not None:
            _aware(test.read_at, f"allergy_tests[{index}].read_at")
            if _utc(test.read_at) < _utc(test.placed_at) or _utc(test.read_at) > _utc(now):
                raise ClinicalDataError(
                    "An allergy test must be read after it was placed and not in the future.",
                    field=f"allergy_tests[{index}].read_at",
                )
    hours = int(read_after.total_seconds() // 3600)
    reasons: list[Reason] = []
    for product in products:
        relevant = [t for t in tests if product in t.products]
        if any(t.result == "positive" for t in relevant):
            reasons.append(
                Reason(
                    GateReason.ALLERGY_TEST_POSITIVE,
                    f"The allergy test for {product} was positive.",
                    f"Do not use {product}; choose a product the patient has tested negative to.",
                )
            )
            continue
        negative = [t for t in relevant if t.result == "negative" and t.read_at is not None]
        if any(
            t.read_at is not None and _elapsed(t.placed_at, t.read_at) >= read_after
            for t in negative
        ):
            continue
        if negative:
            placed = max(negative, key=lambda t: _utc(t.placed_at)).placed_at
            # Add real hours in UTC, then show the time on the clinic's clock it was placed by.
            readable = (_utc(placed) + read_after).astimezone(placed.tzinfo)
            reasons.append(
                Reason(
                    GateReason.ALLERGY_TEST_READ_TOO_EARLY,
                    f"The allergy test for {product} was read less than {hours} hours after it "
                    "was placed, before a delayed reaction could show.",
                    f"Read the test again from {readable.isoformat()} and record the result.",
                )
            )
        elif relevant:
            reasons.append(
                Reason(
                    GateReason.ALLERGY_TEST_PENDING,
                    f"The allergy test for {product} has no negative result yet.",
                    f"Read the test at least {hours} hours after it was placed and record a "
                    "negative result.",
                )
            )
        else:
            reasons.append(
                Reason(
                    GateReason.ALLERGY_TEST_MISSING,
                    f"There is no allergy test for {product}.",
                    f"Place a test with {product}, read it at least {hours} hours later and "
                    "record the result.",
                )
            )
    return reasons


def _screening_reasons(screening: Screening, override: OverrideFacts | None) -> list[Reason]:
    reasons = [
        Reason(
            GateReason.SCREENING_BLOCKED,
            finding.message,
            "This cannot be overridden: change the treatment (leave out the ingredient, lower "
            "the dose, wait for the interval) and screen again.",
            finding.code,
        )
        for finding in screening.findings
        if finding.severity is Severity.BLOCK
    ]
    warnings = [f for f in screening.findings if f.severity is Severity.WARN]
    if not warnings:
        return reasons
    if override is not None and not (override.reason.strip() and override.by.strip()):
        reasons.append(
            Reason(
                GateReason.OVERRIDE_INCOMPLETE,
                "The override does not say why the practitioner went ahead, or who decided.",
                "Record the practitioner's name and the clinical reason for going ahead.",
            )
        )
        override = None
    covered = override.finding_codes if override is not None else frozenset()
    reasons.extend(
        Reason(
            GateReason.WARNING_NOT_ACKNOWLEDGED,
            finding.message,
            "Weigh the warning with the patient and record an override that names it, with "
            "the reason for going ahead.",
            finding.code,
        )
        for finding in warnings
        if finding.code not in covered
    )
    return reasons


# The reasons about stock: a plan's panel leaves them out (batches are chosen at the
# session, against the shelf), and the session's start weighs them with ``batch_reasons``.
BATCH_REASON_CODES = frozenset(
    {GateReason.BATCH_MISSING, GateReason.BATCH_EXPIRED, GateReason.BATCH_OUT_OF_STOCK}
)


def batch_reasons(
    products: Sequence[str], batches: Sequence[BatchFacts], today: date
) -> list[Reason]:
    """Why the batches on the shelf do not allow ``products`` to be used ``today``: for each
    product, none recorded, all expired, or none left of the in-date ones (REFERENCE §7.1)."""
    reasons: list[Reason] = []
    for product in products:
        own = [b for b in batches if b.product == product]
        if any(b.expires_on >= today and b.quantity_in_stock > 0 for b in own):
            continue
        if not own:
            reasons.append(
                Reason(
                    GateReason.BATCH_MISSING,
                    f"No batch of {product} is recorded, so its lot and expiry cannot be traced.",
                    f"Receive a batch of {product} into stock with its lot number and expiry.",
                )
            )
        elif all(b.expires_on < today for b in own):
            lots = ", ".join(f"{b.lot} ({b.expires_on.isoformat()})" for b in own)
            reasons.append(
                Reason(
                    GateReason.BATCH_EXPIRED,
                    f"Every batch of {product} in stock has expired: {lots}.",
                    f"Use an in-date batch of {product}; set the expired ones aside for disposal.",
                )
            )
        else:
            reasons.append(
                Reason(
                    GateReason.BATCH_OUT_OF_STOCK,
                    f"The in-date batches of {product} have none left in stock.",
                    f"Receive more {product} or correct the stock count.",
                )
            )
    return reasons


def _utc(value: datetime) -> datetime:
    """The same instant in UTC.

    Python subtracts and compares two datetimes that share a tzinfo object (one
    ``ZoneInfo("Europe/London")``) by their wall clocks, ignoring the offset: across the
    spring change 24 wall-clock hours are 23 real ones. Converting to UTC first measures
    real elapsed time.
    """
    return value.astimezone(UTC)


def _elapsed(start: datetime, end: datetime) -> timedelta:
    """The real time between two aware datetimes, whatever clock changes lie between."""
    return _utc(end) - _utc(start)


def _aware(value: datetime, field: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ClinicalDataError(
            f"{field} must carry a time zone; a naive date and time is ambiguous.", field=field
        )
