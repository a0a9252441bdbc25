"""The bounds the tools put on their input, shared by the pages, the API's schema and the
services, so each states the same rule."""

from __future__ import annotations

from decimal import Decimal

#: How many area and cocktail rows a proposal may carry: a session, not a whole course.
MAX_AREAS = 12
MAX_COCKTAIL_LINES = 12
MAX_DONE_DATES = 100
MAX_EARLIER_SESSIONS = 50
MAX_FACT_CODES = 100
#: No adult or child weighs more; larger figures are typing slips, not patients.
MAX_WEIGHT_KG = Decimal(500)
#: Any amount, volume, depth or concentration above this is a slip of the keyboard.
MAX_AMOUNT = Decimal(100000)
MAX_AGE_YEARS = 130
MAX_SESSIONS = 100
MAX_NEEDLE_GAUGE = 40
MAX_INJECTIONS = 10000
