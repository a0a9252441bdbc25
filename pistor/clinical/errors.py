"""Errors raised by the clinical core, each naming the field that was wrong."""

from __future__ import annotations


class ClinicalDataError(ValueError):
    """Bad clinical data or input: an unknown code, a negative depth, a unit that does not fit.

    ``field`` names the offending field so pages and the API can attach the message to it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str | None]:
        return {"message": self.message, "field": self.field}


class UnitMismatchError(ClinicalDataError):
    """A quantity was given in a unit that does not fit what was asked for."""
