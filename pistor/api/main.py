"""Pistor's JSON API, version 1: one NinjaAPI, each area's router mounted under it."""

from __future__ import annotations

from ninja import NinjaAPI

from pistor.api.auth import undeclared
from pistor.api.docs import StaffSwagger
from pistor.api.errors import install_error_handlers

API_DESCRIPTION = """\
The JSON API of Pistor, a clinical system for mesotherapy clinics.

**Authentication.** Send `Authorization: Bearer <token>`. A token acts as one member of
staff at one clinic, with their role there; create one with
`pistor token create --user EMAIL [--clinic SLUG]` and revoke it with
`pistor token revoke PREFIX`. Signed-in staff using this page are authenticated by their
session instead.

**Errors.** Every error answers `{"message": "...", "extra": {...}}`: 401 without a valid
token, 403 when your role may not do it, 404 for a record that does not exist *or belongs
to another clinic*, 409 for a conflict or a care-pathway gate (`extra.reasons`), 422 for
input that needs correcting (`extra.fields` maps each field to its messages).
"""

api = NinjaAPI(
    title="Pistor API",
    version="1",
    description=API_DESCRIPTION,
    urls_namespace="api-v1",
    auth=undeclared(),
    docs=StaffSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)


def _mount_routers() -> None:
    # Imported here, after ``api`` exists, because the routers import the API's auth.
    from pistor.catalog.api import router as catalog_router
    from pistor.clinics.api import router as clinic_router
    from pistor.patients.api import router as patients_router

    api.add_router("/patients", patients_router)

    from pistor.tools.api import router as tools_router

    api.add_router("/clinical", tools_router)
    api.add_router("/catalog", catalog_router)
    api.add_router("/clinic", clinic_router)
    from pistor.intake.api import router as intake_router

    api.add_router("/patients", intake_router)
    from pistor.consultations.api import router as consultations_router

    api.add_router("/patients", consultations_router)
    from pistor.allergytests.api import router as allergytests_router

    api.add_router("/patients", allergytests_router)

    from pistor.consents.api import router as consents_router

    api.add_router("/consents", consents_router)

    from pistor.plans.api import router as plans_router

    api.add_router("/plans", plans_router)

    from pistor.accounts.api import router as staff_router

    api.add_router("/staff", staff_router)

    from pistor.inventory.api import router as inventory_router

    api.add_router("/inventory", inventory_router)
    from pistor.treatments.api import router as treatments_router

    api.add_router("/treatments", treatments_router)
    from pistor.scheduling.api import router as scheduling_router

    api.add_router("/scheduling", scheduling_router)
    from pistor.messaging.api import router as messaging_router

    api.add_router("/messaging", messaging_router)
    from pistor.photos.api import router as photos_router

    api.add_router("/photos", photos_router)
    from pistor.outcomes.api import router as outcomes_router

    api.add_router("/outcomes", outcomes_router)


_mount_routers()
