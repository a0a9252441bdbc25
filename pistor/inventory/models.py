"""The stock room: products, batches, opened containers, movements, administrations and
the fridge log. Every row belongs to one clinic; stock is never negative (a database
constraint, not only a check in the service)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from pistor.core.models import ClinicScopedModel
from pistor.inventory.constants import (
    DEFAULT_CONTAINER_ALERT_HOURS,
    DEFAULT_EXPIRY_ALERT_DAYS,
    ContainerForm,
    MovementKind,
    StockUnit,
)


class InventorySettings(ClinicScopedModel):
    """How early the clinic wants to hear about expiring batches and opened vials."""

    expiry_alert_days = models.PositiveIntegerField(
        default=DEFAULT_EXPIRY_ALERT_DAYS,
        help_text="Warn about batches that expire within this many days.",
    )
    container_alert_hours = models.PositiveIntegerField(
        default=DEFAULT_CONTAINER_ALERT_HOURS,
        help_text="Warn about opened vials this many hours before they must be discarded.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic"], name="inv_settings_one")]


class StockProduct(ClinicScopedModel):
    """A product the clinic stocks: what is inside (so the safety engine sees it), how it
    comes (vial, ampoule, syringe), how it is stored and how long it keeps once opened."""

    code = models.SlugField(max_length=80, help_text="The catalog product code, or your own.")
    name = models.CharField(max_length=200)
    manufacturer = models.CharField(max_length=200, blank=True)
    composition = models.JSONField(
        default=list,
        blank=True,
        help_text='Ingredients: [{"ingredient": code, "concentration": "10 mg/mL"}, ...]',
    )
    form = models.CharField(max_length=20, choices=ContainerForm.choices)
    unit_volume_ml = models.DecimalField(
        "volume per container (mL)", null=True, blank=True, max_digits=12, decimal_places=3
    )
    stock_unit = models.CharField(max_length=8, choices=StockUnit.choices, default=StockUnit.ML)
    multi_dose = models.BooleanField(
        default=False, help_text="A vial that is opened once and drawn from several times."
    )
    storage_min_c = models.DecimalField(
        "store from (°C)", max_digits=5, decimal_places=1, default=Decimal("2")
    )
    storage_max_c = models.DecimalField(
        "store up to (°C)", max_digits=5, decimal_places=1, default=Decimal("8")
    )
    in_use_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How long an opened container may be used, in hours (maker's label).",
    )
    price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="EUR")
    reorder_level = models.DecimalField(
        default=Decimal("0"),
        help_text="Warn when stock falls below this.",
        max_digits=12,
        decimal_places=3,
    )
    from_catalog = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "code"], name="inv_product_code_unique"),
            models.CheckConstraint(
                condition=Q(storage_min_c__lte=models.F("storage_max_c")),
                name="inv_product_storage_range",
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Fridge(ClinicScopedModel):
    """A fridge (or cupboard) where batches are kept; its temperature log lives with it."""

    name = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="inv_fridge_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Batch(ClinicScopedModel):
    """One delivered lot of a product: what came in, what is left, and whether it was
    recalled or may have left its cold chain."""

    product = models.ForeignKey(StockProduct, on_delete=models.PROTECT, related_name="batches")
    lot = models.CharField("lot number", max_length=80)
    expires_on = models.DateField(help_text="The last day the batch may be used.")
    quantity_received = models.DecimalField(max_digits=12, decimal_places=3)
    quantity_on_hand = models.DecimalField(max_digits=12, decimal_places=3)
    supplier = models.CharField(max_length=200, blank=True)
    delivery_note = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    fridge = models.ForeignKey(
        Fridge, null=True, blank=True, on_delete=models.PROTECT, related_name="batches"
    )
    recalled_at = models.DateTimeField(null=True, blank=True)
    recall_reason = models.TextField(blank=True)
    recall_reference = models.CharField(max_length=120, blank=True)
    recalled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cold_chain_flag = models.TextField(
        blank=True, help_text="Set when its fridge read outside the product's storage range."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "lot"], name="inv_batch_lot_unique"),
            models.CheckConstraint(
                condition=Q(quantity_on_hand__gte=0), name="inv_batch_stock_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["clinic", "product", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.product.name} lot {self.lot}"

    @property
    def is_recalled(self) -> bool:
        return self.recalled_at is not None


class Container(ClinicScopedModel):
    """An opened multi-dose vial: who opened it and when, and the moment it must go."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="containers")
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    expires_at = models.DateTimeField(
        help_text="Opened time plus the in-use limit, or the batch expiry, whichever is first."
    )
    quantity_remaining = models.DecimalField(max_digits=12, decimal_places=3)
    discarded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_remaining__gte=0), name="inv_container_not_negative"
            )
        ]
        indexes = [models.Index(fields=["clinic", "discarded_at", "expires_at"])]

    def __str__(self) -> str:
        return f"Vial #{self.pk} of {self.batch}"


class Administration(ClinicScopedModel):
    """Product given to a patient: which batch (and opened vial), how much, when, by whom,
    and on what occasion (a session, an allergy test). The trace reads these."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="administrations"
    )
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="administrations")
    container = models.ForeignKey(
        Container,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="administrations",
    )
    product_code = models.CharField(max_length=80)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    unit = models.CharField(max_length=8, choices=StockUnit.choices)
    occasion = models.CharField(max_length=30)
    occasion_ref = models.CharField(max_length=80, blank=True)
    at = models.DateTimeField()
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        indexes = [
            models.Index(fields=["batch", "at"], name="inv_admin_batch_at"),
            models.Index(fields=["container", "at"], name="inv_admin_container_at"),
            models.Index(fields=["patient", "at"], name="inv_admin_patient_at"),
        ]


class Movement(ClinicScopedModel):
    """A change to a batch's stock, with who, why and the balance after it."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=20, choices=MovementKind.choices)
    quantity = models.DecimalField(
        help_text="Positive in, negative out.", max_digits=12, decimal_places=3
    )
    balance_after = models.DecimalField(max_digits=12, decimal_places=3)
    reason = models.TextField(blank=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    container = models.ForeignKey(
        Container, null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    administration = models.OneToOneField(
        Administration, null=True, blank=True, on_delete=models.PROTECT, related_name="movement"
    )

    class Meta:
        indexes = [models.Index(fields=["batch", "at"], name="inv_movement_batch_at")]


class TemperatureReading(ClinicScopedModel):
    """One fridge temperature reading: the cold-chain log."""

    fridge = models.ForeignKey(Fridge, on_delete=models.PROTECT, related_name="readings")
    celsius = models.DecimalField(max_digits=5, decimal_places=1)
    taken_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    excursion = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["fridge", "taken_at"], name="inv_reading_fridge_at")]
