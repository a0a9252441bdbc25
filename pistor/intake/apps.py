from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "pistor.intake"
    label = "intake"
