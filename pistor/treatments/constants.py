"""Fixed vocabularies and limits of the treatment session."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

# Hard bounds before the clinical core looks at a depth: anything outside is a typing
# error (no mesotherapy technique goes below the skin's surface or deeper than 12 mm).
DEPTH_MIN_MM = Decimal("0")
DEPTH_MAX_MM = Decimal("20")
NEEDLE_MAX_MM = Decimal("50")
VOLUME_MAX_ML = Decimal("100")
CONCENTRATION_MAX_MG_ML = Decimal("1000")
MAX_POINTS_PER_AREA = 500
MAX_LINES = 30
MAX_AREAS = 30
# The body map's drawing, in SVG user units; stored coordinates are fractions of it.
MAP_WIDTH = 400
MAP_HEIGHT = 520
# Findings of the core's area rules that stop an area being saved: the depth or the needle
# does not fit the technique as the catalog defines it.
AREA_REFUSED_PREFIXES = ("depth-outside-technique", "needle-too-long", "depth-exceeds-needle")


class Device(models.TextChoices):
    MANUAL = "manual", "By hand (syringe and needle)"
    GUN = "gun", "Mesotherapy gun"
    NEEDLE_FREE = "needle_free", "Needle-free device"


# Regions of the body map: code → (label, body treatment?). Body treatments carry the
# delayed nodule warning of REFERENCE §5.3 in their aftercare.
REGIONS: dict[str, tuple[str, bool]] = {
    "face-front": ("Face (front)", False),
    "scalp": ("Scalp", False),
    "neck-decollete": ("Neck and décolleté", False),
    "arm-left": ("Left arm", True),
    "arm-right": ("Right arm", True),
    "abdomen": ("Abdomen and flanks", True),
    "thigh-front-left": ("Left thigh (front)", True),
    "thigh-front-right": ("Right thigh (front)", True),
    "knee-left": ("Left knee", True),
    "knee-right": ("Right knee", True),
    "buttocks": ("Buttocks", True),
    "thigh-back-left": ("Left thigh (back)", True),
    "thigh-back-right": ("Right thigh (back)", True),
}
REGION_CHOICES = [(code, label) for code, (label, _body) in REGIONS.items()]


class Reaction(models.TextChoices):
    """Immediate reactions seen during or just after the injections (REFERENCE §5)."""

    BURNING = "burning", "Burning or stinging"
    PAPULES = "papules", "Papules (wheals) at the points"
    BLEEDING = "bleeding", "Bleeding at the points"
    BRUISING = "bruising", "Bruising"
    VASOVAGAL = "vasovagal", "Vasovagal (fainting, light-headedness)"
    ALLERGIC = "allergic", "Allergic reaction"


class ReactionSeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


# Times of the session a practitioner can type: not before the session was opened less
# this much (the cream goes on before the patient is called in), nor this long after.
ANAESTHETIC_LEAD_MAX_HOURS = 3
SESSION_SPAN_MAX_HOURS = 12
