from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pistor.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes and side effects"

    def ready(self) -> None:
        from pistor.outcomes import record  # noqa: F401  (registers the patient record's panel)
