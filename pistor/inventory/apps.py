from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "pistor.inventory"
    label = "inventory"
    verbose_name = "Products, batches and traceability"
