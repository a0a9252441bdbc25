from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "pistor.consultations"
    label = "consultations"
