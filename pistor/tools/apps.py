from django.apps import AppConfig


class ToolsConfig(AppConfig):
    name = "pistor.tools"
    label = "tools"
