"""``pistor seed``: made-up clinics and patients in bulk, for benchmarks and load tests.

Deterministic: the same ``--seed`` gives the same people, byte for byte, whatever else has
been added since, because every generator draws from its own random stream, derived from
the seed and the generator's name.

Safe: seeded clinics are recognisable by their slug (``seed-<seed>-<n>``), and the command
refuses to write into a database holding any other clinic (a real clinic's, or the demo's)
unless told ``--force``, so it cannot quietly mix invented patients into real records. It
also refuses to seed the same ``--seed`` twice.

Extensible: an app adds its history (intake facts, consents, sessions, invoices…) by
registering a generator in its own ``seed.py``, found like Django's ``admin.py``::

    # pistor/<app>/seed.py
    from pistor.demo.seed import SeedContext, seed_generator

    @seed_generator("consents", after=("patients",))
    def seed_consents(ctx: SeedContext) -> int:
        for clinic in ctx.clinics:
            ids = ctx.patient_ids[clinic.pk]   # filled by the "patients" generator
            ...                                # build rows with ctx.rng, bulk_create them
        return rows_written

Generators run in one transaction, in registration order with ``after`` respected, and
write with ``bulk_create`` (no services, no per-row audit: these are not real events;
one "clinic.seeded" audit event per clinic records what was made).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from pistor.core.errors import Conflict, ValidationFailed
from pistor.core.planner import planner_statistics_refresh

if TYPE_CHECKING:
    from pistor.clinics.models import Clinic

SEED_SLUG_PREFIX = "seed-"
#: Ages and dates are drawn relative to this fixed day, not today, so a seed gives the
#: same rows whenever it runs (people simply grow older with the calendar).
REFERENCE_DAY = dt.date(2026, 1, 1)
MAX_CLINICS = 1_000
MAX_PATIENTS_PER_CLINIC = 2_000_000


@dataclass
class SeedContext:
    """What generators share: the clinics made, and what earlier generators made in them."""

    seed: int
    clinics: list[Clinic]
    patients_per_clinic: int
    today: dt.date  # REFERENCE_DAY: draw dates relative to it
    now: dt.datetime  # when the seed runs, for timestamps only
    #: Filled by the "patients" generator: each clinic's patient ids, in record-number order.
    patient_ids: dict[int, list[int]] = field(default_factory=dict)
    #: Set for each generator as it runs: its own deterministic random stream.
    rng: random.Random = field(default_factory=random.Random)


Generator = Callable[[SeedContext], int]


@dataclass(frozen=True)
class _Registered:
    name: str
    function: Generator
    after: tuple[str, ...]


_GENERATORS: dict[str, _Registered] = {}


def seed_generator(name: str, *, after: tuple[str, ...] = ()) -> Callable[[Generator], Generator]:
    """Register ``function(ctx) -> rows written`` to run after the generators in ``after``."""

    def register(function: Generator) -> Generator:
        _GENERATORS[name] = _Registered(name, function, tuple(after))
        return function

    return register


def registered_generators() -> list[str]:
    """Generator names in the order they run (dependencies first)."""
    autodiscover_modules("seed")
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in path:
            raise ValueError(f"seed generators depend on each other in a loop: {path}")
        if name not in _GENERATORS:
            raise ValueError(f"seed generator {path[-1]!r} runs after unknown {name!r}")
        for before in _GENERATORS[name].after:
            visit(before, (*path, name))
        ordered.append(name)

    for name in list(_GENERATORS):
        visit(name, ())
    return ordered


def _stream(seed: int, name: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - made-up data


@dataclass(frozen=True)
class SeedReport:
    clinics: list[Clinic]
    rows: dict[str, int]
    seconds: float
    #: CPU time of this process: on a shared machine, the part of ``seconds`` that was ours.
    cpu_seconds: float

    @property
    def patients(self) -> int:
        return self.rows.get("patients", 0)


def _check_safe(*, seed: int, clinics: int, force: bool) -> list[str]:
    from pistor.clinics.models import Clinic

    slugs = [f"{SEED_SLUG_PREFIX}{seed}-{n}" for n in range(1, clinics + 1)]
    if Clinic.objects.filter(slug__in=slugs).exists():
        raise Conflict(
            f"This database already holds clinics seeded with --seed {seed}. Choose another "
            "--seed, or seed a fresh database."
        )
    others = Clinic.objects.exclude(slug__startswith=SEED_SLUG_PREFIX)
    if not force and others.exists():
        names = ", ".join(others.order_by("slug").values_list("slug", flat=True)[:3])
        raise Conflict(
            f"This database holds clinics that were not made by 'pistor seed' ({names}). "
            "Seeding would mix invented patients with them; use a separate database "
            "(DATABASE_URL or PISTOR_DATA_DIR), or pass --force if you mean it."
        )
    return slugs


def _with_dependencies(order: list[str], only: Collection[str]) -> list[str]:
    """The generators in ``only`` and those they run after, in ``order``."""
    wanted: set[str] = set()

    def add(name: str) -> None:
        if name not in wanted:
            wanted.add(name)
            for before in _GENERATORS[name].after:
                add(before)

    for name in only:
        add(name)
    return [name for name in order if name in wanted]


def seed_database(
    *,
    clinics: int = 1,
    patients: int = 1_000,
    seed: int = 1,
    force: bool = False,
    only: Collection[str] | None = None,
) -> SeedReport:
    """Make ``clinics`` clinics with ``patients`` patients each, and every registered
    generator's history (or only the generators named in ``only``, with those they depend
    on), deterministically from ``seed``, in one transaction."""
    from pistor.audit.events import AuditEventType
    from pistor.audit.services import audit_record
    from pistor.clinics.models import Clinic

    problems: dict[str, list[str]] = {}
    if not 1 <= clinics <= MAX_CLINICS:
        problems["clinics"] = [f"Choose between 1 and {MAX_CLINICS} clinics."]
    if not 0 <= patients <= MAX_PATIENTS_PER_CLINIC:
        problems["patients"] = [f"Choose between 0 and {MAX_PATIENTS_PER_CLINIC} patients."]
    if not 0 <= seed < 2**63:
        problems["seed"] = ["The seed is a whole number from 0."]
    order = registered_generators()
    unknown = sorted(set(only or ()) - set(order))
    if unknown:
        problems["only"] = [
            f"No history called {', '.join(unknown)}: choose from {', '.join(order)}."
        ]
    if problems:
        raise ValidationFailed("The seed options need correcting.", fields=problems)
    if only is not None:
        order = _with_dependencies(order, only)
    started, cpu_started = time.perf_counter(), time.process_time()
    with transaction.atomic():
        slugs = _check_safe(seed=seed, clinics=clinics, force=force)
        made = Clinic.objects.bulk_create(
            [
                Clinic(name=f"Seed Clinic {seed}-{n}", slug=slug, time_zone="Europe/London")
                for n, slug in enumerate(slugs, start=1)
            ]
        )
        # bulk_create returns ids on PostgreSQL and SQLite 3.35+; read back to be sure.
        made = list(Clinic.objects.filter(slug__in=slugs).order_by("pk"))
        ctx = SeedContext(
            seed=seed,
            clinics=made,
            patients_per_clinic=patients,
            today=REFERENCE_DAY,
            now=timezone.now(),
        )
        rows: dict[str, int] = {}
        for name in order:
            ctx.rng = _stream(seed, name)
            rows[name] = _GENERATORS[name].function(ctx)
        planner_statistics_refresh()
        for clinic in made:
            audit_record(
                clinic=clinic,
                actor=None,
                event_type=AuditEventType.CLINIC_SEEDED,
                subject_type="clinic",
                subject_id=clinic.pk,
                after={"seed": seed, "generators": order, "patients": patients},
            )
    return SeedReport(
        clinics=made,
        rows=rows,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started,
    )
