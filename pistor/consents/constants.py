"""Fixed values of consent: kinds, photograph uses, limits."""

from django.db import models


class ConsentKind(models.TextChoices):
    TREATMENT = "treatment", "Treatment"
    PHOTOGRAPHS = "photographs", "Photographs"


class PhotoUse(models.TextChoices):
    RECORD = "record", "My clinical record only"
    TEACHING = "teaching", "Teaching and training of clinicians (not identifiable)"
    MARKETING = "marketing", "The clinic's publicity (website, social media)"


# A signature is a small drawing: anything bigger is not one, and is refused before decoding.
SIGNATURE_MAX_BYTES = 1024 * 1024
SIGNATURE_MAX_PIXELS = 4000 * 4000
# How long a signing link sent to the patient stays usable.
LINK_HOURS_DEFAULT = 48
LINK_HOURS_MAX = 24 * 14
