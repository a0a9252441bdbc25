"""Fixed vocabularies and bounds of the intake (medical history) form."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import models

# A weight outside this range is a typing mistake, not a patient (doses are per kilogram).
WEIGHT_MIN_KG = Decimal("20")
WEIGHT_MAX_KG = Decimal("350")
# An intake link is for "before the visit": a week is long enough, short enough to matter.
LINK_LIFETIME = timedelta(days=7)
TOKEN_BYTES = 32
TEXT_MAX = 2000


class IntakeStatus(models.TextChoices):
    DRAFT = "draft", "Draft (not complete)"
    COMPLETE = "complete", "Complete"


class IntakeSource(models.TextChoices):
    DESK = "desk", "Filled in at the clinic"
    LINK = "link", "Filled in by the patient through a link"
    TOOLS = "tools", "Saved from a clinical tool"
    API = "api", "Recorded through the API"


class Smoking(models.TextChoices):
    NEVER = "never", "Never smoked"
    FORMER = "former", "Former smoker"
    CURRENT = "current", "Smokes now"


class SunExposure(models.TextChoices):
    LOW = "low", "Little sun"
    MODERATE = "moderate", "Some sun"
    HIGH = "high", "A lot of sun or sunbeds"


class Activity(models.TextChoices):
    LOW = "low", "Mostly sitting"
    MODERATE = "moderate", "Active some days"
    HIGH = "high", "Active most days"


# What makes a submitted intake complete: the answers the screen cannot do without.
# Lists (conditions, medicines, allergies) may be empty, an answer of "none".
REQUIRED_FOR_COMPLETE = (
    "pregnant",
    "breastfeeding",
    "weight_kg",
    "fitzpatrick",
    "smoking",
    "sun_exposure",
)
