from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "pistor.api"
    label = "api"
