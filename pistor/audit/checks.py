"""A system check: say so when the audit key is derived rather than set."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.checks import register


@register(deploy=True)
def audit_key_is_set(app_configs: Any = None, **kwargs: Any) -> list[CheckWarning]:
    if settings.DEBUG or settings.TESTING or os.environ.get("PISTOR_AUDIT_KEY"):
        return []
    return [
        CheckWarning(
            "PISTOR_AUDIT_KEY is not set; the audit trail's key is derived from SECRET_KEY.",
            hint="Set PISTOR_AUDIT_KEY to a long random string before SECRET_KEY is ever "
            "changed, or the trail sealed so far will no longer verify.",
            id="pistor.audit.W001",
        )
    ]
