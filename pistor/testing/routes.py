"""Every route of the site, what it declared, and how each kind of caller should be answered.

The route walk (``tests/api/test_route_walk.py``) and the bad-input corpus read routes from
here, never from a hand-written list: a new app's pages and API operations are walked as soon
as they are routed. A route whose address needs an object's id or code needs an entry in
``ROUTE_OBJECTS`` (and the object a builder in ``WORLD``); without one the walk fails and says
which route to register.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from pistor.accounts.access import declared_access
from pistor.clinics.permissions import Action

API_ROOT = "/api/v1"

# --------------------------------------------------------------------------------------
# The objects a route's address can name
# --------------------------------------------------------------------------------------

World = dict[str, Any]


def _patient(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.patients.tests.factories import PatientFactory

    return PatientFactory(clinic=clinic, family_name=f"Walkerson{clinic.pk}")


def _audit_event(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.audit.events import AuditEventType
    from pistor.audit.services import audit_record

    return audit_record(
        clinic=clinic,
        actor=actor,
        event_type=AuditEventType.CLINIC_SETTINGS_UPDATED,
        subject_type="clinic",
        subject_id=clinic.pk,
    )


def _protocol(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.catalog.tests.factories import clinic_protocol_add

    return clinic_protocol_add(clinic, actor, code=f"{clinic.slug}-course")


def _product(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.catalog.tests.factories import clinic_product_add

    return clinic_product_add(clinic, actor, code=f"{clinic.slug}-mix")


def _intake(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.testing.pathway import make_intake

    return make_intake(world["patient"], version=1)


def _intake_link_token(clinic: Any, actor: Any, world: World) -> str:
    from django.utils import timezone

    from pistor.intake.services import intake_link_create

    _link, token = intake_link_create(
        clinic=clinic, patient=world["patient"], actor=actor, now=timezone.now()
    )
    return token


def _consultation(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.testing.pathway import make_consultation

    return make_consultation(world["patient"], actor)


def _allergy_test(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.testing.pathway import make_test

    return make_test(world["patient"], actor)


def _read_allergy_test(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.testing.pathway import make_test

    return make_test(world["patient"], actor, result="negative")


def _consent(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.consents.tests.factories import draft_consent

    return draft_consent(clinic=clinic, patient=world["patient"], by=actor)


def _consent_link_token(clinic: Any, actor: Any, world: World) -> str:
    from pistor.consents.services import consent_link_create

    _link, token = consent_link_create(consent=world["consent"], by=actor)
    return token


def _plan(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.plans.tests.factories import rejuvenation_plan

    return rejuvenation_plan(clinic=clinic, patient=world["patient"], by=actor)


def _price(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.plans.services import price_item_set

    return price_item_set(
        clinic=clinic, by=actor, kind="product", product_code="nctf-135ha", amount="40.00"
    )


def _staff_member(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.clinics.models import Role
    from pistor.testing.factories import MembershipFactory, UserFactory

    return MembershipFactory(user=UserFactory(), clinic=clinic, role=Role.NURSE)


def _invitation(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.accounts.services import staff_invite

    sent = staff_invite(
        clinic=clinic,
        email=f"invited-{clinic.pk}@example.org",
        full_name="Ines Invited",
        role="nurse",
        actor=actor,
        build_url=lambda path: f"http://testserver{path}",
    )
    # The secret is only in the emailed link: its last segment.
    return {"invitation": sent.invitation, "secret": sent.link.rstrip("/").rsplit("/", 1)[-1]}


def _stock_batch(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.inventory.tests.factories import batch, product

    prod = product(clinic, code=f"{clinic.slug}-saline", form="vial")
    return batch(clinic, prod, lot=f"WALK{clinic.pk}", ml="50")


def _container(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.inventory.services import container_open

    return container_open(clinic=clinic, actor=actor, batch=world["stock_batch"])


def _fridge(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.inventory.services import fridge_create

    return fridge_create(clinic=clinic, actor=actor, name=f"Walk fridge {clinic.pk}")


def _treatment_session(clinic: Any, actor: Any, world: World) -> Any:
    # A patient of its own, ready for a session, with one cocktail line and one charted
    # area, so the routes that remove them have something to remove.
    from pistor.patients.tests.factories import PatientFactory
    from pistor.treatments.services import chart_area_add, cocktail_line_add, session_start
    from pistor.treatments.tests.factories import ready_plan

    patient: Any = PatientFactory(clinic=clinic, family_name=f"Sessionson{clinic.pk}")
    plan = ready_plan(clinic=clinic, by=actor, patient=patient)
    session = session_start(clinic=clinic, patient=patient, plan=plan, by=actor)
    line = cocktail_line_add(session=session, by=actor, code="nctf-135ha", volume="1")
    area = chart_area_add(
        session=session,
        by=actor,
        region="face-front",
        technique_code="nappage",
        depth="3",
        injections=10,
    )
    return {"session": session, "line": line, "area": area, "plan": plan}


def _online_booking(clinic: Any, actor: Any, world: World) -> Any:
    """The clinic's public booking page, switched on; its manage link is a signed token."""
    from pistor.onlinebooking.models import OnlineBookingSettings

    return OnlineBookingSettings.objects.create(clinic=clinic, enabled=True)


def _online_booking_token(clinic: Any, actor: Any, world: World) -> str:
    from django.core import signing

    from pistor.onlinebooking.selectors import MANAGE_SALT

    # A well-signed link to a booking that does not exist: the page answers 404, not 500.
    return signing.dumps({"b": 10**9 + clinic.pk}, salt=MANAGE_SALT, compress=True)


def _schedule(clinic: Any, actor: Any, world: World) -> Any:
    """Opening hours, two practitioners, rooms and visit types; one booked appointment of the
    world's patient; a calendar feed of the first practitioner."""
    from pistor.scheduling.feeds import feed_create
    from pistor.scheduling.services import appointment_book
    from pistor.scheduling.tests.factories import MONDAY, at, booking_setup

    setup = booking_setup(clinic)
    appointment = appointment_book(
        clinic=clinic,
        actor=actor,
        patient=world["patient"],
        staff=setup.ann,
        appointment_type=setup.consultation,
        starts_at=at(MONDAY, 10),
        room=setup.room1,
    )
    feed, token = feed_create(clinic=clinic, actor=actor, staff=setup.ann)
    return {"setup": setup, "appointment": appointment, "feed": feed, "feed_token": token}


def _photo(clinic: Any, actor: Any, world: World) -> Any:
    from pistor.photos.tests.factories import photo_of

    return photo_of(clinic=clinic, patient=world["patient"], by=actor)


def _outcomes(clinic: Any, actor: Any, world: World) -> Any:
    # An ongoing side effect of the world's patient (so resolve and review have something to
    # act on) and a safety-net call due after the world's session.
    import datetime as dt

    from pistor.core import clock
    from pistor.outcomes.models import FollowUpCall
    from pistor.outcomes.services import side_effect_record

    today = clock.now().date()
    effect = side_effect_record(
        clinic=clinic, patient=world["patient"], by=actor, event_code="swelling",
        onset=today - dt.timedelta(days=8), grade=1,
    )  # fmt: skip
    session = world["treatment"]["session"]
    call = FollowUpCall.objects.create(
        clinic=clinic, patient=session.patient, indication_code="cellulite", after_days=28,
        last_session=session, due_on=today, side_effect_code="infection-ntm", question="Lumps?",
    )  # fmt: skip
    return {"side_effect": effect, "call": call}


# name -> builder(clinic, manager, world so far): one object of each clinic-owned type, per
# clinic, built in this order (later builders may use earlier objects). A new app adds its
# objects here.
WORLD: dict[str, Callable[[Any, Any, World], Any]] = {
    "patient": _patient,
    "audit_event": _audit_event,
    "protocol": _protocol,
    "product": _product,
    "intake": _intake,
    "intake_link_token": _intake_link_token,
    "consultation": _consultation,
    "allergy_test": _allergy_test,
    "read_allergy_test": _read_allergy_test,
    "consent": _consent,
    "consent_link_token": _consent_link_token,
    "plan": _plan,
    "price": _price,
    "staff_member": _staff_member,
    "invitation": _invitation,
    "stock_batch": _stock_batch,
    "container": _container,
    "fridge": _fridge,
    "treatment": _treatment_session,
    "schedule": _schedule,
    "online_booking": _online_booking,
    "online_booking_token": _online_booking_token,
    "photo": _photo,
    "outcomes": _outcomes,
}


def world_build(clinic: Any, actor: Any) -> World:
    world: World = {}
    for name, build in WORLD.items():
        world[name] = build(clinic, actor, world)
    return world


@dataclass(frozen=True)
class RouteObject:
    """How to fill a route's address from a clinic's world.

    ``owned``: the object belongs to a clinic, so a member of another clinic must get 404.
    ``only_roles``: an object-level rule narrower than the matrix (a practitioner's own
    calendar feed): other roles the matrix allows hear 403 about this object.
    """

    kwargs: Callable[[World], dict[str, Any]]
    owned: bool = True
    # A valid body, for operations that read one: another clinic's caller must hear 404
    # about the object, not 422 about a body the walk left empty. A callable when the body
    # names other objects of the world.
    body: dict[str, Any] | Callable[[World], dict[str, Any]] | None = None
    only_roles: frozenset[str] | None = None

    def body_for(self, world: World) -> dict[str, Any] | None:
        return self.body(world) if callable(self.body) else self.body


def _owned(field: str, attr: str, name: str, body: Any = None) -> RouteObject:
    return RouteObject(lambda w: {field: getattr(w[name], attr)}, body=body)


def _builtin(field: str, kind: str) -> RouteObject:
    def first(w: World) -> dict[str, Any]:
        from pistor.clinical.catalog import load_catalog

        return {field: next(iter(getattr(load_catalog(), kind)))}

    return RouteObject(first, owned=False)


def _pair(names: dict[str, tuple[str, str]], body: Any = None) -> RouteObject:
    """Several address parts, each ``field: (world name, attribute)``."""
    return RouteObject(
        lambda w: {field: getattr(w[name], attr) for field, (name, attr) in names.items()},
        body=body,
    )


def _of_patient(field: str, name: str, attr: str = "pk", **kw: Any) -> RouteObject:
    """A patient's sub-record: the patient's id in ``patient_id`` and the record's in ``field``."""
    return _pair({"patient_id": (name, "patient_id"), field: (name, attr)}, **kw)


def _token(field: str, name: str) -> RouteObject:
    # A patient's single-use link: public, so it answers everyone the same way.
    return RouteObject(lambda w: {field: w[name]}, owned=False)


def _appointment_route(field: str, body: Any = None) -> RouteObject:
    return RouteObject(lambda w: {field: w["schedule"]["appointment"].pk}, body=body)


def _practitioner_route(field: str, body: Any = None, **kw: Any) -> RouteObject:
    return RouteObject(lambda w: {field: w["schedule"]["setup"].ann.pk}, body=body, **kw)


def _visit_type_body(w: World) -> dict[str, Any]:
    return {"appointment_type_id": w["schedule"]["setup"].session.pk}


def _session_route(field: str, body: Any = None) -> RouteObject:
    """A treatment session's address part, from the world's draft session."""
    return RouteObject(lambda w: {field: w["treatment"]["session"].pk}, body=body)


_SIGNATURE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


# Keyed by "namespace:name" for pages and by the path template for API operations.
ROUTE_OBJECTS: dict[str, RouteObject] = {
    # Online booking (public pages)
    "onlinebooking:page": RouteObject(
        lambda w: {"slug": w["online_booking"].clinic.slug}, owned=False
    ),
    "onlinebooking:manage": _token("token", "online_booking_token"),
    "patients:detail": _owned("pk", "pk", "patient"),
    "patients:edit": _owned("pk", "pk", "patient"),
    "patients:archive": _owned("pk", "pk", "patient"),
    "patients:restore": _owned("pk", "pk", "patient"),
    "audit:detail": _owned("pk", "pk", "audit_event"),
    "catalog:indication_detail": _builtin("code", "indications"),
    "catalog:protocol_detail": _owned("code", "code", "protocol"),
    "catalog:protocol_edit": _owned("code", "code", "protocol"),
    "catalog:protocol_retire": _owned("code", "code", "protocol"),
    "catalog:ingredient_detail": _builtin("code", "ingredients"),
    "catalog:product_detail": _owned("code", "code", "product"),
    "catalog:product_edit": _owned("code", "code", "product"),
    "catalog:product_retire": _owned("code", "code", "product"),
    "catalog:technique_detail": _builtin("code", "techniques"),
    "catalog:scale_detail": _builtin("code", "scales"),
    # Intake, consultations, allergy tests (pages)
    "intake:history": _owned("patient_id", "pk", "patient"),
    "intake:record": _owned("patient_id", "pk", "patient"),
    "intake:link_create": _owned("patient_id", "pk", "patient"),
    "intake:version": _of_patient("version", "intake", "version"),
    "intake:fill": _token("token", "intake_link_token"),
    "consultations:list": _owned("patient_id", "pk", "patient"),
    "consultations:record": _owned("patient_id", "pk", "patient"),
    "consultations:detail": _of_patient("pk", "consultation"),
    "consultations:override": _of_patient("pk", "consultation"),
    "allergytests:list": _owned("patient_id", "pk", "patient"),
    "allergytests:place": _owned("patient_id", "pk", "patient"),
    "allergytests:read": _of_patient("pk", "allergy_test"),
    "allergytests:addendum": _of_patient("pk", "read_allergy_test"),
    # Consents and plans (pages)
    "consents:list": _owned("patient_pk", "pk", "patient"),
    "consents:create": _owned("patient_pk", "pk", "patient"),
    "consents:detail": _owned("pk", "pk", "consent"),
    "consents:sign": _owned("pk", "pk", "consent"),
    "consents:countersign": _owned("pk", "pk", "consent"),
    "consents:link": _owned("pk", "pk", "consent"),
    "consents:withdraw": _owned("pk", "pk", "consent"),
    "consents:addendum": _owned("pk", "pk", "consent"),
    "consents:pdf": _owned("pk", "pk", "consent"),
    "consents:public_sign": _token("token", "consent_link_token"),
    "plans:list": _owned("patient_pk", "pk", "patient"),
    "plans:create": _owned("patient_pk", "pk", "patient"),
    "plans:detail": _owned("pk", "pk", "plan"),
    "plans:session": RouteObject(lambda w: {"pk": w["plan"].pk, "number": 1}),
    "plans:consent": _owned("pk", "pk", "plan"),
    "plans:quote_pdf": _owned("pk", "pk", "plan"),
    "plans:price_delete": _owned("pk", "pk", "price"),
    # Staff administration and the accounts' emailed links (pages)
    "staff:role": _owned("membership_id", "pk", "staff_member"),
    "staff:deactivate": _owned("membership_id", "pk", "staff_member"),
    "staff:reset_authenticator": _owned("membership_id", "pk", "staff_member"),
    "staff:unlock": _owned("membership_id", "pk", "staff_member"),
    "staff:invitation_withdraw": RouteObject(
        lambda w: {"invitation_id": w["invitation"]["invitation"].pk}
    ),
    "accounts:invitation": RouteObject(
        lambda w: {"secret": w["invitation"]["secret"]}, owned=False
    ),
    "accounts:password_reset_confirm": RouteObject(
        lambda w: {"uidb64": "MQ", "token": "set-password"}, owned=False
    ),
    f"{API_ROOT}/patients/{{patient_id}}": _owned("patient_id", "pk", "patient"),
    f"{API_ROOT}/patients/{{patient_id}}/archive": _owned(
        "patient_id", "pk", "patient", body={"reason": "Moved away."}
    ),
    f"{API_ROOT}/catalog/indications/{{code}}": _builtin("code", "indications"),
    f"{API_ROOT}/catalog/protocols/{{code}}": _owned("code", "code", "protocol"),
    f"{API_ROOT}/catalog/ingredients/{{code}}": _builtin("code", "ingredients"),
    f"{API_ROOT}/catalog/products/{{code}}": _owned("code", "code", "product"),
    f"{API_ROOT}/catalog/techniques/{{code}}": _builtin("code", "techniques"),
    f"{API_ROOT}/catalog/scales/{{code}}": _builtin("code", "scales"),
    # Intake, consultations, allergy tests (API)
    f"{API_ROOT}/patients/{{patient_id}}/facts": _owned("patient_id", "pk", "patient"),
    f"{API_ROOT}/patients/{{patient_id}}/intake": _owned(
        "patient_id", "pk", "patient", body={"complete": False}
    ),
    f"{API_ROOT}/patients/{{patient_id}}/intake/{{version}}": _of_patient(
        "version", "intake", "version"
    ),
    f"{API_ROOT}/patients/{{patient_id}}/intake-links": _owned("patient_id", "pk", "patient"),
    f"{API_ROOT}/patients/{{patient_id}}/consultations": _owned(
        "patient_id",
        "pk",
        "patient",
        body={"indications": ["localised-fat"], "areas": ["abdomen"], "checklist": {}},
    ),
    f"{API_ROOT}/patients/{{patient_id}}/consultations/{{consultation_id}}": _of_patient(
        "consultation_id", "consultation"
    ),
    f"{API_ROOT}/patients/{{patient_id}}/consultations/{{consultation_id}}/overrides": (
        _of_patient(
            "consultation_id",
            "consultation",
            body={"finding_codes": ["pregnancy"], "reason": "Walked by the route test."},
        )
    ),
    f"{API_ROOT}/patients/{{patient_id}}/allergy-tests": _owned(
        "patient_id",
        "pk",
        "patient",
        body={"sites": "left forearm", "products": ["dermaheal-ll"]},
    ),
    f"{API_ROOT}/patients/{{patient_id}}/allergy-tests/{{test_id}}/reading": _of_patient(
        "test_id", "allergy_test", body={"result": "negative"}
    ),
    f"{API_ROOT}/patients/{{patient_id}}/allergy-tests/{{test_id}}/reading/addenda": _of_patient(
        "test_id", "read_allergy_test", body={"text": "Walked.", "reason": "Route walk."}
    ),
    # Consents and plans (API)
    f"{API_ROOT}/consents/patient/{{patient_id}}": _owned("patient_id", "pk", "patient"),
    f"{API_ROOT}/consents/{{consent_id}}": _owned("consent_id", "pk", "consent"),
    f"{API_ROOT}/consents/{{consent_id}}/pdf": _owned("consent_id", "pk", "consent"),
    f"{API_ROOT}/consents/{{consent_id}}/sign": _owned(
        "consent_id",
        "pk",
        "consent",
        body={"signed_name": "Pat Walkerson", "signature": _SIGNATURE},
    ),
    f"{API_ROOT}/consents/{{consent_id}}/countersign": _owned(
        "consent_id", "pk", "consent", body={"signature": _SIGNATURE}
    ),
    f"{API_ROOT}/consents/{{consent_id}}/withdraw": _owned(
        "consent_id", "pk", "consent", body={"reason": "Changed their mind."}
    ),
    f"{API_ROOT}/plans/patient/{{patient_id}}": _owned("patient_id", "pk", "patient"),
    f"{API_ROOT}/plans/{{plan_id}}": _owned("plan_id", "pk", "plan"),
    f"{API_ROOT}/plans/{{plan_id}}/gate": _owned("plan_id", "pk", "plan"),
    f"{API_ROOT}/plans/{{plan_id}}/quote": _owned("plan_id", "pk", "plan"),
    f"{API_ROOT}/plans/{{plan_id}}/quote.pdf": _owned("plan_id", "pk", "plan"),
    f"{API_ROOT}/plans/{{plan_id}}/sessions/{{number}}": RouteObject(
        lambda w: {"plan_id": w["plan"].pk, "number": 1},
        body={
            "planned_on": "2026-12-07",
            "areas": ["face"],
            "technique_code": "nappage",
            "product_codes": ["nctf-135ha"],
        },
    ),
    f"{API_ROOT}/plans/prices/{{price_id}}": _owned("price_id", "pk", "price"),
    # Staff administration (API)
    f"{API_ROOT}/staff/{{membership_id}}": _owned(
        "membership_id", "pk", "staff_member", body={"role": "nurse"}
    ),
    f"{API_ROOT}/staff/{{membership_id}}/deactivate": _owned("membership_id", "pk", "staff_member"),
    f"{API_ROOT}/staff/{{membership_id}}/reset-authenticator": _owned(
        "membership_id", "pk", "staff_member"
    ),
    f"{API_ROOT}/staff/{{membership_id}}/unlock": _owned("membership_id", "pk", "staff_member"),
    f"{API_ROOT}/staff/invitations/{{invitation_id}}/withdraw": RouteObject(
        lambda w: {"invitation_id": w["invitation"]["invitation"].pk}
    ),
    # Inventory (pages)
    "inventory:batch": _owned("pk", "pk", "stock_batch"),
    "inventory:recall": _owned("pk", "pk", "stock_batch"),
    "inventory:movement": _owned("pk", "pk", "stock_batch"),
    "inventory:count": _owned("pk", "pk", "stock_batch"),
    "inventory:open": _owned("pk", "pk", "stock_batch"),
    "inventory:trace": _owned("pk", "pk", "stock_batch"),
    "inventory:trace_csv": _owned("pk", "pk", "stock_batch"),
    "inventory:container_trace": _owned("pk", "pk", "container"),
    "inventory:patient_batches": _owned("pk", "pk", "patient"),
    # Treatment sessions (pages)
    "treatments:start": RouteObject(lambda w: {"plan_pk": w["treatment"]["plan"].pk}),
    "treatments:list": _owned("patient_pk", "pk", "patient"),
    "treatments:start_unplanned": _owned("patient_pk", "pk", "patient"),
    "treatments:detail": _session_route("pk"),
    "treatments:line_add": _session_route("pk"),
    "treatments:line_remove": RouteObject(
        lambda w: {"pk": w["treatment"]["session"].pk, "line_pk": w["treatment"]["line"].pk}
    ),
    "treatments:area_add": _session_route("pk"),
    "treatments:area_remove": RouteObject(
        lambda w: {"pk": w["treatment"]["session"].pk, "area_pk": w["treatment"]["area"].pk}
    ),
    "treatments:preview": _session_route("pk"),
    "treatments:details": _session_route("pk"),
    "treatments:sign": _session_route("pk"),
    "treatments:addendum": _session_route("pk"),
    "treatments:aftercare": _session_route("pk"),
    "treatments:aftercare_pdf": _session_route("pk"),
    # Inventory (API)
    f"{API_ROOT}/inventory/batches/{{batch_id}}": _owned("batch_id", "pk", "stock_batch"),
    f"{API_ROOT}/inventory/batches/{{batch_id}}/movements": _owned(
        "batch_id",
        "pk",
        "stock_batch",
        body={
            "kind": "wasted",
            "quantity": {"value": "1", "unit": "mL"},
            "reason": "Dropped during the route walk.",
        },
    ),
    f"{API_ROOT}/inventory/batches/{{batch_id}}/count": _owned(
        "batch_id", "pk", "stock_batch", body={"counted": {"value": "40", "unit": "mL"}}
    ),
    f"{API_ROOT}/inventory/batches/{{batch_id}}/recall": _owned(
        "batch_id", "pk", "stock_batch", body={"reason": "Recalled by the route walk."}
    ),
    f"{API_ROOT}/inventory/batches/{{batch_id}}/trace": _owned("batch_id", "pk", "stock_batch"),
    f"{API_ROOT}/inventory/containers/{{container_id}}/discard": _owned(
        "container_id", "pk", "container"
    ),
    f"{API_ROOT}/inventory/containers/{{container_id}}/trace": _owned(
        "container_id", "pk", "container"
    ),
    f"{API_ROOT}/inventory/fridges/{{fridge_id}}/readings": _owned(
        "fridge_id", "pk", "fridge", body={"celsius": "5.0"}
    ),
    f"{API_ROOT}/inventory/patients/{{patient_id}}/administrations": _owned(
        "patient_id", "pk", "patient"
    ),
    # Treatment sessions (API)
    f"{API_ROOT}/treatments/patients/{{patient_id}}/sessions": _owned(
        "patient_id", "pk", "patient"
    ),
    f"{API_ROOT}/treatments/sessions/{{session_id}}": _session_route("session_id"),
    f"{API_ROOT}/treatments/sessions/{{session_id}}/lines": _session_route(
        "session_id", body={"code": "nctf-135ha", "volume": "1"}
    ),
    f"{API_ROOT}/treatments/sessions/{{session_id}}/areas": _session_route(
        "session_id",
        body={"region": "face-front", "technique_code": "nappage", "depth": "3", "injections": 5},
    ),
    f"{API_ROOT}/treatments/sessions/{{session_id}}/areas/{{area_id}}/points": RouteObject(
        lambda w: {
            "session_id": w["treatment"]["session"].pk,
            "area_id": w["treatment"]["area"].pk,
        },
        body={"x": 0.5, "y": 0.5},
    ),
    f"{API_ROOT}/treatments/sessions/{{session_id}}/details": _session_route(
        "session_id", body={"anaesthetic_product": "", "notes": ""}
    ),
    f"{API_ROOT}/treatments/sessions/{{session_id}}/sign": _session_route(
        "session_id", body={"notes": ""}
    ),
    f"{API_ROOT}/treatments/sessions/{{session_id}}/addenda": _session_route(
        "session_id", body={"text": "Walked.", "reason": "Route walk."}
    ),
    f"{API_ROOT}/treatments/sessions/{{session_id}}/aftercare": _session_route("session_id"),
    f"{API_ROOT}/treatments/sessions/{{session_id}}/aftercare.pdf": _session_route("session_id"),
    # Scheduling (pages)
    "scheduling:appointment": _appointment_route("pk"),
    "scheduling:status": _appointment_route("pk"),
    "scheduling:cancel": _appointment_route("pk"),
    "scheduling:move": _appointment_route("pk"),
    "scheduling:staff_hours": _practitioner_route("pk"),
    "scheduling:feed": RouteObject(lambda w: {"token": w["schedule"]["feed_token"]}, owned=False),
    # Scheduling (API)
    f"{API_ROOT}/scheduling/staff/{{staff_id}}/hours": _practitioner_route(
        "staff_id", body={"hours": []}
    ),
    f"{API_ROOT}/scheduling/staff/{{staff_id}}/absences": _practitioner_route(
        "staff_id",
        body={"starts_at": "2027-02-01T09:00:00Z", "ends_at": "2027-02-01T17:00:00Z"},
    ),
    f"{API_ROOT}/scheduling/appointments/{{appointment_id}}": _appointment_route("appointment_id"),
    f"{API_ROOT}/scheduling/appointments/{{appointment_id}}/move": _appointment_route(
        "appointment_id", body={"starts_at": "2027-01-04T11:00:00Z"}
    ),
    f"{API_ROOT}/scheduling/appointments/{{appointment_id}}/cancel": _appointment_route(
        "appointment_id", body={"by": "clinic", "reason": "Walked."}
    ),
    f"{API_ROOT}/scheduling/appointments/{{appointment_id}}/status": _appointment_route(
        "appointment_id", body={"status": "arrived"}
    ),
    f"{API_ROOT}/scheduling/plans/{{plan_id}}/course-proposal": _owned(
        "plan_id", "pk", "plan", body=_visit_type_body
    ),
    f"{API_ROOT}/scheduling/plans/{{plan_id}}/course-booking": _owned(
        "plan_id", "pk", "plan", body=_visit_type_body
    ),
    # Only the practitioner themselves or a manager manages a practitioner's feed.
    f"{API_ROOT}/scheduling/staff/{{staff_id}}/feed": _practitioner_route(
        "staff_id", only_roles=frozenset({"manager"})
    ),
    f"{API_ROOT}/scheduling/feeds/{{feed_id}}": RouteObject(
        lambda w: {"feed_id": w["schedule"]["feed"].pk}, only_roles=frozenset({"manager"})
    ),
    # Messages (issue 11 §7)
    "messaging:patient": _owned("patient_pk", "pk", "patient"),
    "messaging:preferences": _owned(
        "patient_pk", "pk", "patient", body={"channel": "email", "marketing_opt_out": "on"}
    ),
    f"{API_ROOT}/messaging/patients/{{patient_id}}/messages": _owned("patient_id", "pk", "patient"),
    f"{API_ROOT}/messaging/patients/{{patient_id}}/preferences": _owned(
        "patient_id", "pk", "patient", body={"channel": "sms", "marketing_opt_out": True}
    ),
    # Photographs (pages and API)
    "photos:list": _owned("patient_pk", "pk", "patient"),
    "photos:upload": _owned("patient_pk", "pk", "patient"),
    "photos:compare": _owned("patient_pk", "pk", "patient"),
    "photos:file": RouteObject(lambda w: {"pk": w["photo"].pk, "rendition": "thumb"}),
    "photos:withdraw": _owned("pk", "pk", "photo"),
    "photos:export": _owned("pk", "pk", "photo"),
    f"{API_ROOT}/photos/patients/{{patient_id}}/photos": _owned("patient_id", "pk", "patient"),
    f"{API_ROOT}/photos/{{photo_id}}": _owned("photo_id", "pk", "photo"),
    f"{API_ROOT}/photos/{{photo_id}}/file": _owned("photo_id", "pk", "photo"),
    f"{API_ROOT}/photos/{{photo_id}}/session": RouteObject(
        lambda w: {"photo_id": w["photo"].pk},
        body={"session_id": 1},
    ),
    f"{API_ROOT}/photos/{{photo_id}}/withdraw": _owned(
        "photo_id", "pk", "photo", body={"reason": "Taken in error (route walk)."}
    ),
    f"{API_ROOT}/photos/{{photo_id}}/export/marketing": _owned("photo_id", "pk", "photo"),
    # Outcomes (issue 12)
    "outcomes:patient": _owned("patient_pk", "pk", "patient"),
    "outcomes:measurement_add": _owned("patient_pk", "pk", "patient"),
    "outcomes:side_effect_add": _owned("patient_pk", "pk", "patient"),
    "outcomes:resolve": RouteObject(lambda w: {"pk": w["outcomes"]["side_effect"].pk}),
    "outcomes:review_record": RouteObject(lambda w: {"pk": w["outcomes"]["side_effect"].pk}),
    "outcomes:call_record": RouteObject(lambda w: {"pk": w["outcomes"]["call"].pk}),
    f"{API_ROOT}/outcomes/patients/{{patient_id}}/measurements": _owned(
        "patient_id",
        "pk",
        "patient",
        body={
            "scale_code": "gais",
            "indication_code": "skin-rejuvenation",
            "answers": {"gais": 2},
            "timepoint": "baseline",
        },
    ),
    f"{API_ROOT}/outcomes/patients/{{patient_id}}/side-effects": _owned(
        "patient_id",
        "pk",
        "patient",
        body={"event_code": "bruising", "onset": "2026-01-02", "grade": 1},
    ),
    f"{API_ROOT}/outcomes/side-effects/{{side_effect_id}}/resolve": RouteObject(
        lambda w: {"side_effect_id": w["outcomes"]["side_effect"].pk},
        body={"resolved_on": "2026-01-02"},
    ),
    f"{API_ROOT}/outcomes/side-effects/{{side_effect_id}}/review": RouteObject(
        lambda w: {"side_effect_id": w["outcomes"]["side_effect"].pk},
        body={"note": "Reviewed by the route walk."},
    ),
    f"{API_ROOT}/outcomes/follow-up-calls/{{call_id}}": RouteObject(
        lambda w: {"call_id": w["outcomes"]["call"].pk}, body={"status": "done"}
    ),
}

# --------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------

# What a route declared: "public", or "staff" with its Action (None: any signed-in staff),
# or None when it declared nothing (a failure of the walk).


@dataclass(frozen=True)
class PageRoute:
    key: str  # "namespace:name"
    route: str
    callback: Any
    params: tuple[str, ...]

    @property
    def declared(self) -> str | None:
        return declared_access(self.callback)

    @property
    def action(self) -> Action | None:
        action = getattr(self.callback, "pistor_action", None)
        view_class = getattr(self.callback, "view_class", None)
        if action is None and view_class is not None:
            action = getattr(view_class, "required_action", None)
        return action

    @property
    def need_clinic(self) -> bool:
        return bool(getattr(self.callback, "pistor_need_clinic", True))


@dataclass(frozen=True)
class ApiOperation:
    method: str
    path: str  # "/api/v1/patients/{patient_id}"
    operation: Any
    params: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.path

    @property
    def action(self) -> Action | None:
        from pistor.api.auth import declared_action

        return declared_action(self.operation)

    @property
    def has_body(self) -> bool:
        return any(
            getattr(model, "__ninja_param_source__", None) == "body"
            for model in self.operation.models
        )


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str | None = None
) -> Iterator[tuple[str, str | None, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(
                pattern.url_patterns,
                prefix + str(pattern.pattern),
                pattern.namespace or namespace,
            )
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace, pattern


def page_routes(urlconf: str | None = None) -> list[PageRoute]:
    """Every URL pattern that is not one of the API's operations (those are walked from the
    OpenAPI side, where each operation declares its own permission)."""
    routes = []
    for route, namespace, pattern in _walk(get_resolver(urlconf).url_patterns):
        if getattr(pattern.callback, "pistor_api", False):
            continue
        key = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
        params = tuple(pattern.pattern.converters)
        routes.append(PageRoute(key, route, pattern.callback, params))
    return routes


def api_operations(api: Any = None, urlconf: str | None = None) -> list[ApiOperation]:
    """Every operation of a Ninja API, as its OpenAPI schema lists them."""
    from django.urls import reverse

    if api is None:
        from pistor.api.main import api as default_api

        api = default_api
    # Where the API is mounted, from its own schema's address.
    schema_url = reverse(f"{api.urls_namespace}:openapi-json", urlconf=urlconf)
    root = schema_url.removesuffix("/openapi.json")
    operations = []
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            full = "/".join(p.strip("/") for p in (root, bound.prefix, path) if p.strip("/"))
            full = "/" + full
            params = tuple(
                part[1:-1].split(":")[-1]
                for part in full.split("/")
                if part.startswith("{") and part.endswith("}")
            )
            for operation in path_view.operations:
                for method in operation.methods:
                    operations.append(ApiOperation(method.upper(), full, operation, params))
    return operations


def undeclared(urlconf: str | None = None, api: Any = None) -> list[str]:
    """Routes with no declared permission: each is a failure of the walk."""
    problems = [
        f"page {r.key} ({r.route}) declares no permission: use @staff_required(Action.X) "
        "or @public_page"
        for r in page_routes(urlconf)
        if r.declared is None
    ]
    problems += [
        f"API {op.method} {op.path} declares no permission: route it with "
        "auth=allow(Action.X, doing=...)"
        for op in api_operations(api, urlconf)
        if op.action is None
    ]
    return problems


def missing_objects(urlconf: str | None = None, api: Any = None) -> list[str]:
    """Routes whose address needs an object the walk does not know how to name."""
    routes: list[PageRoute | ApiOperation] = [
        *page_routes(urlconf),
        *api_operations(api, urlconf),
    ]
    return sorted(
        {
            f"{r.key} needs {', '.join(r.params)}: register it in "
            "pistor.testing.routes.ROUTE_OBJECTS"
            for r in routes
            if r.params and r.key not in ROUTE_OBJECTS
        }
    )


def fill(route: PageRoute | ApiOperation, world: World) -> str:
    """The concrete address of ``route`` for objects of ``world``."""
    if isinstance(route, ApiOperation):
        path = route.path
        if route.params:
            for name, value in ROUTE_OBJECTS[route.key].kwargs(world).items():
                path = path.replace("{" + name + "}", str(value))
        return path
    from django.urls import reverse

    if not route.params:
        return "/" + route.route
    return reverse(route.key, kwargs=ROUTE_OBJECTS[route.key].kwargs(world))
