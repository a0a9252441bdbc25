"""Fixed vocabularies of the consultation record."""

from __future__ import annotations

from django.db import models


class AreaFinding(models.TextChoices):
    """What the practitioner sees at an area to be treated."""

    INFECTION = "infection", "Infection"
    INFLAMMATION = "inflammation", "Inflammation"
    HERPES = "herpes", "Active herpes"
    WOUND = "wound", "Open wound"
    ECZEMA = "eczema", "Eczema"
    SCAR = "scar", "Scar"


# Findings at an area that the screen's site-level rules read, as catalog fact codes. The
# catalog's "infection at site" caution covers infected or inflamed skin; herpes has its own.
# Wounds, eczema and scars are kept on the record and shown, with no catalog rule behind them.
AREA_FINDING_FACTS: dict[str, str] = {
    AreaFinding.INFECTION: "infection-at-site",
    AreaFinding.INFLAMMATION: "infection-at-site",
    AreaFinding.HERPES: "herpes-active",
}


class Anaesthesia(models.TextChoices):
    NONE = "none", "No anaesthesia"
    TOPICAL_CREAM = "topical-cream", "Topical anaesthetic cream"


TEXT_MAX = 5000
