from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PatientsConfig(AppConfig):
    name = "pistor.patients"
    label = "patients"

    def ready(self) -> None:
        from pistor.patients.search_index import ensure_search_index

        # SQLite drops the search index's triggers when a migration rebuilds the table.
        post_migrate.connect(ensure_search_index, sender=self, dispatch_uid="patients-search")
