"""The time the care-pathway services read, which a test may move forward.

Allergy-test readings are refused before the observation window has passed in real
elapsed time. A browser journey cannot wait 25 hours, so under ``PISTOR_TESTING`` (and only
then) a test moves this clock forward; the live server runs in the test's process, so it
sees the same offset. Outside testing ``advance`` refuses, and ``now`` is ``timezone.now``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

_offset = dt.timedelta(0)


def now() -> dt.datetime:
    if settings.TESTING:
        return timezone.now() + _offset
    return timezone.now()


def advance(delta: dt.timedelta) -> None:
    """Move the clock forward by ``delta`` (tests only)."""
    global _offset
    if not settings.TESTING:
        raise RuntimeError("The clock can only be moved while testing.")
    _offset += delta


def reset() -> None:
    global _offset
    _offset = dt.timedelta(0)
