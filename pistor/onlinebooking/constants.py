"""Limits of the public booking page. Each can be changed per installation in settings
(``PISTOR_ONLINE_BOOKING_*``); tests change them with pytest-django's ``settings``."""

from __future__ import annotations

import datetime as dt

from django.db import models

DEFAULT_DAYS_AHEAD = 28  # the slots listed: about the next four weeks
MAX_DAYS_AHEAD = 120
DEFAULT_MIN_NOTICE_HOURS = 2  # nobody books a visit starting in ten minutes
DEFAULT_CHANGE_CUTOFF_HOURS = 24  # the usual late-cancellation line (scheduling's too)
MAX_SLOTS_SHOWN = 400  # a week of starts every 15 minutes for several practitioners

# Requests from one address: page views and submissions counted separately.
VIEWS_PER_WINDOW = 120
SUBMITS_PER_WINDOW = 10
RATE_WINDOW = dt.timedelta(minutes=15)
# A person takes more than a few seconds to type a name, a date of birth and an email.
MIN_FILL_SECONDS = 3
MAX_FORM_AGE = dt.timedelta(hours=6)


class ReviewReason(models.TextChoices):
    EMAIL_DOB_MISMATCH = (
        "email_dob_mismatch",
        "The email belongs to a registered patient with another date of birth",
    )
    SAME_NAME_DOB = (
        "same_name_dob",
        "Same name and date of birth as a registered patient",
    )
