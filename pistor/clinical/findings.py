"""What the rules found: one shape for protocol adherence, safety screening and dosing.

A finding's ``code`` is stable so a clinic can override a warning by naming it. Codes that
concern one ingredient, technique or fact carry it after a colon
(``caution:epilepsy:l-carnitine``), so an override names exactly what was weighed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pistor.clinical.catalog.types import Severity

_SEVERITY_RANK = {Severity.BLOCK: 0, Severity.WARN: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    """A sentence a practitioner can act on, with the source tags and facts behind it."""

    code: str
    severity: Severity
    message: str
    evidence: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """The rule that fired, without its subject: ``caution`` for ``caution:x:y``."""
        return self.code.split(":", 1)[0]


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Blocks first, then warnings, then notes; within each, by code and message.

    A fixed order keeps screens, audit records and tests identical for identical inputs.
    """
    unique = dict.fromkeys(findings)
    return tuple(
        sorted(unique, key=lambda f: (_SEVERITY_RANK[f.severity], f.code, f.message, f.evidence))
    )
