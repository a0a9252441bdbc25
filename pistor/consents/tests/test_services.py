"""Consent lifecycle: drawn up, signed by patient and practitioner, frozen, withdrawn."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from PIL import Image

from pistor.audit.models import AuditEvent
from pistor.audit.services import audit_verify
from pistor.consents.constants import ConsentKind
from pistor.consents.models import Consent, ConsentLink
from pistor.consents.selectors import consent_covering, consent_state_get
from pistor.consents.services import (
    LinkRefused,
    consent_add_addendum,
    consent_countersign,
    consent_create,
    consent_link_create,
    consent_link_resolve,
    consent_patient_sign,
    consent_withdraw,
)
from pistor.consents.tests.factories import draft_consent, signature_data_url, signed_consent
from pistor.core.errors import Conflict, ValidationFailed
from pistor.patients.tests.factories import PatientFactory
from pistor.records.guard import SIGNED_ROW_MESSAGE
from pistor.records.services import content_hash, record_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, given_name="Amara", family_name="Okafor")


def test_a_treatment_consent_is_written_from_the_catalog(clinic, patient, practitioner):
    consent = draft_consent(
        clinic=clinic,
        patient=patient,
        by=practitioner,
        indication="localised-fat",
        products=("lipostabil",),
    )
    text = " ".join(p for s in consent.sections for p in s["paragraphs"])
    headings = [s["heading"] for s in consent.sections]
    assert "Other choices you have" in headings
    assert "Your right to change your mind" in headings
    assert "How strong the evidence is: Off-label and weak" in text
    assert "Used outside their licence (off-label): Lipostabil" in text
    assert "bruising (usually" in text
    assert consent.status == "draft" and consent.catalog_version and consent.template_version


def test_photograph_consent_lists_only_the_uses_allowed(clinic, patient, practitioner):
    consent = consent_create(
        clinic=clinic,
        patient=patient,
        by=practitioner,
        kind=ConsentKind.PHOTOGRAPHS,
        photo_uses=["record", "teaching"],
    )
    text = " ".join(p for s in consent.sections for p in s["paragraphs"])
    assert "clinical record only" in text and "Teaching" in text
    assert "publicity" not in text.split("allow your photographs to be used for:")[1].split(".")[0]
    with pytest.raises(ValidationFailed):
        consent_create(clinic=clinic, patient=patient, by=practitioner, kind="photographs")


def test_unknown_indication_or_product_is_refused_and_nothing_written(
    clinic, patient, practitioner
):
    with pytest.raises(ValidationFailed) as caught:
        draft_consent(clinic=clinic, patient=patient, by=practitioner, indication="nope")
    assert "indication_code" in caught.value.fields
    with pytest.raises(ValidationFailed):
        draft_consent(clinic=clinic, patient=patient, by=practitioner, products=("made-up",))
    assert Consent.objects.count() == 0


def test_signing_stores_the_exact_content_its_hash_and_both_signatures(
    clinic, patient, practitioner
):
    consent = signed_consent(clinic=clinic, patient=patient, by=practitioner)
    consent.refresh_from_db()
    assert consent.status == "signed" and consent.signed_by == practitioner
    assert consent.content["sections"] == consent.sections
    assert consent.content["template_version"] == consent.template_version
    assert consent.content_sha256 == content_hash(consent.content)
    assert record_verify(consent)
    assert bytes(consent.patient_signature or b"").startswith(b"\x89PNG")
    assert bytes(consent.countersignature or b"").startswith(b"\x89PNG")
    assert consent_state_get(consent=consent).status == "signed"
    assert not audit_verify()


def test_countersigning_before_the_patient_signs_is_refused(clinic, patient, practitioner):
    consent = draft_consent(clinic=clinic, patient=patient, by=practitioner)
    with pytest.raises(Conflict):
        consent_countersign(
            consent=consent, practitioner=practitioner, signature=signature_data_url()
        )


def _png_bytes_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not a data url",
        "data:image/png;base64,!!!notbase64",
        _png_bytes_url(b"GIF89a this is not a png"),
        "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff").decode(),
    ],
)
def test_a_signature_that_is_not_a_png_is_refused_and_nothing_written(
    clinic, patient, practitioner, bad
):
    consent = draft_consent(clinic=clinic, patient=patient, by=practitioner)
    with pytest.raises(ValidationFailed) as caught:
        consent_patient_sign(consent=consent, signature=bad, signed_name="A O", actor=practitioner)
    assert "signature" in caught.value.fields
    consent.refresh_from_db()
    assert not consent.patient_has_signed and consent.patient_signature is None


def test_a_signature_over_one_megabyte_is_refused(clinic, patient, practitioner):
    image = Image.frombytes("RGB", (700, 700), bytes(range(256)) * (700 * 700 * 3 // 256 + 1))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=0)
    assert len(out.getvalue()) > 1024 * 1024
    consent = draft_consent(clinic=clinic, patient=patient, by=practitioner)
    with pytest.raises(ValidationFailed, match="1 MB"):
        consent_patient_sign(
            consent=consent,
            signature=_png_bytes_url(out.getvalue()),
            signed_name="A",
            actor=practitioner,
        )


def test_a_blank_signature_is_refused(clinic, patient, practitioner):
    out = io.BytesIO()
    Image.new("RGBA", (300, 100), (0, 0, 0, 0)).save(out, format="PNG")
    consent = draft_consent(clinic=clinic, patient=patient, by=practitioner)
    with pytest.raises(ValidationFailed, match="empty"):
        consent_patient_sign(
            consent=consent,
            signature=_png_bytes_url(out.getvalue()),
            signed_name="A",
            actor=practitioner,
        )


def test_a_signed_consent_cannot_be_signed_again(clinic, patient, practitioner):
    consent = signed_consent(clinic=clinic, patient=patient, by=practitioner)
    with pytest.raises(Conflict):
        consent_patient_sign(
            consent=consent, signature=signature_data_url(), signed_name="X", actor=practitioner
        )
    with pytest.raises(Conflict):
        consent_countersign(
            consent=consent, practitioner=practitioner, signature=signature_data_url()
        )
    with pytest.raises(Conflict):
        consent_link_create(consent=consent, by=practitioner)


def test_the_database_refuses_to_change_or_delete_a_signed_consent(clinic, patient, practitioner):
    consent = signed_consent(clinic=clinic, patient=patient, by=practitioner)
    for sql in (
        f"UPDATE consents_consent SET sections = '[]' WHERE id = {consent.pk}",  # noqa: S608
        f"UPDATE consents_consent SET status = 'draft' WHERE id = {consent.pk}",  # noqa: S608
        f"DELETE FROM consents_consent WHERE id = {consent.pk}",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError) as caught,
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
        assert SIGNED_ROW_MESSAGE in str(caught.value)
    # Nor through the ORM.
    consent.patient_signed_name = "Someone else"
    with pytest.raises(DatabaseError), transaction.atomic():
        consent.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).delete()
    fresh = Consent.objects.get(pk=consent.pk)
    assert fresh.patient_signed_name == patient.full_name and record_verify(fresh)


def test_withdrawal_is_a_new_record_and_the_consent_no_longer_covers(clinic, patient, practitioner):
    consent = signed_consent(clinic=clinic, patient=patient, by=practitioner)
    args = {
        "clinic_id": clinic.pk,
        "patient_id": patient.pk,
        "indication_code": "skin-rejuvenation",
        "product_codes": ["nctf-135ha"],
    }
    covering = consent_covering(**args)
    assert covering is not None and covering.consent == consent
    with pytest.raises(ValidationFailed):
        consent_withdraw(consent=consent, by=practitioner, reason="  ")
    withdrawal = consent_withdraw(consent=consent, by=practitioner, reason="Changed her mind.")
    assert withdrawal.withdrawn_by == practitioner
    assert consent_covering(**args) is None
    assert consent_state_get(consent=consent).status == "withdrawn"
    with pytest.raises(Conflict):
        consent_withdraw(consent=consent, by=practitioner, reason="Again.")
    consent.refresh_from_db()
    assert record_verify(consent)
    assert AuditEvent.objects.filter(event_type="record.withdrawn").count() == 1
    assert not audit_verify()


def test_coverage_needs_every_planned_product(clinic, patient, practitioner):
    signed_consent(clinic=clinic, patient=patient, by=practitioner)
    assert (
        consent_covering(
            clinic_id=clinic.pk,
            patient_id=patient.pk,
            indication_code="skin-rejuvenation",
            product_codes=["nctf-135ha", "redensity-1"],
        )
        is None
    )


def test_an_addendum_sits_beside_the_unchanged_original(clinic, patient, practitioner):
    consent = signed_consent(clinic=clinic, patient=patient, by=practitioner)
    before = consent.content_sha256
    addendum = consent_add_addendum(
        consent=consent,
        author=practitioner,
        text="Patient also asked about bruising.",
        reason="Omitted at signing.",
    )
    consent.refresh_from_db()
    assert consent.content_sha256 == before and addendum.record_id == consent.pk


def test_a_link_is_single_use_expiring_and_unguessable(clinic, patient, practitioner):
    consent = draft_consent(clinic=clinic, patient=patient, by=practitioner)
    now = timezone.now()
    link, token = consent_link_create(consent=consent, by=practitioner, now=now, hours=2)
    assert len(token) >= 40 and token not in link.token_sha256
    assert ConsentLink.objects.filter(token_sha256__contains=token).count() == 0
    with pytest.raises(LinkRefused, match="unknown"):
        consent_link_resolve(token=token[:-1] + ("A" if token[-1] != "A" else "B"), now=now)
    with pytest.raises(LinkRefused, match="expired"):
        consent_link_resolve(token=token, now=now + dt.timedelta(hours=2, seconds=1))
    resolved = consent_link_resolve(token=token, now=now)
    consent_patient_sign(
        consent=resolved.consent,
        signature=signature_data_url(),
        signed_name="Amara Okafor",
        actor=None,
        link=resolved,
    )
    with pytest.raises(LinkRefused, match="used"):
        consent_link_resolve(token=token, now=now)


def test_a_new_link_retires_the_earlier_one(clinic, patient, practitioner):
    consent = draft_consent(clinic=clinic, patient=patient, by=practitioner)
    _, first = consent_link_create(consent=consent, by=practitioner)
    consent_link_create(consent=consent, by=practitioner)
    with pytest.raises(LinkRefused):
        consent_link_resolve(token=first)
