"""Demo online booking: Harbour's public page is live (/book/harbour-skin-clinic/), offering
the visit types the scheduling demo marks bookable (first consultation, follow-up)."""

from __future__ import annotations

from pistor.clinics.models import Clinic
from pistor.onlinebooking.models import OnlineBookingSettings
from pistor.onlinebooking.services import booking_settings_update
from pistor.scheduling.models import AppointmentType

HARBOUR = "harbour-skin-clinic"


def online_booking_demo_load(*, clinic: Clinic) -> int:
    """Turn the public page on for Harbour once; a manager's later choice is left alone."""
    if clinic.slug != HARBOUR or OnlineBookingSettings.objects.for_clinic(clinic).exists():
        return 0
    bookable = list(
        AppointmentType.objects.for_clinic(clinic)
        .filter(online_bookable=True, is_active=True)
        .values_list("pk", flat=True)
    )
    booking_settings_update(
        clinic=clinic,
        actor=None,
        enabled=True,
        days_ahead=28,
        min_notice_hours=2,
        change_cutoff_hours=24,
        bookable_type_ids=bookable,
    )
    return 1
