"""Checks on a session as it was given (not as planned): how long it lasted."""

from __future__ import annotations

import datetime as dt

from pistor.clinical.catalog.types import Catalog, Severity
from pistor.clinical.codes import FindingCode, finding_code
from pistor.clinical.findings import Finding


def session_minutes(started: dt.datetime, ended: dt.datetime) -> int:
    """Whole minutes between two aware datetimes (real elapsed time, across clock changes)."""
    if started.tzinfo is None or ended.tzinfo is None:
        raise ValueError("started and ended must be timezone-aware")
    seconds = (ended.astimezone(dt.UTC) - started.astimezone(dt.UTC)).total_seconds()
    return int(seconds // 60)


def session_duration_finding(minutes: int, *, catalog: Catalog) -> Finding | None:
    """A caution when a session lasted outside the catalog's usual range (10 to 50 minutes,
    seeds 001 and 003): a very short one may mean the product was not given as charted, a
    very long one that the record's times are wrong or the patient needed care."""
    usual = catalog.session_minutes
    if usual is None or usual.min <= minutes <= usual.max:
        return None
    side = "short" if minutes < usual.min else "long"
    return Finding(
        finding_code(FindingCode.SESSION_DURATION, side),
        Severity.WARN,
        f"The session lasted {minutes} minutes; a session usually takes {usual.min} to "
        f"{usual.max} minutes. Check the start and end times.",
        usual.sources,
    )
