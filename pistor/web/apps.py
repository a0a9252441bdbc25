from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "pistor.web"
    label = "web"
