"""API tokens: how a program (a booking site, a script) acts for one member of staff."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pistor.core.models import ClinicScopedModel


class ApiToken(ClinicScopedModel):
    """A secret that lets a program call the API as one staff member at one clinic.

    The token acts with that person's role there, and stops working the moment the token
    is revoked or the membership is deactivated. Only a SHA-256 hash of the secret is kept,
    so a copy of the database does not hand out working tokens; the first characters are
    kept in the clear so staff can tell their tokens apart.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100, help_text="What this token is for, e.g. 'Online booking site'."
    )
    prefix = models.CharField(
        max_length=8,
        unique=True,
        help_text="The first characters of the token, shown so you can tell tokens apart.",
    )
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "user"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
