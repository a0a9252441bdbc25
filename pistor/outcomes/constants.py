"""Fixed vocabularies and limits of outcome measures and the side-effect register."""

from __future__ import annotations

from django.db import models

#: Below this many patients (or sessions) a figure is shown with the note that it is too
#: few to draw conclusions from.
SMALL_N = 10
SMALL_N_NOTE = "Too few to draw conclusions."
MAX_AREAS_TEXT = 500
MAX_TEXT = 5000
MAX_MEASUREMENTS_ON_RECORD = 500  # the progress chart reads at most this many


class Timepoint(models.TextChoices):
    BASELINE = "baseline", "Baseline (before the course)"
    DURING = "during", "During the course"
    FOLLOW_UP = "follow_up", "Follow-up (after the course)"


class ActionTaken(models.TextChoices):
    NONE = "none", "None needed"
    ADVICE = "advice", "Advice given"
    LOCAL = "local", "Local treatment (cold pack, cream)"
    MEDICINE = "medicine", "Medicine prescribed"
    REFERRED = "referred", "Referred (GP, hospital, specialist)"
    COURSE_PAUSED = "course_paused", "Course paused or stopped"


class Outcome(models.TextChoices):
    ONGOING = "ongoing", "Ongoing"
    RESOLVED = "resolved", "Resolved"
    RESOLVED_WITH_SEQUELAE = "sequelae", "Resolved with lasting effects"
    UNKNOWN = "unknown", "Unknown (lost to follow-up)"


class CallStatus(models.TextChoices):
    DUE = "due", "Due"
    DONE = "done", "Called: nothing to report"
    CONCERN = "concern", "Called: a problem reported"
    UNREACHABLE = "unreachable", "Could not be reached"
