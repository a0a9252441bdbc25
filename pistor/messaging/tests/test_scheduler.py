"""The worker's due-jobs scheduler: each daily job once per clinic-local day, at the clinic's
hour, across daylight-saving changes and restarts; and the worker running queued tasks."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core import mail

from pistor.messaging.constants import DailyJob, Kind
from pistor.messaging.jobs import due_jobs_enqueue
from pistor.messaging.models import DueJobRun, Message, MessagingSettings
from pistor.messaging.tests.factories import course_plan, given_sessions, patient
from pistor.scheduling.tests.factories import LONDON

pytestmark = pytest.mark.django_db


def _walk(start: dt.datetime, days: int, step_minutes: int = 15):
    now = start
    while now < start + dt.timedelta(days=days):
        due_jobs_enqueue(now=now)
        now += dt.timedelta(minutes=step_minutes)


@pytest.mark.parametrize(
    "start",
    [
        dt.datetime(2027, 3, 26, 0, 0, tzinfo=dt.UTC),  # clocks go forward on Sunday 28 March
        dt.datetime(2027, 10, 29, 0, 0, tzinfo=dt.UTC),  # and back on Sunday 31 October
    ],
    ids=["spring", "autumn"],
)
def test_daily_jobs_run_once_a_local_day_at_the_same_local_hour_across_dst(clinic, start):
    _walk(start, days=5, step_minutes=30)
    runs = list(DueJobRun.objects.for_clinic(clinic))
    per_day = Counter((r.job, r.local_date) for r in runs)
    assert set(per_day.values()) == {1}
    assert len(per_day) == 5 * len(DailyJob)
    # 08:00 in London every day: 08:00 UTC in winter time, 07:00 UTC in summer time.
    assert {r.enqueued_at.astimezone(LONDON).time() for r in runs} == {dt.time(8, 0)}
    utc_hours = {r.enqueued_at.astimezone(dt.UTC).hour for r in runs}
    assert utc_hours == {7, 8}


def test_an_hour_the_clock_repeats_or_skips_still_runs_once(clinic):
    MessagingSettings.objects.create(clinic=clinic, daily_hour=1)
    _walk(dt.datetime(2027, 10, 30, 12, tzinfo=dt.UTC), days=2, step_minutes=10)  # 01:xx twice
    _walk(dt.datetime(2027, 3, 27, 12, tzinfo=dt.UTC), days=2, step_minutes=10)  # 01:xx never
    per_day = Counter(r.local_date for r in DueJobRun.objects.filter(job=DailyJob.STOCK_ALERTS))
    assert per_day == {
        dt.date(2027, 10, 30): 1, dt.date(2027, 10, 31): 1, dt.date(2027, 11, 1): 1,
        dt.date(2027, 3, 27): 1, dt.date(2027, 3, 28): 1, dt.date(2027, 3, 29): 1,
    }  # fmt: skip
    spring = DueJobRun.objects.get(job=DailyJob.STOCK_ALERTS, local_date=dt.date(2027, 3, 28))
    assert spring.enqueued_at.astimezone(LONDON).time() == dt.time(
        2, 0
    )  # the first moment after 01:00


def test_each_clinic_runs_at_its_own_local_hour(clinic, other_clinic):
    other_clinic.time_zone = "America/New_York"
    other_clinic.save()
    created = due_jobs_enqueue(now=dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC))
    assert {r.clinic_id for r in created} == {clinic.pk}  # 04:00 in New York
    created = due_jobs_enqueue(now=dt.datetime(2027, 1, 4, 13, tzinfo=dt.UTC))
    assert {r.clinic_id for r in created} == {other_clinic.pk}


def test_a_restarted_worker_does_not_send_the_days_messages_again(
    clinic, practitioner, django_capture_on_commit_callbacks
):
    amara = patient(clinic)
    plan = course_plan(clinic, practitioner, amara)
    first = dt.datetime(2027, 1, 4, 10, tzinfo=LONDON)
    given_sessions(plan, practitioner, [first])
    morning = dt.datetime(2027, 1, 11, 8, 5, tzinfo=LONDON)
    with django_capture_on_commit_callbacks(execute=True):
        due_jobs_enqueue(now=morning)
    with django_capture_on_commit_callbacks(execute=True):  # the worker restarted
        assert due_jobs_enqueue(now=morning + dt.timedelta(minutes=1)) == []
    [message] = Message.objects.all()
    assert message.kind == Kind.NEXT_SESSION
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_what_the_database_backend_queued(settings, clinic):
    from django_tasks_db.models import DBTaskResult

    from pistor.messaging.tasks import messaging_sweep
    from pistor.messaging.worker import (
        WorkerState,
        finished_tasks_prune,
        queued_tasks_run,
        worker_round,
    )

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    result = messaging_sweep.enqueue()
    assert not result.is_finished
    assert queued_tasks_run() is True
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
    state = WorkerState()
    worker_round(state, now=dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC), monotonic=1000.0)
    worker_round(state, now=dt.datetime(2027, 1, 4, 9, 1, tzinfo=dt.UTC), monotonic=1060.0)
    # One sweep (the next is due five minutes later), one run of each daily job, and the
    # photograph file sweep the worker runs as it starts (the next is due a day later).
    counts = Counter(r.task_path.rsplit(".", 1)[1] for r in DBTaskResult.objects.all())
    counts.pop("seal_audit_trail", None)  # asked for by the audit events the jobs wrote
    assert counts == {
        "messaging_sweep": 2,
        "daily_job_run": len(DailyJob),
        "photo_files_sweep_daily": 1,
    }
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    # Finished rows are kept two weeks, then cleared away.
    assert finished_tasks_prune(now=dt.datetime.now(dt.UTC)) == 0
    assert finished_tasks_prune(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=15)) > 0
    assert not DBTaskResult.objects.exists()
