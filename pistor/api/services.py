"""Issuing and revoking API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from pistor.api.models import ApiToken
from pistor.api.tokens import token_generate, token_hash, token_prefix
from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.clinics.models import Clinic, Membership
from pistor.core.errors import Conflict, ValidationFailed, validation_error_from_django

if TYPE_CHECKING:
    from pistor.accounts.models import User

# Recording every call would write to the database on every read; once a minute is
# enough to tell a token in use from a forgotten one.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _token_summary(token: ApiToken) -> dict[str, object]:
    # Never the hash: the audit trail is read by managers and must not help forge tokens.
    return {
        "name": token.name,
        "prefix": token.prefix,
        "user": token.user.email,
        "revoked_at": token.revoked_at,
    }


def api_token_create(
    *, user: User, clinic: Clinic, name: str, actor: User | None
) -> tuple[ApiToken, str]:
    """Issue a token acting as ``user`` at ``clinic``; returns it and the raw secret.

    The secret is returned once and never stored, so it cannot be shown again: a lost
    token is revoked and replaced.
    """
    name = (name or "").strip()
    if (
        not user.is_active
        or not Membership.objects.filter(
            user=user, clinic=clinic, is_active=True, clinic__is_active=True
        ).exists()
    ):
        raise ValidationFailed(
            f"{user.email} has no active membership of {clinic.name}, so a token cannot act "
            "for them there.",
            fields={"clinic": [f"{user.email} does not work at {clinic.name}."]},
        )
    for _attempt in range(5):
        raw = token_generate()
        token = ApiToken(
            clinic=clinic,
            user=user,
            name=name,
            prefix=token_prefix(raw),
            secret_hash=token_hash(raw),
        )
        try:
            token.full_clean()
        except ValidationError as exc:
            if "prefix" in getattr(exc, "message_dict", {}):
                continue  # two tokens may share a prefix by chance: draw again
            raise validation_error_from_django(exc) from None
        try:
            with transaction.atomic():
                token.save()
                audit_record(
                    clinic=clinic,
                    actor=actor,
                    event_type=AuditEventType.API_TOKEN_CREATED,
                    subject_type="api_token",
                    subject_id=token.pk,
                    after=_token_summary(token),
                )
        except IntegrityError:
            continue  # a concurrent token took the same prefix between check and save
        return token, raw
    raise Conflict("Could not issue a token just now; please try again.")


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    """Stop a token working, at once and for good. The row stays, for the audit trail."""
    locked = ApiToken.objects.select_for_update().select_related("user", "clinic").get(pk=token.pk)
    if locked.revoked_at is not None:
        raise Conflict(
            f"Token {locked.prefix}… was already revoked on "
            f"{timezone.localtime(locked.revoked_at):%d %b %Y at %H:%M}."
        )
    before = _token_summary(locked)
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        clinic=locked.clinic,
        actor=actor,
        event_type=AuditEventType.API_TOKEN_REVOKED,
        subject_type="api_token",
        subject_id=locked.pk,
        before=before,
        after=_token_summary(locked),
    )
    token.revoked_at = locked.revoked_at
    return locked


def api_token_mark_used(*, token: ApiToken, now: datetime | None = None) -> None:
    """Note that a token was just used (at most once a minute; not an audited change)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    from pistor.core.write_queue import sqlite_write_queue

    # Best effort: under a flood on SQLite, skip the stamp rather than wait for the writer.
    with sqlite_write_queue(timeout=2) as acquired:
        if not acquired:
            return
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
