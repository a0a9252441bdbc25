from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "pistor.clinics"
    label = "clinics"
