from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pistor.core"
    label = "core"
