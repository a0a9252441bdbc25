"""What the demo clinics contain. Every person here is invented."""

from __future__ import annotations

import base64
import datetime as dt
import unicodedata
from typing import Any

# One password for every demo account, printed by ``pistor demo``. Demo only: a real
# clinic's accounts are made with ``pistor createstaff``.
DEMO_PASSWORD = "mesotherapy-demo-1952"  # noqa: S105

# The authenticator secret of the demo accounts that must use a second factor, in the
# base32 form authenticator apps take. Fixed, so the printed secret always works.
DEMO_TOTP_KEY = b"pistor-demo-2fa-key!"
DEMO_TOTP_SECRET = base64.b32encode(DEMO_TOTP_KEY).decode()

HARBOUR = "harbour-skin-clinic"
HILLSIDE = "hillside-aesthetics"

CLINICS: list[dict[str, Any]] = [
    {
        "slug": HARBOUR,
        "name": "Harbour Skin Clinic",
        "address": "12 Wharf Street\nLeeds LS2 7EQ\nUnited Kingdom",
        "time_zone": "Europe/London",
        "currency": "GBP",
        "registration_numbers": (
            "CQC provider ID 1-1234567890 (demo)\nCompany number 01234567 (demo)"
        ),
    },
    {
        "slug": HILLSIDE,
        "name": "Hillside Aesthetics",
        "address": "3 Parliament Street\nHarrogate HG1 2QU\nUnited Kingdom",
        "time_zone": "Europe/London",
        "currency": "GBP",
        "registration_numbers": "Company number 07654321 (demo)",
    },
]

# Harbour's safety settings, changed through the same service a manager's page uses, so a
# newcomer sees a clinic that has made choices: test injections are read after 48 hours, as
# beauty-sector patch tests are [S59a], and where one source lists breastfeeding as a
# contraindication to aminophylline and the others do not [S41b], Harbour follows the one.
CLINIC_SETTINGS: dict[str, dict[str, Any]] = {
    HARBOUR: {
        "allergy_test_min_read_hours": 48,
        "caution_severity_overrides": {"breastfeeding": "block"},
    },
}

# (email, full name, clinic slug, role, uses an authenticator)
STAFF: list[tuple[str, str, str, str, bool]] = [
    ("practitioner@harbour.example", "Dr Amara Okafor", HARBOUR, "practitioner", True),
    ("nurse@harbour.example", "Niamh Gallagher", HARBOUR, "nurse", False),
    ("reception@harbour.example", "Tomasz Wiśniewski", HARBOUR, "reception", False),
    ("manager@harbour.example", "Priya Raman", HARBOUR, "manager", True),
    ("manager@hillside.example", "Eilidh MacLeod", HILLSIDE, "manager", True),
]

ARCHIVE_REASON = "Moved abroad; record kept for the retention period."


def _patient(
    given: str,
    family: str,
    born: dt.date,
    sex: str,
    fitzpatrick: int | None,
    phone: str,
    language: str = "English",
    *,
    archived: bool = False,
) -> dict[str, Any]:
    # Mail addresses stay ASCII: "José" writes from jose@...
    local = unicodedata.normalize("NFKD", given.lower().replace(" ", "").replace("ł", "l"))
    local = local.encode("ascii", "ignore").decode()
    return {
        "fields": {
            "given_name": given,
            "family_name": family,
            "date_of_birth": born,
            "sex": sex,
            "fitzpatrick_type": fitzpatrick,
            "phone": phone,
            "email": f"{local}@mail.example",
            "preferred_language": language,
        },
        "archived": archived,
    }


# Names with accents and apostrophes on purpose: search must find "Siobhán" from "siobhan".
PATIENTS: dict[str, list[dict[str, Any]]] = {
    HARBOUR: [
        _patient("José", "Álvarez", dt.date(1984, 3, 2), "male", 3, "+44 7700 900101", "Spanish"),
        _patient("Zoë", "Clarke", dt.date(1991, 11, 23), "female", 1, "+44 7700 900102"),
        _patient("Siobhán", "O'Brien", dt.date(1979, 6, 14), "female", 1, "+44 7700 900103"),
        _patient("Ngozi", "Adeyemi", dt.date(1988, 1, 30), "female", 5, "+44 7700 900104"),
        _patient("Björn", "Lindqvist", dt.date(1969, 9, 8), "male", 2, "+44 7700 900105"),
        _patient("Chloé", "Dubois", dt.date(1995, 4, 17), "female", 2, "+44 7700 900106", "French"),
        _patient("Mohammed", "Al-Rashid", dt.date(1982, 12, 5), "male", 4, "+44 7700 900107"),
        _patient(
            "Łucja", "Kowalczyk", dt.date(1975, 7, 21), "female", 2, "+44 7700 900108", "Polish"
        ),
        _patient("Hannah", "Whitaker", dt.date(1999, 2, 11), "female", 3, "+44 7700 900109"),
        _patient("Mei", "Chen", dt.date(1986, 10, 3), "female", 3, "+44 7700 900110", "Mandarin"),
        _patient("Kwame", "Mensah", dt.date(1972, 5, 27), "male", 6, "+44 7700 900111"),
        _patient(
            "Rhiannon",
            "Pryce",
            dt.date(1965, 8, 19),
            "female",
            2,
            "+44 7700 900112",
            archived=True,
        ),
    ],
    HILLSIDE: [
        _patient("Oliver", "Bennett", dt.date(1980, 3, 9), "male", 2, "+44 7700 900201"),
        _patient("Fatima", "Hussain", dt.date(1993, 6, 1), "female", 4, "+44 7700 900202"),
    ],
}


# Harbour's own course and house product, to show clinic entries beside the built-in
# catalog: validated by the same loader and planned by the same engine.
CLINIC_PROTOCOLS: dict[str, list[dict[str, Any]]] = {
    HARBOUR: [
        {
            "code": "harbour-scalp-fortnightly",
            "name": "Harbour scalp course (fortnightly)",
            "description": (
                "Our usual hair-loss course: six sessions about two weeks apart, then a "
                "top-up every four months. A house template; adapt it to the patient."
            ),
            "indications": ["hair-loss"],
            "phases": [
                {
                    "name": "initial",
                    "sessions_min": 4,
                    "sessions_default": 6,
                    "sessions_max": 8,
                    "interval_min_days": 12,
                    "interval_target_days": 14,
                    "interval_max_days": 21,
                }
            ],
            "maintenance": {
                "interval_min_days": 100,
                "interval_target_days": 120,
                "interval_max_days": 150,
            },
        }
    ],
}

CLINIC_PRODUCTS: dict[str, list[dict[str, Any]]] = {
    HARBOUR: [
        {
            "code": "harbour-revitalising-mix",
            "name": "Harbour revitalising mix",
            "manufacturer": "Prepared by the clinic's pharmacy",
            "description": (
                "Non-cross-linked hyaluronic acid with vitamins, as the clinic orders it "
                "made up; a house product, not a marketed one."
            ),
            "form": "solution",
            "unit_volume": "3 mL",
            "regulatory_status": "compounded",
            "composition": [
                {"ingredient": "hyaluronic-acid", "concentration": "15 mg/mL"},
                {"ingredient": "vitamins"},
            ],
        }
    ],
}
