from django.apps import AppConfig


class PlansConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pistor.plans"
    verbose_name = "Treatment plans and prices"
