"""Indexed patient search, and search text without punctuation ("obrien" finds O'Brien).

The index itself is described in ``pistor.patients.search_index``: a ``pg_trgm`` GIN index
on PostgreSQL, an FTS5 trigram table kept in step by triggers on SQLite.
"""

from django.db import migrations

from pistor.patients.search import build_search_column, build_search_text


def refill_search_columns(apps, schema_editor):
    # The same normalisation as the services (patients.services.refresh_search_text).
    Patient = apps.get_model("patients", "Patient")
    fields = ("pk", "given_name", "family_name", "record_number", "email", "phone")
    for patient in Patient.objects.only(*fields).iterator():
        Patient.objects.filter(pk=patient.pk).update(
            search_text=build_search_column(
                [patient.given_name, patient.family_name, patient.record_number, patient.email],
                phones=[patient.phone],
            ),
            sort_name=build_search_text([patient.family_name, patient.given_name])[:300],
        )


def create_index(apps, schema_editor):
    from pistor.patients.search_index import create_search_index

    create_search_index(schema_editor.connection)


def drop_index(apps, schema_editor):
    from pistor.patients.search_index import drop_search_index

    drop_search_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_patient_sort_name")]

    operations = [
        migrations.RunPython(refill_search_columns, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
