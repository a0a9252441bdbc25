"""Loading the demo clinics through the real services, so every row is validated and audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from pistor.accounts.models import User
from pistor.accounts.services import TOTP_DEVICE_NAME, staff_create
from pistor.audit.events import AuditEventType
from pistor.audit.models import AuditEvent
from pistor.audit.services import audit_record
from pistor.catalog.models import ClinicProduct, ClinicProtocol
from pistor.catalog.services import clinic_product_create, clinic_protocol_create
from pistor.clinics.models import Clinic, Membership
from pistor.clinics.services import SETTINGS_EVENT, clinic_create, clinic_settings_update
from pistor.demo.data import (
    ARCHIVE_REASON,
    CLINIC_PRODUCTS,
    CLINIC_PROTOCOLS,
    CLINIC_SETTINGS,
    CLINICS,
    DEMO_PASSWORD,
    DEMO_TOTP_KEY,
    DEMO_TOTP_SECRET,
    HARBOUR,
    PATIENTS,
    STAFF,
)
from pistor.inventory.demo import inventory_demo_load
from pistor.patients.models import Patient
from pistor.patients.services import patient_archive, patient_create


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role: str
    clinic: str
    uses_authenticator: bool


@dataclass(frozen=True)
class DemoDetails:
    """What ``pistor demo`` prints: how to sign in, and how much this run added."""

    password: str
    totp_secret: str
    accounts: list[DemoAccount]
    created: int


def _clinic_ensure(fields: dict[str, Any]) -> tuple[Clinic, bool]:
    existing = Clinic.objects.filter(slug=fields["slug"]).first()
    if existing is not None:
        return existing, False
    return clinic_create(actor=None, **fields), True


def _totp_ensure(user: User) -> bool:
    """Give a demo account the fixed authenticator secret, unless it already has one."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return False
    device = TOTPDevice(user=user, name=TOTP_DEVICE_NAME, key=DEMO_TOTP_KEY.hex(), confirmed=True)
    device.full_clean()
    device.save()
    audit_record(
        clinic=None,
        actor=None,
        event_type=AuditEventType.AUTH_2FA_ENABLED,
        subject_type="user",
        subject_id=user.pk,
        after={"device": device.name, "source": "demo"},
    )
    return True


@transaction.atomic
def demo_load() -> DemoDetails:
    """Create whatever of the demo clinics is missing; leave everything else alone.

    A record that exists (clinic by slug, staff member by email and clinic, patient by
    name and date of birth) is not touched, nor are a clinic's settings once changed, so
    changes made while trying the demo survive.
    """
    created = 0
    clinics: dict[str, Clinic] = {}
    for fields in CLINICS:
        clinic, new = _clinic_ensure(fields)
        clinics[clinic.slug] = clinic
        created += new
    for slug, settings in CLINIC_SETTINGS.items():
        # Only a clinic whose settings were never changed: a manager's choice, even going
        # back to the defaults, survives loading the demo again.
        if not AuditEvent.objects.filter(clinic=clinics[slug], event_type=SETTINGS_EVENT):
            clinic_settings_update(clinic=clinics[slug], actor=None, **settings)
            created += 1

    accounts: list[DemoAccount] = []
    for email, full_name, slug, role, uses_authenticator in STAFF:
        clinic = clinics[slug]
        if not Membership.objects.filter(user__email__iexact=email, clinic=clinic).exists():
            staff_create(
                email=email,
                full_name=full_name,
                password=DEMO_PASSWORD,
                clinic=clinic,
                role=role,
                actor=None,
            )
            created += 1
        if uses_authenticator:
            created += _totp_ensure(User.objects.get(email__iexact=email))
        accounts.append(DemoAccount(email, full_name, role, clinic.name, uses_authenticator))

    for slug, patients in PATIENTS.items():
        clinic = clinics[slug]
        for entry in patients:
            fields = entry["fields"]
            exists = (
                Patient.objects.for_clinic(clinic)
                .filter(
                    given_name=fields["given_name"],
                    family_name=fields["family_name"],
                    date_of_birth=fields["date_of_birth"],
                )
                .exists()
            )
            if exists:
                continue
            patient = patient_create(clinic=clinic, actor=None, **fields)
            created += 1
            if entry["archived"]:
                patient_archive(patient=patient, actor=None, reason=ARCHIVE_REASON)

    for slug, protocols in CLINIC_PROTOCOLS.items():
        for data in protocols:
            if not ClinicProtocol.objects.for_clinic(clinics[slug]).filter(code=data["code"]):
                clinic_protocol_create(clinic=clinics[slug], actor=None, data=data)
                created += 1
    for slug, products in CLINIC_PRODUCTS.items():
        for data in products:
            if not ClinicProduct.objects.for_clinic(clinics[slug]).filter(code=data["code"]):
                clinic_product_create(clinic=clinics[slug], actor=None, data=data)
                created += 1

    from pistor.intake.demo import pathway_demo_load  # intake, consultation, allergy tests

    created += sum(pathway_demo_load(clinic=clinic) for clinic in clinics.values())

    from pistor.plans.demo import plans_demo_load  # prices, consent, plans and the gate

    created += sum(plans_demo_load(clinic=clinic) for clinic in clinics.values())
    created += inventory_demo_load(clinic=clinics[HARBOUR])  # issue 9: stock, trace, recall

    from pistor.treatments.demo import treatments_demo_load  # a patient mid-course

    created += sum(treatments_demo_load(clinic=clinic) for clinic in clinics.values())

    from pistor.photos.demo import photos_demo_load  # baseline and later photographs

    created += sum(photos_demo_load(clinic=clinic) for clinic in clinics.values())

    from pistor.scheduling.demo import scheduling_demo_load  # hours, rooms, visits, courses

    created += sum(scheduling_demo_load(clinic=clinic) for clinic in clinics.values())

    from pistor.onlinebooking.demo import online_booking_demo_load  # Harbour's public page

    created += sum(online_booking_demo_load(clinic=clinic) for clinic in clinics.values())
    from pistor.messaging.demo import messaging_demo_load  # reminders sent, a recall due

    created += sum(messaging_demo_load(clinic=clinic) for clinic in clinics.values())
    from pistor.outcomes.demo import outcomes_demo_load  # scores, side effects, a flag

    created += sum(outcomes_demo_load(clinic=clinic) for clinic in clinics.values())

    return DemoDetails(
        password=DEMO_PASSWORD,
        totp_secret=DEMO_TOTP_SECRET,
        accounts=accounts,
        created=created,
    )
