"""Grading side effects and deciding which need a second look (REFERENCE.md §5.1, §5.4).

Two gradings are recorded side by side: the general CTCAE v5.0 grade 1-5 [S58a], and the
FDA-style local-reaction grade for injectable products [S58b], which grades pain or
tenderness, redness or hardening, and itching separately. An event is flagged for review
when either grade is 3 or more, or when it lasts longer than the catalog's expected
duration for its type (swelling beyond 5 days [S37c], bruising beyond 10 [S37b]); an event
still open is flagged as soon as today passes that point.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pistor.clinical.catalog.types import SideEffect
from pistor.clinical.errors import ClinicalDataError

GRADE_SOURCES = ("S58a", "S58b")

#: CTCAE v5.0 general grades [S58a].
CTCAE_GRADES: dict[int, str] = {
    1: "Grade 1: mild, no symptoms or mild ones; no treatment needed",
    2: "Grade 2: moderate; minimal, local treatment; limits everyday tasks",
    3: "Grade 3: severe; hospital care or limits self-care",
    4: "Grade 4: life-threatening",
    5: "Grade 5: death",
}

#: FDA-style local-reaction grades for injectable products [S58b], per kind of reaction.
LOCAL_REACTIONS: dict[str, tuple[str, dict[int, str]]] = {
    "pain": (
        "Pain or tenderness",
        {
            1: "G1: no or minimal limitation of use",
            2: "G2: more than minimal limitation",
            3: "G3: unable to do usual activities",
            4: "G4: hospital care, or unable to do basic functions",
        },
    ),
    "erythema-induration": (
        "Redness or hardening",
        {
            1: "G1: 2.5 to under 5 cm",
            2: "G2: 5 to under 10 cm",
            3: "G3: 10 cm or more, or ulceration, infection, phlebitis, abscess, drainage",
            4: "G4: life-threatening, e.g. necrosis of the dermis or deeper",
        },
    ),
    "pruritus": (
        "Itching",
        {
            1: "G1: at the site, settles within 48 hours",
            2: "G2: beyond the site, or needs 48 hours or more of treatment",
            3: "G3: all over, limits activities",
        },
    ),
}

REVIEW_GRADE = 3  # every grade from here up is looked at again


@dataclass(frozen=True)
class ReviewReason:
    code: str  # "grade", "local-grade", "longer-than-expected"
    text: str


def check_grades(*, ctcae_grade: object, local_kind: str, local_grade: object) -> None:
    """Refuse a grade outside its scale, naming the field."""
    if isinstance(ctcae_grade, bool) or not isinstance(ctcae_grade, int):
        raise ClinicalDataError("Give the CTCAE grade as a whole number 1 to 5.", field="grade")
    if ctcae_grade not in CTCAE_GRADES:
        raise ClinicalDataError(
            f"Grade {ctcae_grade} does not exist: CTCAE grades run from 1 to 5.", field="grade"
        )
    if not local_kind:
        if local_grade not in (None, ""):
            raise ClinicalDataError(
                "Choose which local reaction the local grade is for.", field="local_kind"
            )
        return
    if local_kind not in LOCAL_REACTIONS:
        known = ", ".join(LOCAL_REACTIONS)
        raise ClinicalDataError(
            f"'{local_kind}' is not a local reaction (choose {known}).", field="local_kind"
        )
    name, grades = LOCAL_REACTIONS[local_kind]
    if isinstance(local_grade, bool) or not isinstance(local_grade, int):
        raise ClinicalDataError(f"{name}: give the local grade.", field="local_grade")
    if local_grade not in grades:
        raise ClinicalDataError(
            f"{name}: grade {local_grade} does not exist (grades {min(grades)} to {max(grades)}).",
            field="local_grade",
        )


def check_dates(*, onset: dt.date, resolved_on: dt.date | None, today: dt.date) -> None:
    if onset > today:
        raise ClinicalDataError("The onset cannot be in the future.", field="onset")
    if resolved_on is not None:
        if resolved_on < onset:
            raise ClinicalDataError(
                f"It cannot resolve ({resolved_on:%d %b %Y}) before it began ({onset:%d %b %Y}).",
                field="resolved_on",
            )
        if resolved_on > today:
            raise ClinicalDataError(
                "The resolution date cannot be in the future.", field="resolved_on"
            )


def expected_end(side_effect: SideEffect, onset: dt.date) -> dt.date | None:
    """The last day an event of this type is still within its expected duration, or None
    when the reference gives no number. Durations shorter than a day end on the onset day."""
    if side_effect.review_after_minutes is None:
        return None
    return onset + dt.timedelta(days=side_effect.review_after_minutes // (24 * 60))


def review_reasons(
    *,
    side_effect: SideEffect,
    onset: dt.date,
    resolved_on: dt.date | None,
    ctcae_grade: int,
    local_grade: int | None,
    today: dt.date,
) -> tuple[ReviewReason, ...]:
    """Why this event needs a second look, if it does (empty: it does not)."""
    reasons: list[ReviewReason] = []
    if ctcae_grade >= REVIEW_GRADE:
        reasons.append(ReviewReason("grade", f"CTCAE grade {ctcae_grade} (3 or more)."))
    if local_grade is not None and local_grade >= REVIEW_GRADE:
        reasons.append(ReviewReason("local-grade", f"Local reaction grade {local_grade}."))
    end = expected_end(side_effect, onset)
    if end is not None:
        last = resolved_on if resolved_on is not None else today
        if last > end:
            days = (last - onset).days
            state = "lasted" if resolved_on is not None else "has lasted"
            reasons.append(
                ReviewReason(
                    "longer-than-expected",
                    f"{side_effect.name} {state} {days} days; expected: "
                    f"{side_effect.expected_duration}.",
                )
            )
    return tuple(reasons)
