"""The daily stock alert email to each clinic's managers, through django-tasks.

``pistor worker`` sends it every day through the message log
(``pistor.messaging.jobs.stock_alerts_send``, which reuses ``alert_text``);
``pistor inventory alerts`` sends it at once. The message names products and lots only,
never patients.
"""

from __future__ import annotations

import datetime as dt

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.clinics.models import Clinic, Membership, Role
from pistor.inventory.selectors import Alerts, alerts_get


def alert_text(clinic: Clinic, found: Alerts) -> str:
    lines = [f"Stock alerts for {clinic.name}, {timezone.localdate():%d %b %Y}.", ""]
    if found.low_stock:
        lines.append("Below the reorder level:")
        lines += [
            f"  - {p.name}: {getattr(p, 'on_hand', 0):f} {p.stock_unit} usable "
            f"(reorder at {p.reorder_level:f})"
            for p in found.low_stock
        ]
    if found.expiring:
        lines.append(f"Expiring within {found.settings.expiry_alert_days} days:")
        lines += [
            f"  - {b.product.name} lot {b.lot}: expires {b.expires_on:%d %b %Y}, "
            f"{b.quantity_on_hand:f} {b.product.stock_unit} left"
            for b in found.expiring
        ]
    if found.containers:
        lines.append("Opened vials near or past their in-use limit:")
        lines += [
            f"  - vial #{c.pk} of {c.batch.product.name} lot {c.batch.lot}: use by "
            f"{timezone.localtime(c.expires_at):%d %b %H:%M}"
            for c in found.containers
        ]
    if found.cold_chain:
        lines.append("Possible cold-chain break:")
        lines += [
            f"  - {b.product.name} lot {b.lot}: {b.cold_chain_flag}" for b in found.cold_chain
        ]
    return "\n".join(lines)


def inventory_alerts_send(*, clinic: Clinic, now: dt.datetime | None = None) -> int:
    """Email the clinic's active managers its stock alerts; nothing is sent when there are
    none. Returns the number of recipients."""
    found = alerts_get(clinic=clinic, now=now)
    if not found.count:
        return 0
    recipients = sorted(
        Membership.objects.filter(
            clinic=clinic, role=Role.MANAGER, is_active=True, user__is_active=True
        ).values_list("user__email", flat=True)
    )
    if not recipients:
        return 0
    with transaction.atomic():
        audit_record(
            clinic=clinic,
            actor=None,
            event_type=AuditEventType.INVENTORY_ALERTS_SENT,
            subject_type="clinic",
            subject_id=clinic.pk,
            after={"alerts": found.count, "recipients": len(recipients)},
        )
        subject = f"Pistor: {found.count} stock alert{'s' if found.count != 1 else ''}"
        body = alert_text(clinic, found)
        transaction.on_commit(
            lambda: send_mail(subject, body, None, recipients, fail_silently=False)
        )
    return len(recipients)


@task()
def inventory_alerts_daily() -> int:
    """Send every clinic's stock alerts; returns how many emails went out."""
    return sum(inventory_alerts_send(clinic=clinic) for clinic in Clinic.objects.order_by("pk"))
