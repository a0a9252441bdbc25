from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pistor.audit"
    label = "audit"
