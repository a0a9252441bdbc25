"""Every finding and gate-reason code the clinical core can produce, in one place.

Code and tests name these members instead of repeating string literals, so a renamed rule
cannot leave a test, an override or a page checking a code that no longer fires. The values
are the stable strings stored in overrides and audit records: never change a value, add a
member.

A finding about one ingredient, technique or fact carries its subject after a colon
(``caution:epilepsy:l-carnitine``); build such codes with ``finding_code``.
"""

from __future__ import annotations

from enum import StrEnum


class FindingCode(StrEnum):
    """The kind of a finding: the part of its code before any subject."""

    # The patient as a whole (REFERENCE §4)
    PREGNANCY_ELECTIVE = "pregnancy-elective"
    PREGNANCY = "pregnancy"
    BREASTFEEDING_ELECTIVE = "breastfeeding-elective"
    BREASTFEEDING = "breastfeeding"
    AGE_UNKNOWN = "age-unknown"
    UNDER_18 = "under-18"
    CONTRAINDICATION = "contraindication"  # contraindication:<fact>, §4's class for any injection
    AGE_CAUTION_UNKNOWN = "age-caution-unknown"  # age-caution-unknown:<ingredient>:<fact>
    # Areas and techniques
    DEPTH_OUTSIDE_TECHNIQUE = "depth-outside-technique"
    NEEDLE_TOO_LONG = "needle-too-long"
    DEPTH_EXCEEDS_NEEDLE = "depth-exceeds-needle"
    # One ingredient
    ALLERGY = "allergy"
    CAUTION = "caution"
    REGULATORY = "regulatory"
    PREGNANCY_LIPOLYTIC = "pregnancy-lipolytic"
    POSSIBLE_PREGNANCY_LIPOLYTIC = "possible-pregnancy-lipolytic"
    LABEL_AGE_UNKNOWN = "label-age-unknown"
    LABEL_MIN_AGE = "label-min-age"
    COUMARIN_INR = "coumarin-inr"
    HYPOGLYCAEMIA = "hypoglycaemia"
    XANTHINE_THEOPHYLLINE = "xanthine-theophylline"
    # The mix as a whole
    DUPLICATE_XANTHINES = "duplicate-xanthines"
    BETA_AGONIST_ADRENALINE = "beta-agonist-adrenaline"
    NO_MIXING = "no-mixing"  # no-mixing:<ingredient>: the label forbids mixing or dilution
    BLEEDING_RISK = "bleeding-risk"
    BLEEDING_RISK_STRONG = "bleeding-risk-strong"
    PIGMENTATION_RISK = "pigmentation-risk"
    PIGMENTATION_RISK_STRONG = "pigmentation-risk-strong"
    # Label limits
    LABEL_VOLUME_PER_INJECTION = "label-volume-per-injection"
    LABEL_VOLUME_PER_SESSION = "label-volume-per-session"
    LABEL_MASS_PER_SESSION = "label-mass-per-session"
    LABEL_MAX_SESSIONS = "label-max-sessions"
    LABEL_INTERVAL = "label-interval"
    LABEL_CHECK_INCOMPLETE = "label-check-incomplete"
    # Lidocaine dosing
    LIDOCAINE_DOSE_UNKNOWN = "lidocaine-dose-unknown"
    LIDOCAINE_WEIGHT_UNKNOWN = "lidocaine-weight-unknown"
    LIDOCAINE_OVER_MAXIMUM = "lidocaine-over-maximum"
    # Protocols
    PROTOCOL_OTHER_INDICATION = "protocol-other-indication"
    PROTOCOL_SESSIONS_EXCEEDED = "protocol-sessions-exceeded"
    INTERVAL_TOO_SHORT = "interval-too-short"
    INTERVAL_TOO_LONG = "interval-too-long"
    TOO_MANY_SESSIONS = "too-many-sessions"
    # The session as given
    SESSION_DURATION = "session-duration"  # session-duration:short / :long


class GateReason(StrEnum):
    """Why a care-pathway gate refuses to start a session (``gates.can_start_session``)."""

    CONSENT_MISSING = "consent-missing"
    CONSENT_UNSIGNED = "consent-unsigned"
    CONSENT_WITHDRAWN = "consent-withdrawn"
    CONSENT_NOT_COVERING_PLAN = "consent-not-covering-plan"
    ALLERGY_TEST_POSITIVE = "allergy-test-positive"
    ALLERGY_TEST_READ_TOO_EARLY = "allergy-test-read-too-early"
    ALLERGY_TEST_PENDING = "allergy-test-pending"
    ALLERGY_TEST_MISSING = "allergy-test-missing"
    SCREENING_BLOCKED = "screening-blocked"
    OVERRIDE_INCOMPLETE = "override-incomplete"
    WARNING_NOT_ACKNOWLEDGED = "warning-not-acknowledged"
    BATCH_MISSING = "batch-missing"
    BATCH_EXPIRED = "batch-expired"
    BATCH_OUT_OF_STOCK = "batch-out-of-stock"


def finding_code(kind: FindingCode, *subjects: str) -> str:
    """``caution:epilepsy:l-carnitine`` from ``FindingCode.CAUTION`` and its subjects."""
    return ":".join((kind.value, *subjects))
