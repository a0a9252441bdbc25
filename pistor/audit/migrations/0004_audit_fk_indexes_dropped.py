"""The audit trail's clinic and actor columns lose their single-column indexes.

Every read of the trail is by clinic and uses the indexes that start with the clinic, while
each index is written by every audited action (issue 7). The indexes are dropped by name
rather than by Django's AlterField, which on SQLite rebuilds the table: a long copy of the
whole trail, and the append-only triggers of 0003 dropped with the old table.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Django's names for the two foreign keys' indexes (the same on PostgreSQL and SQLite).
INDEXES = {
    "audit_auditevent_actor_id_270bb4b7": "actor_id",
    "audit_auditevent_clinic_id_8b98597b": "clinic_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_append_only_guard"),
        ("clinics", "0004_clinic_allergy_test_policy"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    f"CREATE INDEX {name} ON audit_auditevent ({column})",
                )
                for name, column in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="clinic",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="clinics.clinic",
                    ),
                ),
            ],
        )
    ]
