"""The reminder jobs and the worker's due-jobs scheduler.

Each job finds what is due (``selectors``) and sends through ``message_send``, which logs
every message and never sends the same occasion twice; so running a job again, or two
workers at once, sends nothing more. ``due_jobs_enqueue`` is the scheduler django-tasks
lacks: the worker calls it every round, and it enqueues each daily job once per
clinic-local day, at the clinic's chosen hour, recorded in ``DueJobRun``.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import formats

from pistor.audit.events import AuditEventType
from pistor.audit.services import audit_record
from pistor.clinics.models import Clinic, Membership, Role
from pistor.core import clock
from pistor.inventory.selectors import alerts_get
from pistor.inventory.tasks import alert_text
from pistor.messaging.constants import DAILY_HOUR_DEFAULT, DailyJob, Kind
from pistor.messaging.models import DueJobRun, Message, MessagingSettings
from pistor.messaging.selectors import (
    aftercare_key,
    appointment_reminder_key,
    appointments_due_reminder,
    clinic_zone,
    course_due_list,
    sessions_due_aftercare,
)
from pistor.messaging.services import Attachment, message_send

if TYPE_CHECKING:
    from collections.abc import Callable


def _local(value: dt.datetime, clinic: Clinic) -> dt.datetime:
    return value.astimezone(clinic_zone(clinic))


def _day(value: dt.date) -> str:
    return formats.date_format(value, "l j F Y")


def appointment_reminders_send(*, clinic: Clinic, now: dt.datetime | None = None) -> list[Message]:
    """Remind each patient of a booked appointment within the clinic's reminder period."""
    now = now or clock.now()
    sent = []
    for appointment in appointments_due_reminder(clinic=clinic, now=now):
        starts = _local(appointment.starts_at, clinic)
        message = message_send(
            clinic=clinic,
            kind=Kind.APPOINTMENT_REMINDER,
            dedupe_key=appointment_reminder_key(appointment),
            template="appointment_reminder",
            context={
                "visit": appointment.appointment_type.name,
                "day": _day(starts.date()),
                "time": f"{starts:%H:%M}",
            },
            patient=appointment.patient,
            subject_type="appointment",
            subject_id=appointment.pk,
            now=now,
        )
        if message is not None:
            sent.append(message)
    return sent


def aftercare_send_due(*, clinic: Clinic, now: dt.datetime | None = None) -> list[Message]:
    """Send the aftercare advice, with the aftercare sheet as a PDF, for each session signed
    in the last two days: the same advice and sheet as the session's aftercare page."""
    from pistor.treatments.pdf import aftercare_pdf  # WeasyPrint loads slowly
    from pistor.treatments.selectors import aftercare_for_session

    now = now or clock.now()
    sent = []
    for session in sessions_due_aftercare(clinic=clinic, now=now):
        aftercare = aftercare_for_session(session=session)
        window = aftercare.next_window
        message = message_send(
            clinic=clinic,
            kind=Kind.AFTERCARE,
            dedupe_key=aftercare_key(session),
            template="aftercare",
            context={
                "aftercare": aftercare,
                "day": _day(_local(session.started_at, clinic).date()),
                "next_from": _day(window[0]) if window else "",
                "next_to": _day(window[1]) if window else "",
            },
            patient=session.patient,
            subject_type="treatment_session",
            subject_id=session.pk,
            attachments=[
                Attachment(
                    "aftercare.pdf",
                    aftercare_pdf(session=session, aftercare=aftercare),
                    "application/pdf",
                )
            ],
            now=now,
        )
        if message is not None:
            sent.append(message)
    return sent


def course_reminders_send(*, clinic: Clinic, now: dt.datetime | None = None) -> list[Message]:
    """Ask patients to book the next session of their course, or their maintenance top-up,
    once its window has opened and nothing is booked (once per session)."""
    now = now or clock.now()
    sent = []
    for item in course_due_list(clinic=clinic, now=now):
        if item.message is not None:
            continue
        message = message_send(
            clinic=clinic,
            kind=item.kind,
            dedupe_key=item.key,
            template=str(item.kind),
            context={
                "number": item.number,
                "protocol": item.plan.protocol_name,
                "opens": _day(item.opens),
                "closes": _day(item.closes),
            },
            patient=item.patient,
            subject_type="plan",
            subject_id=item.plan.pk,
            now=now,
        )
        if message is not None:
            sent.append(message)
    return sent


def stock_alerts_send(*, clinic: Clinic, now: dt.datetime | None = None) -> list[Message]:
    """Issue 9's daily stock alert email to each active manager, through the message log:
    the alerts as ``pistor inventory alerts`` computes and words them; nothing when there
    are none. Once per manager per clinic-local day."""
    now = now or clock.now()
    found = alerts_get(clinic=clinic, now=now)
    if not found.count:
        return []
    managers = Membership.objects.filter(
        clinic=clinic, role=Role.MANAGER, is_active=True, user__is_active=True
    ).select_related("user")
    today = _local(now, clinic).date()
    sent = []
    for manager in managers.order_by("pk"):
        message = message_send(
            clinic=clinic,
            kind=Kind.STOCK_ALERT,
            dedupe_key=f"stock-alerts:{today.isoformat()}:{manager.pk}",
            template="stock_alert",
            context={"count": found.count, "text": alert_text(clinic, found)},
            staff=manager,
            subject_type="clinic",
            subject_id=clinic.pk,
            now=now,
        )
        if message is not None:
            sent.append(message)
    return sent


# ---------------------------------------------------------------------------- scheduling

DAILY_JOBS: dict[str, Callable[..., list[Message]]] = {
    DailyJob.COURSE_REMINDERS: course_reminders_send,
    DailyJob.STOCK_ALERTS: stock_alerts_send,
}


def due_jobs_enqueue(*, now: dt.datetime | None = None) -> list[DueJobRun]:
    """Enqueue each daily job for each clinic whose local time has reached its daily hour
    and that has not had it today (clinic-local day). A ``DueJobRun`` row per job and day,
    unique in the database, makes a restart or a second worker enqueue nothing more.

    Comparing the local wall-clock hour (not adding 24 hours to the last run) keeps the
    jobs at the same local hour across daylight-saving changes; a day of 23 or 25 hours
    still runs them once."""
    from pistor.messaging.tasks import daily_job_run

    now = now or clock.now()
    hours = {
        s.clinic_id: s.daily_hour for s in MessagingSettings.objects.only("clinic_id", "daily_hour")
    }
    created: list[DueJobRun] = []
    for clinic in Clinic.objects.filter(is_active=True).order_by("pk"):
        local = _local(now, clinic)
        if local.hour < hours.get(clinic.pk, DAILY_HOUR_DEFAULT):
            continue
        for job in DailyJob:
            run = DueJobRun(clinic=clinic, job=job, local_date=local.date(), enqueued_at=now)
            try:
                with transaction.atomic():
                    run.save()
                    audit_record(
                        clinic=clinic,
                        actor=None,
                        event_type=AuditEventType.DAILY_JOB_ENQUEUED,
                        subject_type="clinic",
                        subject_id=clinic.pk,
                        after={"job": str(job), "local_date": local.date().isoformat()},
                    )
                    transaction.on_commit(
                        functools.partial(
                            daily_job_run.enqueue,
                            clinic_id=clinic.pk,
                            job=str(job),
                            now=now.isoformat(),
                        )
                    )
            except IntegrityError:
                continue  # already enqueued for this clinic-local day
            created.append(run)
    return created


def sweep(*, now: dt.datetime | None = None) -> int:
    """The frequent jobs for every clinic: appointment reminders and aftercare."""
    now = now or clock.now()
    count = 0
    for clinic in Clinic.objects.filter(is_active=True).order_by("pk"):
        count += len(appointment_reminders_send(clinic=clinic, now=now))
        count += len(aftercare_send_due(clinic=clinic, now=now))
    return count
