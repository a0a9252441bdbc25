from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "pistor.catalog"
    label = "catalog"
