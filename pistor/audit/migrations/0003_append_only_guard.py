"""The audit tables refuse UPDATE and DELETE (see pistor.audit.guard).

SQLite rebuilds a table to alter it, dropping its triggers: a later migration that alters
these tables on SQLite must create the triggers again (the guard's tests would fail).
"""

from django.db import migrations

TABLES = ("audit_auditevent", "audit_auditseal")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION pistor_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: %% on %% refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION pistor_audit_refuse_change()"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            for operation in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    "WHEN pistor_audit_guard() "
                    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
                )


def _backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif vendor == "sqlite":
            for operation in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS pistor_audit_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_seals")]

    operations = [migrations.RunPython(_forward, _backward, elidable=False)]
