"""No double booking, enforced by PostgreSQL itself.

Exclusion constraints (``btree_gist``) refuse two live appointments whose time ranges
overlap for the same member of staff, room, device or patient. Cancelled appointments do
not count. SQLite has no such constraint: there the booking service checks for overlaps
inside its write-locked transaction (BEGIN IMMEDIATE), so the guard is vendor-specific and
kept out of the model state (``makemigrations`` stays clean on both).
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

# (constraint name, column, end column): staff, room and device stay taken for the buffer.
GUARDS = [
    ("scheduling_no_double_staff", "staff_id", "occupied_until"),
    ("scheduling_no_double_room", "room_id", "occupied_until"),
    ("scheduling_no_double_device", "device_id", "occupied_until"),
    ("scheduling_no_double_patient", "patient_id", "ends_at"),
]


def add_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column, end in GUARDS:
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(starts_at, {end}, '[)') WITH &&) "
            "WHERE (status <> 'cancelled')"
        )


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column, _end in GUARDS:
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {name}"
        )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_guards, drop_guards),
    ]
