from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "pistor.inventory"
    label = "inventory"
    verbose_name = "Products, batches and traceability"

    def ready(self) -> None:
        from pistor.inventory import record  # noqa: F401  (registers the patient record's panel)
