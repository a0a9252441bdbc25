"""Keeping patient data out of the application logs.

An exception's message may quote stored values (an integrity error names the row, a
validation error repeats the input), so logs carry an exception's type and code path,
never its message. Request lines are not logged either: search terms carry names.
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType


def redacted_traceback(exc_type: type[BaseException] | None, tb: TracebackType | None) -> str:
    """The code path of an exception and its type, without its message."""
    frames = "".join(traceback.format_tb(tb))
    name = exc_type.__name__ if exc_type is not None else "Exception"
    return f"Traceback (most recent call last):\n{frames}{name}: <message withheld>"


class RedactExceptionMessages(logging.Filter):
    """Replaces a record's exception with its redacted traceback before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _, tb = record.exc_info
            record.exc_text = redacted_traceback(exc_type, tb)
            record.exc_info = None
        return True
