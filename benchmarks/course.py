"""Whole-course proposal over a full calendar: Pistor's planner beside the straightforward one.

    PYTHONPATH=. .venv/bin/python benchmarks/course.py            # about two minutes
    PYTHONPATH=. .venv/bin/python benchmarks/course.py --quick    # fewer repeats

Prints figures; asserts nothing about time. In a throw-away SQLite database (the embedded
default's settings), ``pistor seed`` (``seed_database``, with the scheduling generator of
``pistor/scheduling/seed.py``) makes a clinic with five practitioners, three rooms and twelve
months of appointments filling 70 % of the practitioners' time, and a second clinic filled
to 35 %. For plans of 4, 8 and 16 sessions (seed 004's ten weekly sessions then monthly)
it times:

- **Pistor**: ``scheduling.course.course_propose``: the calendars of the course's span
  loaded once (a fixed number of queries), then each session placed by
  ``clinical.slots.find_slots`` (each candidate start checked in O(log n)).
- **Straightforward**: the same rules (opening and working hours, practitioner and room
  free with the buffer, the course's own earlier sessions, the same preference order),
  asking the database once per candidate slot whether the practitioners and rooms are free.

Both run on the same data in the same process, one after the other.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import _django  # noqa: E402 - the benchmarks' shared Django set-up

SESSION_COUNTS = (4, 8, 16)


def _plan(clinic: Any, patient_id: int, sessions: int) -> Any:
    from pistor.clinics.models import Membership
    from pistor.patients.models import Patient
    from pistor.plans.models import PlanSession
    from pistor.plans.services import plan_create

    author = Membership.objects.filter(clinic=clinic).select_related("user").first()
    assert author is not None
    plan = plan_create(
        clinic=clinic,
        patient=Patient.objects.get(pk=patient_id),
        by=author.user,
        indication_code="skin-rejuvenation",
        protocol_code="seed-course-10-weekly",
        first_session=dt.date(2026, 1, 5),
        areas=["face"],
        technique_code="nappage",
        product_codes=["nctf-135ha"],
    )
    PlanSession.objects.filter(plan=plan, number__gt=sessions).delete()
    assert PlanSession.objects.filter(plan=plan).count() == sessions
    return plan


def straightforward_propose(*, clinic: Any, plan: Any, appointment_type: Any) -> list[Any]:
    """One availability query per candidate slot; the same rules and preferences."""
    from zoneinfo import ZoneInfo

    from pistor.clinical.slots import local_instant
    from pistor.core import clock
    from pistor.scheduling.models import OpeningHours, Resource, WorkingHours
    from pistor.scheduling.selectors import live_appointments

    tz = ZoneInfo(clinic.time_zone)
    now = clock.now()
    duration = dt.timedelta(minutes=appointment_type.duration_minutes)
    until = duration + dt.timedelta(minutes=appointment_type.buffer_minutes)
    opening = {o.weekday: (o.opens, o.closes) for o in OpeningHours.objects.filter(clinic=clinic)}
    hours: dict[int, dict[int, tuple[dt.time, dt.time]]] = {}
    for w in WorkingHours.objects.filter(clinic=clinic):
        hours.setdefault(w.staff_id, {})[w.weekday] = (w.starts, w.ends)
    staff_ids = sorted(hours)
    rooms = list(Resource.objects.filter(clinic=clinic, kind="room").values_list("pk", flat=True))
    placed: list[tuple[dt.datetime, dt.datetime, int, int]] = []  # start, until, staff, room
    anchor: tuple[int, int, dt.time] | None = None
    out = []
    for session in plan.planned_sessions.order_by("number"):
        candidates = []
        day = session.earliest
        while day <= session.latest:
            if day.weekday() in opening:
                opens, closes = opening[day.weekday()]
                t = local_instant(day, opens, tz)
                end_of_day = local_instant(day, closes, tz)
                while t + duration <= end_of_day:
                    if t >= now:
                        # The one query for this candidate: who and what is taken then.
                        taken = list(
                            live_appointments(clinic=clinic)
                            .filter(starts_at__lt=t + until, occupied_until__gt=t)
                            .values_list("staff_id", "room_id")
                        )
                        busy_staff = {s for s, _ in taken}
                        busy_rooms = {r for _, r in taken if r}
                        for p_start, p_until, p_staff, p_room in placed:
                            if p_start < t + until and t < p_until:
                                busy_staff.add(p_staff)
                                busy_rooms.add(p_room)
                        room = next((r for r in rooms if r not in busy_rooms), None)
                        local = t.astimezone(tz)
                        for staff_id in staff_ids:
                            span = hours[staff_id].get(day.weekday())
                            if (
                                room is not None
                                and staff_id not in busy_staff
                                and span is not None
                                and span[0] <= local.time()
                                and (local + duration).time() <= span[1]
                            ):
                                candidates.append((t, staff_id, room))
                    t += dt.timedelta(minutes=15)
            day += dt.timedelta(days=1)
        if not candidates:
            out.append((session.number, None))
            continue

        def rank(
            c: tuple[dt.datetime, int, int],
            target: dt.date = session.target,
            anchor: tuple[int, int, dt.time] | None = anchor,
        ) -> tuple[Any, ...]:
            local = c[0].astimezone(tz)
            days_off = abs((local.date() - target).days)
            if anchor is None:
                return (0, 0, days_off, 0, c[0])
            same = 0 if c[1] == anchor[0] else 1
            weekday = 0 if local.weekday() == anchor[1] else 1
            minutes = abs(local.hour * 60 + local.minute - (anchor[2].hour * 60 + anchor[2].minute))
            return (same, weekday, minutes, days_off, c[0])

        best = min(candidates, key=rank)
        if anchor is None:
            local = best[0].astimezone(tz)
            anchor = (best[1], local.weekday(), local.time())
        placed.append((best[0], best[0] + until, best[1], best[2]))
        out.append((session.number, best[0]))
    return out


def _median_time(func: Any, repeats: int) -> tuple[float, Any, int]:
    from django.db import connection, reset_queries

    times, result, queries = [], None, 0
    for _ in range(repeats):
        reset_queries()
        connection.force_debug_cursor = True
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
        queries = len(connection.queries)
        connection.force_debug_cursor = False
    return statistics.median(times), result, queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--pistor-only",
        action="store_true",
        help="skip the straightforward planner (minutes); for a quick look, not for the record",
    )
    args = parser.parse_args()
    repeats = 3 if args.quick else 5
    with tempfile.TemporaryDirectory(prefix="pistor-course-bench-") as tmp:
        _django(Path(tmp))
        from django.conf import settings

        settings.DEBUG = False

        from pistor.core import clock
        from pistor.demo.seed import seed_database
        from pistor.patients.models import Patient
        from pistor.scheduling import seed as scheduling_seed
        from pistor.scheduling.course import course_propose
        from pistor.scheduling.models import Appointment, AppointmentType
        from pistor.scheduling.selectors import calendars_load

        made = {}
        for seed, fill in ((70, 0.7), (35, 0.35)):
            scheduling_seed.FILL = fill
            started = time.perf_counter()
            report = seed_database(clinics=1, patients=2_000, seed=seed)
            clinic = report.clinics[0]
            count = Appointment.objects.filter(clinic=clinic).count()
            made[fill] = clinic
            print(
                f"pistor seed --seed {seed}: {count:,} appointments over 12 months "
                f"({fill:.0%} of 5 practitioners' time, 3 rooms) in "
                f"{time.perf_counter() - started:.1f} s"
            )
        clock.advance(
            dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC) - clock.now()
        )  # the seeded calendar starts on REFERENCE_DAY
        print()
        print(
            f"{'fill':>5} {'sessions':>8} | {'Pistor median':>14} {'queries':>7} "
            f"{'placed':>6} | {'straightforward':>15} {'queries':>7} {'placed':>6} | ratio"
        )
        for fill, clinic in made.items():
            kind = AppointmentType.objects.get(clinic=clinic, code="treatment-session")
            patients = list(
                Patient.objects.filter(clinic=clinic)
                .order_by("pk")
                .values_list("pk", flat=True)[: len(SESSION_COUNTS)]
            )
            for n, patient_id in zip(SESSION_COUNTS, patients, strict=True):
                plan = _plan(clinic, patient_id, n)
                fast, proposal, fast_queries = _median_time(
                    lambda plan=plan, kind=kind, clinic=clinic: course_propose(
                        clinic=clinic, plan=plan, appointment_type=kind
                    ),
                    repeats,
                )
                sessions = list(plan.planned_sessions.all())
                load, _cals, _q = _median_time(
                    lambda clinic=clinic, sessions=sessions: calendars_load(
                        clinic=clinic,
                        day_from=min(x.earliest for x in sessions),
                        day_to=max(x.latest for x in sessions),
                    ),
                    repeats,
                )
                span = Appointment.objects.filter(
                    clinic=clinic,
                    starts_at__date__gte=min(x.earliest for x in sessions),
                    starts_at__date__lte=max(x.latest for x in sessions),
                ).count()
                if args.pistor_only:
                    print(
                        f"{fill:>5.0%} {n:>8} | {fast * 1000:>11.1f} ms {fast_queries:>7} "
                        f"{len(proposal.placed):>6} | {span:,} appointments in the course's span "
                        f"loaded in {load * 1000:.0f} ms; placing: "
                        f"{(fast - load) * 1000 / n:.1f} ms per session"
                    )
                    continue
                slow, naive, slow_queries = _median_time(
                    lambda plan=plan, kind=kind, clinic=clinic: straightforward_propose(
                        clinic=clinic, plan=plan, appointment_type=kind
                    ),
                    max(1, repeats - 2),
                )
                placed = len(proposal.placed)
                naive_placed = sum(1 for _, start in naive if start is not None)
                print(
                    f"{fill:>5.0%} {n:>8} | {fast * 1000:>11.1f} ms {fast_queries:>7} "
                    f"{placed:>6} | {slow * 1000:>12.1f} ms {slow_queries:>7} "
                    f"{naive_placed:>6} | {slow / fast:.0f}x | {span:,} appointments in span, "
                    f"loading {load * 1000:.0f} ms, placing {(fast - load) * 1000 / n:.1f} ms "
                    "per session"
                )
        clock.reset()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
