"""The atomic sign-in limiter that stands in front of the password check.

django-axes counts failures after they happen, so a burst of simultaneous wrong passwords
all pass its "is this pair locked?" check before the first failure is written. Here each
attempt first claims a slot for its (account name, address) pair with ONE conditional
UPDATE: the database serialises those statements on the row, so however many requests
arrive together, no more than ``AXES_FAILURE_LIMIT`` of them reach the password check
within a cool-off window. A successful sign-in frees the pair again.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from pistor.accounts.models import LoginAttemptWindow


@dataclass(frozen=True)
class Claim:
    allowed: bool
    # When the pair may try again; only meaningful when not allowed.
    retry_at: datetime | None = None


def normalise_username(username: str) -> str:
    return username.strip().lower()


def failure_limit() -> int:
    return int(settings.AXES_FAILURE_LIMIT)


def cooloff() -> timedelta:
    value = settings.AXES_COOLOFF_TIME
    if isinstance(value, timedelta):
        return value
    # axes also accepts a number of hours; mirror that reading.
    return timedelta(hours=float(value))


def pair_key(username: str, ip_address: str | None) -> str:
    """A keyed hash of the pair, so the table holds no email addresses or addresses."""
    message = f"{normalise_username(username)}\x00{ip_address or ''}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def claim(username: str, ip_address: str | None, *, now: datetime | None = None) -> Claim:
    """Claim one password check for the pair, or learn that it must wait."""
    now = now or timezone.now()
    key = pair_key(username, ip_address)
    expired_before = now - cooloff()
    LoginAttemptWindow.objects.get_or_create(
        key=key, defaults={"attempts": 0, "last_attempt_at": now}
    )
    # One statement: either the window has cooled off (start again at 1) or there is a
    # free slot (add 1). The row lock taken by UPDATE makes concurrent claims queue, and
    # each re-reads the count the previous one wrote.
    claimed = (
        LoginAttemptWindow.objects.filter(key=key)
        .filter(Q(last_attempt_at__lte=expired_before) | Q(attempts__lt=failure_limit()))
        .update(
            attempts=Case(
                When(last_attempt_at__lte=expired_before, then=Value(1)),
                default=F("attempts") + 1,
            ),
            last_attempt_at=now,
        )
    )
    if claimed:
        return Claim(allowed=True)
    last = (
        LoginAttemptWindow.objects.filter(key=key).values_list("last_attempt_at", flat=True).first()
    )
    return Claim(allowed=False, retry_at=(last or now) + cooloff())


def reset(username: str, ip_address: str | None) -> None:
    """Free the pair after a successful sign-in."""
    LoginAttemptWindow.objects.filter(key=pair_key(username, ip_address)).delete()


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete windows that have cooled off (housekeeping; the limiter works without it)."""
    now = now or timezone.now()
    deleted, _ = LoginAttemptWindow.objects.filter(last_attempt_at__lte=now - cooloff()).delete()
    return deleted
