"""Background work of the audit trail (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def seal_audit_trail() -> int:
    """Seal what has committed since the last seal; skip if another sealer is running."""
    from pistor.audit.services import audit_seal

    return audit_seal(wait=False).sealed
