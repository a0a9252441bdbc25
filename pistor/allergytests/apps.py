from django.apps import AppConfig


class AllergyTestsConfig(AppConfig):
    name = "pistor.allergytests"
    label = "allergytests"
