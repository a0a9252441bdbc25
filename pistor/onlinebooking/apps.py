from django.apps import AppConfig


class OnlineBookingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pistor.onlinebooking"
    verbose_name = "Online booking"
