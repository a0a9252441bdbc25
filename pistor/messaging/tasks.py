"""The reminder jobs as django-tasks tasks, run by ``pistor worker`` (database backend)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def messaging_sweep() -> int:
    """Appointment reminders and aftercare for every clinic; returns messages logged."""
    from pistor.messaging.jobs import sweep

    return sweep()


@task()
def daily_job_run(*, clinic_id: int, job: str, now: str) -> int:
    """One daily job for one clinic, as of ``now`` (ISO time the scheduler enqueued it)."""
    from pistor.clinics.models import Clinic
    from pistor.messaging.jobs import DAILY_JOBS

    clinic = Clinic.objects.get(pk=clinic_id)
    return len(DAILY_JOBS[job](clinic=clinic, now=dt.datetime.fromisoformat(now)))
