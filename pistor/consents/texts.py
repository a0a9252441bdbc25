"""Consent templates: the words a patient reads before signing, per indication, versioned.

Written in our own words. Facts (benefits, evidence, side effects and their usual
durations, products, aftercare) come from the clinic's catalog at the time the consent is
drawn up, so the signed text records what the patient was told. Change any wording here
and bump ``TEMPLATE_VERSION``: a signed consent keeps the version it was signed under.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pistor.clinical.catalog.types import Catalog
from pistor.consents.constants import PhotoUse

TEMPLATE_VERSION = "2026.11-1"
PHOTO_TEMPLATE_VERSION = "2026.11-1"


@dataclass(frozen=True)
class CourseSummary:
    """What the plan says about the course, to quote in the consent (all optional)."""

    protocol_name: str = ""
    sessions: int | None = None
    first_date: str = ""
    last_date: str = ""
    course_total: str = ""  # already formatted money, e.g. "GBP 1,200.00 incl. VAT"
    maintenance: str = ""


def _section(heading: str, *paragraphs: str) -> dict[str, object]:
    return {"heading": heading, "paragraphs": [p for p in paragraphs if p]}


def off_label_products(catalog: Catalog, product_codes: Sequence[str]) -> list[str]:
    """Products with an ingredient the catalog flags as used outside its licence."""
    names = []
    for code in product_codes:
        product = catalog.products.get(code)
        if product is None:
            continue
        flagged = any(
            flag.code == "off-label"
            for component in product.composition
            if component.ingredient in catalog.ingredients
            for flag in catalog.ingredients[component.ingredient].regulatory
        )
        if flagged:
            names.append(product.name)
    return names


def treatment_sections(
    *,
    catalog: Catalog,
    indication_code: str,
    product_codes: Sequence[str],
    course: CourseSummary,
) -> list[dict[str, object]]:
    indication = catalog.indications[indication_code]
    products = [catalog.products[c] for c in product_codes if c in catalog.products]
    off_label = off_label_products(catalog, product_codes)
    common = [s for s in catalog.side_effects.values() if s.expected]
    rare = [s for s in catalog.side_effects.values() if not s.expected]
    aftercare = [
        a
        for a in catalog.aftercare.values()
        if not a.indications or indication_code in a.indications
    ]
    course_lines = []
    if course.protocol_name:
        course_lines.append(f"Plan: {course.protocol_name}.")
    if course.sessions:
        dates = (
            f", from about {course.first_date} to {course.last_date}"
            if course.first_date and course.last_date
            else ""
        )
        course_lines.append(f"Number of sessions in the course: {course.sessions}{dates}.")
    if course.maintenance:
        course_lines.append(f"Maintenance afterwards: {course.maintenance}.")
    if course.course_total:
        course_lines.append(f"Cost of the course: {course.course_total}.")
    if not course_lines:
        course_lines.append(
            "Your practitioner will give you the number of sessions and their cost in "
            "writing before you start."
        )
    return [
        _section(
            "What the treatment is",
            f"You are asking to be treated for: {indication.name}. {indication.description}",
            "Mesotherapy means several very small injections into or just under the skin of "
            "the area being treated, given with a fine needle or an injection device. Each "
            "session takes a short time; a numbing cream may be used first.",
        ),
        _section(
            "What it may do for you, and how good the evidence is",
            f"Usual length of a course: {indication.course_length.rstrip('.')}.",
            f"How strong the evidence is: {indication.evidence_note}",
            "Results differ from person to person and are not guaranteed. Some people see "
            "little or no change.",
        ),
        _section(
            "Other choices you have",
            "You may choose not to be treated at all, or to try other approaches (changes in "
            "diet, activity and skin care, creams, energy-based devices, surgery, or other "
            "injectable treatments). Your practitioner has discussed those that suit you.",
        ),
        _section(
            "Risks and side effects",
            "Common and expected, usually settling on their own: "
            + "; ".join(f"{s.name.lower()} (usually {s.expected_duration})" for s in common)
            + ".",
            "Uncommon or rare, but important: "
            + "; ".join(s.name.lower() for s in rare)
            + ". Contact the clinic at once if you notice any warning sign you were told about.",
        ),
        _section(
            "The products",
            "Products planned: "
            + (", ".join(f"{p.name} ({p.manufacturer})" for p in products) or "to be agreed")
            + ".",
            (
                "Used outside their licence (off-label): "
                + ", ".join(off_label)
                + ". This is legal, but less is known about it than about licensed uses."
            )
            if off_label
            else "None of the planned products is used outside its licence, as far as the "
            "catalog records.",
        ),
        _section("Aftercare", *(f"{a.title}: {a.text}" for a in aftercare)),
        _section("The course and its cost", *course_lines),
        _section(
            "Your right to change your mind",
            "You may withdraw this consent at any time, before or during the course, without "
            "giving a reason, and it will not affect the rest of your care. Tell any member of "
            "staff; sessions already given cannot be undone.",
        ),
        _section(
            "Your agreement",
            "I have read this information, had the chance to ask questions and had them "
            "answered, told the clinic about my health, medicines and allergies truthfully, "
            "and I agree to the treatment described.",
        ),
    ]


def photo_sections(*, uses: Sequence[str]) -> list[dict[str, object]]:
    allowed = [PhotoUse(u).label for u in uses]
    return [
        _section(
            "Photographs",
            "Photographs of the treated areas help your practitioner judge how the treatment "
            "is working. They are stored securely in your clinical record.",
        ),
        _section(
            "What you allow",
            "You allow your photographs to be used for: " + "; ".join(allowed) + ".",
            "Anything not ticked is not allowed. Photographs used for teaching or publicity "
            "will not show your face unless you agree separately in writing.",
        ),
        _section(
            "Your right to change your mind",
            "You may withdraw this consent at any time. Photographs already published cannot "
            "always be recalled, but none will be used again after you withdraw.",
        ),
    ]
