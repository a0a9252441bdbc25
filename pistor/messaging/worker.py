"""What ``pistor worker`` does for messages each round, beside sealing the audit trail.

django-tasks has no periodic tasks, so the worker schedules: each round it enqueues the
daily jobs that have come due (``jobs.due_jobs_enqueue``, once per clinic-local day),
the frequent sweep (appointment reminders, aftercare) every few minutes, the photograph
file sweep once a day (and once when it starts, after whatever stopped it), and then runs
what the database backend has queued. With the immediate backend (tests, or
``PISTOR_TASKS_BACKEND``), enqueuing runs the task at once and there is no queue to run.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass

from django.utils import timezone
from django_tasks import task_backends

from pistor.messaging.constants import SWEEP_INTERVAL_SECONDS
from pistor.messaging.jobs import due_jobs_enqueue
from pistor.messaging.tasks import messaging_sweep
from pistor.photos.tasks import photo_files_sweep_daily

MAX_TASKS_PER_ROUND = 100
# Finished task rows are kept two weeks (to look into a failure), then removed, or the table
# would grow by a row for every audit seal; django-tasks-db's own default age.
TASK_RESULTS_KEPT_DAYS = 14
PRUNE_INTERVAL_SECONDS = 3600
# Leftover photograph files come only from failures (photos.services.photo_files_sweep), so
# a daily look is enough; listing every stored file more often would cost a large clinic.
PHOTO_SWEEP_INTERVAL_SECONDS = 24 * 3600


@dataclass
class WorkerState:
    last_sweep: float | None = None
    last_prune: float | None = None
    last_photo_sweep: float | None = None


def finished_tasks_prune(*, now: dt.datetime) -> int:
    """Delete finished task results older than two weeks; returns how many."""
    from django_tasks_db.models import DBTaskResult

    old = DBTaskResult.objects.finished().filter(
        finished_at__lte=now - dt.timedelta(days=TASK_RESULTS_KEPT_DAYS)
    )
    return int(old.delete()[0])


def queued_tasks_run(*, max_tasks: int = MAX_TASKS_PER_ROUND) -> bool:
    """Run up to ``max_tasks`` queued tasks of the database backend; False when the
    configured backend keeps no queue."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.management.commands.db_worker import Worker

    if not isinstance(task_backends["default"], DatabaseBackend):
        return False
    Worker(
        queue_names=["*"],
        excluded_queue_names=[],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=f"pistor-worker-{os.getpid()}",
    ).run()
    return True


def worker_round(
    state: WorkerState, *, now: dt.datetime | None = None, monotonic: float | None = None
) -> None:
    due_jobs_enqueue(now=now)
    tick = time.monotonic() if monotonic is None else monotonic
    if state.last_sweep is None or tick - state.last_sweep >= SWEEP_INTERVAL_SECONDS:
        messaging_sweep.enqueue()
        state.last_sweep = tick
    photo_sweep_due = state.last_photo_sweep is None or (
        tick - state.last_photo_sweep >= PHOTO_SWEEP_INTERVAL_SECONDS
    )
    if photo_sweep_due:
        # A task, not a call: a failing sweep is recorded with its task and does not hold up
        # the reminders. Two workers sweeping at once do no harm: the storage takes a file
        # already removed as removed.
        photo_files_sweep_daily.enqueue()
        state.last_photo_sweep = tick
    ran = queued_tasks_run()
    if ran and (state.last_prune is None or tick - state.last_prune >= PRUNE_INTERVAL_SECONDS):
        # The backend stamps finished_at with the real time, so prune by it too.
        finished_tasks_prune(now=timezone.now())
        state.last_prune = tick
