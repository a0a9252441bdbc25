"""Text messages through a pluggable backend, chosen by ``settings.SMS_BACKEND``.

No paid service is needed: the console backend prints, the file backend writes one file
per message into ``settings.SMS_FILE_PATH`` (read them as a clinic would read a phone), and
the memory backend keeps an outbox for tests. A clinic connects a provider by writing a
class with the same ``send`` and naming it in ``PISTOR_SMS_BACKEND``.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

from pistor.core.errors import ValidationFailed

# E.164-ish: a leading + or digit, then digits, spaces, dashes, brackets; 7 to 15 digits.
_PHONE = re.compile(r"^\+?[0-9 ()\-]{7,24}$")
MAX_SMS_CHARS = 612  # four concatenated segments; longer texts belong in an email


@runtime_checkable
class SmsBackend(Protocol):
    def send(self, *, to: str, text: str) -> str:
        """Send ``text`` to the phone number ``to``; return the provider's message id.
        Raise on failure: the caller records it as failed."""
        ...


def normalise_number(number: str) -> str:
    cleaned = number.strip()
    digits = re.sub(r"\D", "", cleaned)
    if not _PHONE.match(cleaned) or not 7 <= len(digits) <= 15:
        raise ValidationFailed(
            "This is not a phone number a text message can be sent to.",
            fields={"to": ["Use digits, with the country code after a + if abroad."]},
        )
    return ("+" if cleaned.startswith("+") else "") + digits


def _check(text: str) -> None:
    if not text.strip():
        raise ValidationFailed("A text message cannot be empty.", fields={"text": ["Empty."]})
    if len(text) > MAX_SMS_CHARS:
        raise ValidationFailed(
            f"A text message is at most {MAX_SMS_CHARS} characters.",
            fields={"text": [f"{len(text)} characters."]},
        )


class ConsoleSmsBackend:
    """Prints each message to standard output (development and the demo)."""

    def send(self, *, to: str, text: str) -> str:
        number = normalise_number(to)
        _check(text)
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        sys.stdout.write(f"--- SMS {message_id} to {number} ---\n{text}\n---\n")
        sys.stdout.flush()
        return message_id


class FileSmsBackend:
    """Writes each message to its own file in ``settings.SMS_FILE_PATH``."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory or settings.SMS_FILE_PATH)

    def send(self, *, to: str, text: str) -> str:
        number = normalise_number(to)
        _check(text)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        message_id = f"file-{stamp}-{uuid.uuid4().hex[:8]}"
        path = self.directory / f"{message_id}.txt"
        path.write_text(f"To: {number}\n\n{text}\n", encoding="utf-8")
        path.chmod(0o600)
        return message_id


@dataclass(frozen=True)
class SentSms:
    to: str
    text: str
    message_id: str


#: The memory backend's outbox (tests empty it between tests, like ``mail.outbox``).
outbox: list[SentSms] = []


class MemorySmsBackend:
    """Keeps messages in ``pistor.messaging.sms.outbox`` (tests)."""

    def send(self, *, to: str, text: str) -> str:
        number = normalise_number(to)
        _check(text)
        message_id = f"memory-{len(outbox) + 1}"
        outbox.append(SentSms(number, text, message_id))
        return message_id


def sms_backend() -> SmsBackend:
    backend = import_string(settings.SMS_BACKEND)()
    if not isinstance(backend, SmsBackend):
        raise TypeError(f"{settings.SMS_BACKEND} has no send(*, to, text) method.")
    return backend
