"""Fixed vocabularies of allergy tests."""

from __future__ import annotations

from django.db import models


class Result(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"
    INCONCLUSIVE = "inconclusive", "Inconclusive"


PENDING = "pending"  # the gate's word for a test placed and not read
TEXT_MAX = 2000
