"""A clinic's own catalog entries: protocols and products it uses beside the built-in ones.

The definition is stored as the same mapping the catalog files hold and is checked by the
same loader (``protocol_from_dict`` / ``product_from_dict``), so a clinic protocol plans a
course with exactly the engine a built-in one does.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pistor.core.models import ClinicScopedModel

CODE_HELP = (
    "A short identifier in lower-case words joined by hyphens, e.g. 'cellulite-fortnightly'. "
    "It cannot be changed later, because treatment plans refer to it."
)


class ClinicCatalogEntry(ClinicScopedModel):
    code = models.CharField(max_length=80, help_text=CODE_HELP)
    name = models.CharField(max_length=200)
    definition = models.JSONField(
        help_text="The entry as the clinical catalog reads it, checked on every save."
    )
    catalog_version = models.CharField(
        max_length=20, help_text="The catalog version the entry was last checked against."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    retired_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the clinic stopped offering it. Plans made with it still read it.",
    )

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class ClinicProtocol(ClinicCatalogEntry):
    """A course template a clinic uses in its own practice, e.g. a fortnightly cellulite
    course; treatment plans made from it are dated by the same engine as built-in protocols."""

    class Meta(ClinicCatalogEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["clinic", "code"], name="clinic_protocol_unique_code"),
        ]


class ClinicProduct(ClinicCatalogEntry):
    """A product the clinic stocks that the built-in catalog does not list (e.g. a local
    compounded cocktail); its composition names catalog ingredients so safety checks apply."""

    class Meta(ClinicCatalogEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["clinic", "code"], name="clinic_product_unique_code"),
        ]
