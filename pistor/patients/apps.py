from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "pistor.patients"
    label = "patients"
