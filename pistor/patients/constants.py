"""Fixed vocabularies of the patient registry."""

from __future__ import annotations

from django.db import models


class Sex(models.TextChoices):
    """Administrative sex, coded as FHIR ``AdministrativeGender`` so the FHIR facade maps 1:1."""

    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Intersex / other"
    UNKNOWN = "unknown", "Not known / not stated"


class FitzpatrickType(models.IntegerChoices):
    """Fitzpatrick skin phototype: guides the risk of post-inflammatory pigmentation."""

    I = 1, "I – always burns, never tans"  # noqa: E741
    II = 2, "II – usually burns, tans minimally"
    III = 3, "III – sometimes burns, tans gradually"
    IV = 4, "IV – burns minimally, always tans well"
    V = 5, "V – very rarely burns, tans very easily"
    VI = 6, "VI – never burns"


RECORD_NUMBER_PREFIX = "P-"
RECORD_NUMBER_DIGITS = 6
# Nobody alive was born before this; an earlier date is a typing mistake.
MAX_AGE_YEARS = 125
PHONE_MIN_DIGITS = 6
PHONE_MAX_DIGITS = 20
