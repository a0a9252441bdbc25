from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pistor.audit"
    label = "audit"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from pistor.audit import checks  # noqa: F401  (registers the system check)
        from pistor.audit.guard import register_sqlite_guard

        connection_created.connect(register_sqlite_guard, dispatch_uid="pistor_audit_guard")
