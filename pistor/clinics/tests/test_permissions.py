"""The permission matrix, cell by cell, and the gate that enforces it on pages."""

from __future__ import annotations

import pytest

from conftest import signed_in_client
from pistor.clinics.models import Role
from pistor.clinics.permissions import Action, can

# Written out by hand on purpose: changing the matrix must change this table too.
Y, N = True, False
COLUMNS = (Role.PRACTITIONER, Role.NURSE, Role.RECEPTION, Role.MANAGER)
TABLE: dict[Action, tuple[bool, bool, bool, bool]] = {
    #                            practitioner  nurse  reception  manager
    Action.PATIENT_VIEW:        (Y,            Y,     Y,         Y),
    Action.PATIENT_CREATE:      (Y,            Y,     Y,         Y),
    Action.PATIENT_EDIT:        (Y,            Y,     Y,         Y),
    Action.PATIENT_ARCHIVE:     (Y,            N,     N,         Y),
    Action.CLINICAL_NOTES_VIEW: (Y,            Y,     N,         Y),
    Action.CATALOG_VIEW:        (Y,            Y,     Y,         Y),
    Action.CATALOG_MANAGE:      (N,            N,     N,         Y),
    Action.AUDIT_VIEW:          (N,            N,     N,         Y),
    Action.STAFF_MANAGE:        (N,            N,     N,         Y),
    Action.CLINIC_SETTINGS:     (N,            N,     N,         Y),
    Action.CLINIC_SETTINGS_VIEW: (Y,           Y,     Y,         Y),
    Action.API_DOCS_VIEW:       (Y,            Y,     Y,         Y),
    Action.CLINICAL_TOOLS_USE:  (Y,            Y,     N,         Y),
    Action.CONSENT_VIEW:        (Y,            Y,     N,         Y),
    Action.CONSENT_MANAGE:      (Y,            Y,     N,         Y),
    Action.CONSENT_COUNTERSIGN: (Y,            N,     N,         Y),
    Action.PLAN_VIEW:           (Y,            Y,     N,         Y),
    Action.PLAN_MANAGE:         (Y,            N,     N,         Y),
    Action.PRICE_LIST_MANAGE:   (N,            N,     N,         Y),
    Action.INTAKE_RECORD:       (Y,            Y,     Y,         Y),
    Action.INTAKE_LINK_SEND:    (Y,            Y,     Y,         Y),
    Action.CONSULTATION_RECORD: (Y,            Y,     N,         Y),
    Action.SCREENING_OVERRIDE:  (Y,            N,     N,         N),
    Action.ALLERGY_TEST_RECORD: (Y,            Y,     N,         Y),
    Action.INVENTORY_VIEW:      (Y,            Y,     N,         Y),
    Action.INVENTORY_RECEIVE:   (N,            Y,     N,         Y),
    Action.INVENTORY_USE:       (Y,            Y,     N,         Y),
    Action.INVENTORY_TRACE:     (Y,            N,     N,         Y),
    Action.INVENTORY_MANAGE:    (N,            N,     N,         Y),
    Action.TREATMENT_VIEW:      (Y,            Y,     N,         Y),
    Action.TREATMENT_RECORD:    (Y,            Y,     N,         Y),
    Action.TREATMENT_SIGN:      (Y,            N,     N,         N),
    Action.SCHEDULE_VIEW:       (Y,            Y,     Y,         Y),
    Action.APPOINTMENT_BOOK:    (Y,            Y,     Y,         Y),
    Action.SCHEDULE_MANAGE:     (N,            N,     N,         Y),
    Action.MESSAGES_VIEW:       (Y,            Y,     Y,         Y),
    Action.MESSAGE_PREFERENCES_EDIT: (Y,       Y,     Y,         Y),
    Action.RECALLS_VIEW:        (Y,            Y,     Y,         Y),
    Action.MESSAGE_LOG_VIEW:    (N,            N,     N,         Y),
    Action.PHOTO_VIEW:          (Y,            Y,     N,         Y),
    Action.PHOTO_RECORD:        (Y,            Y,     N,         Y),
    Action.PHOTO_EXPORT:        (Y,            N,     N,         Y),
    Action.OUTCOME_VIEW:        (Y,            Y,     N,         Y),
    Action.OUTCOME_RECORD:      (Y,            Y,     N,         Y),
    Action.SIDE_EFFECT_REVIEW:  (Y,            N,     N,         Y),
    Action.OUTCOME_REPORT:      (N,            N,     N,         Y),
}  # fmt: skip
EXPECTED: dict[Action, dict[Role, bool]] = {
    action: dict(zip(COLUMNS, row, strict=True)) for action, row in TABLE.items()
}

CELLS = [(role, action) for action in Action for role in Role]


def test_the_table_covers_every_action_and_every_role():
    assert set(TABLE) == set(Action), "a new Action needs a row in TABLE"
    assert set(COLUMNS) == set(Role), "a new Role needs a column in TABLE"


@pytest.mark.parametrize(("role", "action"), CELLS, ids=[f"{r.value}-{a.value}" for r, a in CELLS])
def test_each_cell_of_the_matrix(role, action):
    assert can(role, action) is EXPECTED[action][role]
    assert can(role.value, action) is EXPECTED[action][role]


@pytest.mark.parametrize("action", list(Action))
def test_nobody_without_a_role_may_do_anything(action):
    assert can(None, action) is False


# --- The gate on pages --------------------------------------------------------------------

pytestmark_urls = pytest.mark.urls("pistor.accounts.tests.urls")


@pytestmark_urls
@pytest.mark.django_db
def test_reception_is_refused_the_audit_trail_with_a_403_page(client, receptionist):
    signed_in_client(client, receptionist)
    response = client.get("/_test/audit/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Not allowed" in html and "does not allow this" in html
    assert "audit page" not in html
    assert client.get("/_test/audit-class/").status_code == 403


@pytestmark_urls
@pytest.mark.django_db
def test_a_manager_may_open_the_audit_trail(client, manager):
    signed_in_client(client, manager)
    assert client.get("/_test/audit/").content == b"audit page"
    assert client.get("/_test/audit-class/").content == b"audit class page"


@pytestmark_urls
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role_fixture", "expected_status"),
    [("practitioner", 403), ("nurse", 403), ("receptionist", 403), ("manager", 200)],
)
def test_every_role_meets_the_matrix_at_the_gate(client, role_fixture, expected_status, request):
    signed_in_client(client, request.getfixturevalue(role_fixture))
    assert client.get("/_test/audit/").status_code == expected_status
    assert client.get("/_test/staff-manage/").status_code == expected_status
