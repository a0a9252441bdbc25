"""Each reminder job sends exactly once when due, never before, and logs what it did."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from pistor.audit.models import AuditEvent
from pistor.messaging import sms
from pistor.messaging.constants import Category, Channel, Kind, MessageStatus
from pistor.messaging.jobs import (
    aftercare_send_due,
    appointment_reminders_send,
    course_reminders_send,
    stock_alerts_send,
)
from pistor.messaging.models import Message, MessagingSettings
from pistor.messaging.selectors import course_due_list
from pistor.messaging.services import message_send, preference_set
from pistor.messaging.tests.factories import appointment, course_plan, given_sessions, patient
from pistor.scheduling.tests.factories import LONDON, MONDAY, at, booking_setup
from pistor.testing.threads import in_threads

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ appointment reminders


def test_the_appointment_reminder_goes_once_within_24_hours_and_not_before(clinic):
    setup = booking_setup(clinic)
    amara = patient(clinic, given_name="Amara")
    visit = appointment(setup, amara, at(MONDAY, 10))
    assert (
        appointment_reminders_send(clinic=clinic, now=at(MONDAY, 10) - dt.timedelta(hours=25)) == []
    )
    assert mail.outbox == []
    [sent] = appointment_reminders_send(clinic=clinic, now=at(MONDAY, 10) - dt.timedelta(hours=23))
    assert (
        appointment_reminders_send(clinic=clinic, now=at(MONDAY, 10) - dt.timedelta(hours=2)) == []
    )
    [email] = mail.outbox
    assert email.to == ["amara@example.org"]
    assert "Monday 4 January 2027 at 10:00" in email.body and "Dear Amara" in email.body
    assert (sent.kind, sent.category, sent.status) == (
        Kind.APPOINTMENT_REMINDER,
        Category.SAFETY,
        MessageStatus.SENT,
    )
    assert (sent.subject_type, sent.subject_id, sent.channel) == (
        "appointment",
        str(visit.pk),
        Channel.EMAIL,
    )
    assert sent.provider_id == email.extra_headers["Message-ID"]
    assert (
        AuditEvent.objects.filter(event_type="message.sent", subject_id=str(sent.pk)).count() == 1
    )


def test_the_reminder_period_is_the_clinics_choice(clinic):
    setup = booking_setup(clinic)
    appointment(setup, patient(clinic), at(MONDAY, 10))
    MessagingSettings.objects.create(clinic=clinic, reminder_hours_before=48)
    assert (
        len(appointment_reminders_send(clinic=clinic, now=at(MONDAY, 10) - dt.timedelta(hours=47)))
        == 1
    )


def test_a_moved_appointment_is_reminded_of_its_new_time_cancelled_ones_are_not(clinic):
    setup = booking_setup(clinic)
    visit = appointment(setup, patient(clinic), at(MONDAY, 10))
    appointment(setup, patient(clinic, email="x@example.org"), at(MONDAY, 11), status="cancelled",
                cancelled_at=at(MONDAY, 8))  # fmt: skip
    now = at(MONDAY, 9)
    assert len(appointment_reminders_send(clinic=clinic, now=now)) == 1
    visit.starts_at, visit.ends_at, visit.occupied_until = (
        at(MONDAY, 15),
        at(MONDAY, 16),
        at(MONDAY, 16),
    )
    visit.save()
    assert len(appointment_reminders_send(clinic=clinic, now=now)) == 1
    assert len(mail.outbox) == 2 and "15:00" in mail.outbox[1].body


def test_safety_reminders_ignore_the_marketing_opt_out_and_use_the_chosen_channel(
    clinic, receptionist
):
    setup = booking_setup(clinic)
    amara = patient(clinic)
    preference_set(patient=amara, by=receptionist, channel=Channel.SMS, marketing_opt_out=True)
    appointment(setup, amara, at(MONDAY, 10))
    [sent] = appointment_reminders_send(clinic=clinic, now=at(MONDAY, 9))
    assert sent.channel == Channel.SMS and sent.status == MessageStatus.SENT
    assert mail.outbox == []
    [text] = sms.outbox
    assert (
        text.to == "+447700900123" and "10:00" in text.text and sent.provider_id == text.message_id
    )


def test_a_patient_without_email_or_phone_is_logged_not_sent(clinic):
    setup = booking_setup(clinic)
    appointment(setup, patient(clinic, email="", phone=""), at(MONDAY, 10))
    [logged] = appointment_reminders_send(clinic=clinic, now=at(MONDAY, 9))
    assert logged.status == MessageStatus.NO_CONTACT and logged.sent_at is None
    assert mail.outbox == [] and sms.outbox == []
    assert appointment_reminders_send(clinic=clinic, now=at(MONDAY, 9)) == []


def test_a_failed_send_is_logged_as_failed_and_not_retried(clinic, settings):
    settings.EMAIL_BACKEND = "pistor.messaging.tests.test_jobs.BrokenEmailBackend"
    setup = booking_setup(clinic)
    appointment(setup, patient(clinic), at(MONDAY, 10))
    [failed] = appointment_reminders_send(clinic=clinic, now=at(MONDAY, 9))
    assert (failed.status, failed.error) == (MessageStatus.FAILED, "ConnectionRefusedError")
    assert appointment_reminders_send(clinic=clinic, now=at(MONDAY, 9)) == []
    assert AuditEvent.objects.filter(event_type="message.not_sent").count() == 1


class BrokenEmailBackend:
    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_the_same_occasion_is_never_sent_twice(clinic):
    amara = patient(clinic)
    args = {"clinic": clinic, "kind": Kind.APPOINTMENT_REMINDER, "dedupe_key": "occasion-1",
            "template": "appointment_reminder", "context": {"visit": "x", "day": "d", "time": "t"},
            "patient": amara}  # fmt: skip
    assert message_send(**args) is not None
    assert message_send(**args) is None
    assert len(mail.outbox) == 1 and Message.objects.count() == 1


# ------------------------------------------------------------------------------ aftercare


def test_aftercare_goes_once_after_signing_with_the_sheet(clinic, practitioner):
    from pistor.treatments.tests.test_views import _signed_session

    plan, session = _signed_session(clinic, practitioner)
    session.patient.email = "amara@example.org"
    session.patient.save()
    [sent] = aftercare_send_due(clinic=clinic, now=session.signed_at + dt.timedelta(minutes=5))
    assert aftercare_send_due(clinic=clinic, now=session.signed_at + dt.timedelta(hours=1)) == []
    [email] = mail.outbox
    assert sent.kind == Kind.AFTERCARE and sent.subject_id == str(session.pk)
    assert "Call us straight away if" in email.body
    [(name, content, mimetype)] = email.attachments
    assert name == "aftercare.pdf" and content.startswith(b"%PDF") and mimetype == "application/pdf"


def test_no_aftercare_before_signing_or_long_after(clinic, practitioner):
    from pistor.treatments.services import session_start
    from pistor.treatments.tests.factories import ready_plan

    plan = ready_plan(clinic=clinic, by=practitioner)
    session_start(clinic=clinic, patient=plan.patient, plan=plan, by=practitioner)
    assert aftercare_send_due(clinic=clinic, now=dt.datetime.now(dt.UTC)) == []
    [old] = given_sessions(plan, practitioner, [dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)])
    assert aftercare_send_due(clinic=clinic, now=old.signed_at + dt.timedelta(hours=49)) == []
    assert mail.outbox == []


# ---------------------------------------------------- next session and maintenance recall


def test_book_your_next_session_goes_when_its_window_opens(clinic, practitioner, receptionist):
    amara = patient(clinic)
    preference_set(patient=amara, by=receptionist, channel=Channel.EMAIL, marketing_opt_out=True)
    plan = course_plan(clinic, practitioner, amara)
    first = dt.datetime(2027, 1, 4, 10, tzinfo=LONDON)
    given_sessions(plan, practitioner, [first])
    # Weekly course: session 2 opens seven days after session 1.
    assert course_reminders_send(clinic=clinic, now=first + dt.timedelta(days=6)) == []
    [sent] = course_reminders_send(clinic=clinic, now=first + dt.timedelta(days=7))
    assert course_reminders_send(clinic=clinic, now=first + dt.timedelta(days=7, hours=3)) == []
    # A care reminder of an agreed course: the marketing opt-out does not stop it.
    assert (sent.kind, sent.category, sent.status) == (
        Kind.NEXT_SESSION,
        Category.CARE,
        MessageStatus.SENT,
    )
    [email] = mail.outbox
    assert "Session 2 of your course" in email.body and "11 January 2027" in email.body


def test_no_next_session_reminder_when_the_patient_has_an_appointment(clinic, practitioner):
    setup = booking_setup(clinic)
    amara = patient(clinic)
    plan = course_plan(clinic, practitioner, amara)
    first = dt.datetime(2027, 1, 4, 10, tzinfo=LONDON)
    given_sessions(plan, practitioner, [first])
    appointment(setup, amara, first + dt.timedelta(days=8))
    assert course_reminders_send(clinic=clinic, now=first + dt.timedelta(days=7)) == []
    assert course_due_list(clinic=clinic, now=first + dt.timedelta(days=7)) == []


def _six_sessions(clinic, practitioner, amara):
    plan = course_plan(clinic, practitioner, amara)
    first = dt.datetime(2027, 1, 4, 10, tzinfo=LONDON)
    given_sessions(plan, practitioner, [first + dt.timedelta(weeks=w) for w in range(6)])
    return plan, (first + dt.timedelta(weeks=5))


def test_the_maintenance_recall_opens_from_the_protocols_maintenance_interval(clinic, practitioner):
    amara = patient(clinic)
    plan, last = _six_sessions(clinic, practitioner, amara)
    # seed 000: top up after six to eight months; the catalog says 180 to 240 days.
    assert course_reminders_send(clinic=clinic, now=last + dt.timedelta(days=179)) == []
    [sent] = course_reminders_send(clinic=clinic, now=last + dt.timedelta(days=180))
    assert course_reminders_send(clinic=clinic, now=last + dt.timedelta(days=181)) == []
    assert (sent.kind, sent.category) == (Kind.MAINTENANCE_RECALL, Category.MARKETING)
    [due] = course_due_list(clinic=clinic, now=last + dt.timedelta(days=200))
    assert due.number == 7 and due.opens == (last + dt.timedelta(days=180)).date()
    assert due.closes == (last + dt.timedelta(days=240)).date() and due.message == sent
    # After the window has closed nothing is written; the worklist shows it as overdue.
    assert course_due_list(clinic=clinic, now=last + dt.timedelta(days=241)) == []
    [late] = course_due_list(clinic=clinic, now=last + dt.timedelta(days=241), include_closed=True)
    assert late.overdue((last + dt.timedelta(days=241)).date())


def test_the_maintenance_recall_respects_the_marketing_opt_out(clinic, practitioner, receptionist):
    amara = patient(clinic)
    preference_set(patient=amara, by=receptionist, channel=Channel.EMAIL, marketing_opt_out=True)
    plan, last = _six_sessions(clinic, practitioner, amara)
    [logged] = course_reminders_send(clinic=clinic, now=last + dt.timedelta(days=190))
    assert logged.status == MessageStatus.OPTED_OUT and mail.outbox == [] and sms.outbox == []
    assert course_reminders_send(clinic=clinic, now=last + dt.timedelta(days=191)) == []


def test_archived_patients_are_not_written_to(clinic, practitioner, manager):
    from pistor.patients.services import patient_archive

    amara = patient(clinic)
    plan, last = _six_sessions(clinic, practitioner, amara)
    patient_archive(patient=amara, actor=manager, reason="Moved away")
    assert course_reminders_send(clinic=clinic, now=last + dt.timedelta(days=190)) == []


# ---------------------------------------------------------------------- stock alert email


def test_the_daily_stock_email_lists_low_stock_and_expiring_batches_once_a_day(
    clinic, manager, nurse
):
    from pistor.inventory.tests.factories import batch, product

    low = product(clinic, code="low-saline", name="Low saline", reorder_level=50)
    batch(clinic, low, lot="LOW-1", days=300, ml="10")
    soon = product(clinic, code="soon-saline", name="Soon saline")
    batch(clinic, soon, lot="SOON-1", days=3, ml="100")
    now = dt.datetime.combine(dt.datetime.now(LONDON).date(), dt.time(9), tzinfo=LONDON)
    [sent] = stock_alerts_send(clinic=clinic, now=now)
    assert stock_alerts_send(clinic=clinic, now=now + dt.timedelta(hours=1)) == []
    [email] = mail.outbox
    assert email.to == [manager.email]
    assert "Below the reorder level" in email.body and "Low saline" in email.body
    assert "Expiring within" in email.body and "SOON-1" in email.body
    assert sent.kind == Kind.STOCK_ALERT and sent.patient is None
    assert sent.staff is not None and sent.staff.user == manager


def test_no_stock_email_without_alerts(clinic, manager):
    assert stock_alerts_send(clinic=clinic, now=dt.datetime.now(dt.UTC)) == []
    assert mail.outbox == []


@pytest.fixture
def raced_patient(transactional_db, clinic):
    return patient(clinic)


@pytest.fixture
def race(raced_patient, threads_share_a_file_database):
    # In this order: the data exists before SQLite's test database is copied to a file.
    return raced_patient


def test_workers_racing_for_one_occasion_send_it_once(race, clinic):
    """Eight workers, real connections, released together: one message, one email."""
    results = in_threads(
        8,
        lambda: message_send(
            clinic=clinic, kind=Kind.APPOINTMENT_REMINDER, dedupe_key="raced",
            template="appointment_reminder", patient=race,
            context={"visit": "Session", "day": "Monday", "time": "10:00"},
        ),
    )  # fmt: skip
    assert sum(r is not None for r in results) == 1
    assert len(mail.outbox) == 1
    assert in_threads(1, lambda: Message.objects.filter(dedupe_key="raced").count()) == [1]
