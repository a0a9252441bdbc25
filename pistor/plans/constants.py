"""Fixed values of plans and prices."""

from decimal import Decimal

from django.db import models


class PriceKind(models.TextChoices):
    SESSION = "session", "Per session (indication and area)"
    PRODUCT = "product", "Per product used in a session"


MAX_PRICE = Decimal("100000.00")
MAX_SESSIONS = 60
MAX_AREAS = 12
# Maintenance is quoted for one year after the course ends.
MAINTENANCE_QUOTE_DAYS = 365
