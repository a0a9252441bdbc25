from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pistor.treatments"
    label = "treatments"
    verbose_name = "Treatment sessions"

    def ready(self) -> None:
        from pistor.treatments import record  # noqa: F401  (registers the patient record's panel)
