from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pistor.messaging"
    label = "messaging"
    verbose_name = "Messages, reminders and recalls"
