"""Building blocks shared by the API's schemas: clean text, plain dates, the error shape."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from pistor.api.errors import ErrorOut

__all__ = ["ERROR_RESPONSES", "CleanStr", "ErrorOut", "PlainDate", "no_control_characters"]

# Every status an authenticated endpoint may answer besides success, for the schema.
ERROR_RESPONSES: dict[frozenset[int], Any] = {
    frozenset({400, 401, 403, 404, 409, 422}): ErrorOut,
}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def no_control_characters(value: str) -> str:
    # NUL cannot be stored by PostgreSQL and a lone surrogate cannot be encoded at all;
    # refusing them here turns what would be a crash into a clear 422.
    if "\x00" in value:
        raise ValueError("Text cannot contain the NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text contains characters that are not valid Unicode.") from None
    return value


# Give the length limits with ``Field(max_length=...)`` where the alias is used.
CleanStr = Annotated[str, AfterValidator(no_control_characters)]


def _iso_date(value: Any) -> Any:
    # Pydantic would also take a Unix timestamp or a datetime; a date of birth given as
    # 0 silently becoming 1970-01-01 is a mistake to refuse, not to guess.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("Give the date as YYYY-MM-DD, e.g. 1985-03-02.")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a date in the calendar.") from None


PlainDate = Annotated[dt.date, BeforeValidator(_iso_date)]
