"""Choices and fixed numbers of the stock room."""

from __future__ import annotations

from django.db import models


class ContainerForm(models.TextChoices):
    VIAL = "vial", "Vial"
    AMPOULE = "ampoule", "Ampoule"
    PREFILLED_SYRINGE = "prefilled_syringe", "Pre-filled syringe"


class StockUnit(models.TextChoices):
    ML = "mL", "mL"
    COUNT = "count", "items"


class MovementKind(models.TextChoices):
    RECEIVED = "received", "Received"
    USED_SESSION = "used_session", "Used in a session"
    USED_ALLERGY_TEST = "used_allergy_test", "Used in an allergy test"
    USED_OTHER = "used_other", "Used (other)"
    WASTED = "wasted", "Wasted"
    EXPIRED = "expired", "Discarded as expired"
    RETURNED = "returned", "Returned to supplier"
    COUNTED = "counted", "Stock count adjustment"


class Occasion(models.TextChoices):
    SESSION = "session", "Treatment session"
    ALLERGY_TEST = "allergy_test", "Allergy test"
    OTHER = "other", "Other"


USE_KIND = {
    Occasion.SESSION: MovementKind.USED_SESSION,
    Occasion.ALLERGY_TEST: MovementKind.USED_ALLERGY_TEST,
    Occasion.OTHER: MovementKind.USED_OTHER,
}

# Movements a person may record by hand (the others come from goods-in, use and counts).
MANUAL_OUT_KINDS = (MovementKind.WASTED, MovementKind.EXPIRED, MovementKind.RETURNED)

DEFAULT_EXPIRY_ALERT_DAYS = 30
DEFAULT_CONTAINER_ALERT_HOURS = 2
