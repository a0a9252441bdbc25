"""Treatment plans (a protocol laid out as a dated course) and the clinic's prices."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pistor.core.models import ClinicScopedModel
from pistor.plans.constants import MAX_PRICE, PriceKind


class Plan(ClinicScopedModel):
    """A patient's agreed course for one indication: the protocol it follows, laid out as
    dated sessions with their booking windows and maintenance, the areas, technique and
    planned products, and the catalog version it was made from."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    indication_code = models.CharField(max_length=60)
    protocol_code = models.CharField(max_length=60)
    protocol_name = models.CharField(max_length=200)
    catalog_version = models.CharField(max_length=40)
    technique_code = models.CharField(max_length=60)
    areas = models.JSONField(default=list, help_text="Areas to be treated.")
    product_codes = models.JSONField(default=list, help_text="Products planned for the course.")
    first_session = models.DateField()
    sessions = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Sessions in the first phase; empty: the protocol's default.",
    )
    adjustment_reason = models.TextField(
        blank=True, help_text="Why the plan goes outside the protocol's limits, if it does."
    )
    warnings = models.JSONField(
        default=list, blank=True, help_text="Departures from the protocol accepted with a reason."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["clinic", "patient"])]

    def __str__(self) -> str:
        return f"Plan {self.pk}: {self.protocol_name}"

    @property
    def code(self) -> str:
        """The plan's identity as the consent gate knows it."""
        return f"plan-{self.pk}"


class PlanSession(ClinicScopedModel):
    """One planned session: its window from the protocol (earliest, target, latest), the
    date chosen, and the areas, technique and products planned for it."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="planned_sessions")
    number = models.PositiveSmallIntegerField()
    phase = models.CharField(max_length=60)
    maintenance = models.BooleanField(default=False)
    earliest = models.DateField()
    target = models.DateField()
    latest = models.DateField()
    planned_on = models.DateField()
    areas = models.JSONField(default=list)
    technique_code = models.CharField(max_length=60)
    product_codes = models.JSONField(default=list)
    note = models.TextField(blank=True, help_text="Why this session was moved, if it was.")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plans_session_number_once"),
            models.CheckConstraint(
                condition=models.Q(earliest__lte=models.F("target"))
                & models.Q(target__lte=models.F("latest")),
                name="plans_session_window_ordered",
            ),
        ]


class PriceItem(ClinicScopedModel):
    """One line of the clinic's price list: a session for an indication (and optionally an
    area), or a product charged per session in which it is used."""

    kind = models.CharField(max_length=10, choices=PriceKind.choices)
    indication_code = models.CharField(max_length=60, blank=True)
    area = models.CharField(max_length=60, blank=True, help_text="Empty: any area.")
    product_code = models.CharField(max_length=60, blank=True)
    amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_PRICE)],
        help_text="Price before VAT, in the clinic's currency.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "kind", "indication_code", "area", "product_code"],
                name="plans_price_item_once",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="plans_price_item_not_negative"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind=PriceKind.SESSION, product_code="")
                    & ~models.Q(indication_code="")
                )
                | (models.Q(kind=PriceKind.PRODUCT) & ~models.Q(product_code="")),
                name="plans_price_item_kind_fields",
            ),
        ]


class PricingSettings(ClinicScopedModel):
    """The clinic's VAT rate for quotes (0 where treatment is exempt)."""

    vat_rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="VAT in percent, added to the price list's amounts.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic"], name="plans_pricing_settings_once"),
            models.CheckConstraint(
                condition=models.Q(vat_rate__gte=0) & models.Q(vat_rate__lte=100),
                name="plans_vat_rate_range",
            ),
        ]
