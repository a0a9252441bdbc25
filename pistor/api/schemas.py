"""Building blocks shared by the API's schemas: clean text, plain dates, the error shape."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, StringConstraints

from pistor.api.errors import ErrorOut
from pistor.core.forms import EARLIEST_DATE, LATEST_DATE

__all__ = [
    "ERROR_RESPONSES",
    "CleanStr",
    "ClinicDate",
    "Code",
    "ErrorOut",
    "InputSchema",
    "PlainDate",
    "no_control_characters",
]


class InputSchema(Schema):
    """The base of every request body: a field the server does not know is refused (422),
    never silently dropped, so a misspelt ``"pregnnant": true`` cannot screen as "no"."""

    model_config = ConfigDict(extra="forbid")


# A catalog code as the catalog writes them: lower-case words joined by hyphens.
Code = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=100)
]

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


# The calendar the clinic works in. Dates far outside it are typing slips, and arithmetic on
# them (a course planned from 9999-12-20) would overflow the calendar.


def _within_clinic_calendar(value: dt.date) -> dt.date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(
            f"Give a date between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}."
        )
    return value


ClinicDate = Annotated[PlainDate, AfterValidator(_within_clinic_calendar)]


class AddendumIn(InputSchema):
    """A correction or note beside a signed record: what, and why it comes after signing."""

    text: CleanStr = Field(..., max_length=5000)
    reason: CleanStr = Field(..., max_length=5000)


class AddendumOut(Schema):
    text: str
    reason: str
    written_at: dt.datetime
    author: str

    @staticmethod
    def resolve_author(obj: Any) -> str:
        return str(obj.author)
