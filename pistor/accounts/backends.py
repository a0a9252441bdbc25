"""Django's model backend, with the user read every signed-in request makes written as SQL."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends, get_user_model

from pistor.core.rows import model_get, row_id


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        # ``UserModel._default_manager.get(pk=user_id)`` without compiling it on every
        # request (issue 7). The id comes from the signed session; a malformed one is
        # no user, as the ORM's DoesNotExist would be.
        pk = row_id(user_id)
        if pk is None:
            return None
        user = model_get(get_user_model(), "r.id = %s", [pk])
        return user if user is not None and self.user_can_authenticate(user) else None
