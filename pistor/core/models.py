"""Base models: timestamps, and the clinic scope every tenant-owned row carries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db import models

if TYPE_CHECKING:
    from pistor.clinics.models import Clinic


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ClinicScopedQuerySet(models.QuerySet[Any]):
    def for_clinic(self, clinic: Clinic | int) -> Self:
        clinic_id = clinic if isinstance(clinic, int) else clinic.pk
        return self.filter(clinic_id=clinic_id)


class ClinicScopedModel(TimeStampedModel):
    """A row owned by one clinic. Every query for it is scoped with ``for_clinic``.

    The clinic column is also the shard key should a group of clinics outgrow one
    PostgreSQL server (Citus distributes by it).
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        abstract = True
