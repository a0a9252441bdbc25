"""``pistor seed`` history for outcomes: each seeded patient gets a course of signed
sessions (with the batch used), scale scores at baseline, mid-course and after the course,
and side effects at realistic rates, so the outcomes report can be measured at scale.

Scores go through the clinical core's ``score`` like any other; rows are bulk-inserted
without services or per-row audit (see ``pistor.demo.seed``). Sessions are written as
signed, unplanned ("seeded course"), by one seeded practitioner per clinic.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from pistor.clinical.catalog import load_catalog
from pistor.clinical.scales import score
from pistor.demo.seed import SeedContext, seed_generator

# indication, product, scale, the scale's baseline range, typical improvement per course
COURSES = [
    ("cellulite", "dermaheal-ll", "hexsel-css", (6, 14), -3),
    ("localised-fat", "lipostabil", "circumference", (80, 110), -3),
    ("skin-rejuvenation", "nctf-135ha", "glogau", (2, 4), -1),
    ("hair-loss", "prp-kit", "hair-density", (80, 200), 15),
]
# side effect, chance per session, grades it takes, days it usually lasts (low, high)
EFFECTS = [
    ("erythema", 0.12, (1, 1, 2), (0, 3)),
    ("bruising", 0.08, (1, 1, 2), (3, 12)),
    ("swelling", 0.06, (1, 2, 2), (1, 7)),
    ("pain", 0.04, (1, 2, 3), (1, 5)),
    ("hypersensitivity", 0.003, (2, 3), (1, 10)),
]
BATCHES_PER_PRODUCT = 12
CHUNK = 5_000


def _answers(scale_code: str, target: int) -> dict[str, int | str]:
    scale = load_catalog().scales[scale_code]
    if scale.scoring == "single":
        item = scale.items[0]
        single = min(max(Decimal(target), item.minimum), item.maximum)
        return {item.code: str(single)}
    # Spread a sum over the items, each within its range.
    left = target
    answers: dict[str, int | str] = {}
    for item in scale.items:
        part = int(min(max(left, int(item.minimum)), int(item.maximum)))
        answers[item.code] = part
        left -= part
    return answers


@seed_generator("outcomes", after=("patients",))
def seed_outcomes(ctx: SeedContext) -> int:
    from pistor.accounts.models import User
    from pistor.clinical.catalog import CATALOG_VERSION
    from pistor.inventory.models import Batch, StockProduct
    from pistor.outcomes.models import Measurement, SideEffect
    from pistor.records.constants import RecordStatus
    from pistor.treatments.models import CocktailLine, TreatmentSession

    catalog = load_catalog()
    written = 0
    for clinic in ctx.clinics:
        user = User.objects.create(
            email=f"practitioner@{clinic.slug}.seed.invalid", full_name="Seeded Practitioner"
        )
        batches: dict[str, list[Batch]] = {}
        for _ind, code, *_rest in COURSES:
            product = StockProduct.objects.create(
                clinic=clinic, code=code, name=catalog.products[code].name, form="vial"
            )
            batches[code] = Batch.objects.bulk_create(
                Batch(
                    clinic=clinic, product=product, lot=f"{code[:4].upper()}-{n:03d}",
                    expires_on=ctx.today + dt.timedelta(days=400), quantity_received=10_000,
                    quantity_on_hand=5_000, received_at=ctx.now, received_by=user,
                )
                for n in range(1, BATCHES_PER_PRODUCT + 1)
            )  # fmt: skip
            written += 1 + BATCHES_PER_PRODUCT
        ids = ctx.patient_ids.get(clinic.pk, [])
        for start in range(0, len(ids), CHUNK):
            with transaction.atomic():
                written += _chunk(
                    ctx, clinic, user, ids[start : start + CHUNK], batches, catalog,
                    models=(TreatmentSession, CocktailLine, Measurement, SideEffect),
                    signed=RecordStatus.SIGNED, version=CATALOG_VERSION,
                )  # fmt: skip
    return written


def _chunk(ctx, clinic, user, patient_ids, batches, catalog, *, models, signed, version):
    TreatmentSession, CocktailLine, Measurement, SideEffect = models  # noqa: N806
    rng = ctx.rng
    sessions, plans = [], []
    for patient_id in patient_ids:
        indication, product, scale, (low, high), drift = rng.choice(COURSES)
        protocol = catalog.indications[indication].protocols[0]
        first = ctx.today - dt.timedelta(days=rng.randint(60, 700))
        count = rng.randint(3, 8)
        batch = rng.choice(batches[product])
        days = [first + dt.timedelta(days=7 * k) for k in range(count)]
        plans.append((patient_id, indication, protocol, product, scale, low, high, drift, days))
        for day in days:
            at = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
            sessions.append(
                (
                    TreatmentSession(
                        clinic=clinic, patient_id=patient_id, indication_code=indication,
                        unplanned_reason="Seeded course", started_at=at, started_by=user,
                        status=signed, content={}, content_sha256="seed", signed_at=at,
                        signed_by=user,
                    ),
                    batch,
                    product,
                )
            )  # fmt: skip
    made = TreatmentSession.objects.bulk_create([s for s, _b, _p in sessions], batch_size=2000)
    CocktailLine.objects.bulk_create(
        (
            CocktailLine(clinic=clinic, session_id=s.pk, code=product, volume_ml=Decimal(2),
                         batch=batch, lot=batch.lot)
            for s, (_x, batch, product) in zip(made, sessions, strict=True)
        ),
        batch_size=2000,
    )  # fmt: skip
    by_patient: dict[int, list[tuple[int, dt.date, int]]] = {}
    for s, (_x, batch, _p) in zip(made, sessions, strict=True):
        by_patient.setdefault(s.patient_id, []).append((s.pk, s.started_at.date(), batch.pk))
    measurements, effects, links = [], [], []
    for patient_id, indication, protocol, _product, scale, low, high, drift, days in plans:
        baseline = rng.randint(low, high)
        middle = len(days) // 2
        points = [
            ("baseline", None, days[0] - dt.timedelta(days=1), baseline),
            ("during", middle + 1, days[middle], baseline + round(drift / 2)),
            ("follow_up", None, days[-1] + dt.timedelta(days=28),
             baseline + drift + rng.randint(-1, 1)),
        ]  # fmt: skip
        for timepoint, number, day, target in points:
            result = score(scale, _answers(scale, target), catalog=catalog)
            measurements.append(
                Measurement(
                    clinic=clinic, patient_id=patient_id, indication_code=indication,
                    protocol_code=protocol, scale_code=scale, timepoint=timepoint,
                    session_number=number, answers={i.code: str(i.value) for i in result.items},
                    total=result.total, band=result.band or "", measured_on=day,
                    recorded_by=user, catalog_version=version,
                )
            )  # fmt: skip
        for session_id, day, batch_id in by_patient[patient_id]:
            for code, chance, grades, (short, long) in EFFECTS:
                if rng.random() >= chance:
                    continue
                lasted = rng.randint(short, long)
                kind = catalog.side_effects[code]
                end = kind.review_after_minutes
                effects.append(
                    (
                        SideEffect(
                            clinic=clinic, patient_id=patient_id, session_id=session_id,
                            event_code=code, indication_code=indication, onset=day,
                            resolved_on=day + dt.timedelta(days=lasted), grade=rng.choice(grades),
                            outcome="resolved", recorded_by=user,
                            expected_end_on=(
                                None if end is None else day + dt.timedelta(days=end // 1440)
                            ),
                        ),
                        batch_id,
                    )
                )  # fmt: skip
    Measurement.objects.bulk_create(measurements, batch_size=2000)
    saved = SideEffect.objects.bulk_create([e for e, _b in effects], batch_size=2000)
    through = SideEffect.batches.through
    links = [
        through(sideeffect_id=e.pk, batch_id=b) for e, (_x, b) in zip(saved, effects, strict=True)
    ]
    through.objects.bulk_create(links, batch_size=2000)
    return len(made) * 2 + len(measurements) + len(saved) + len(links)
