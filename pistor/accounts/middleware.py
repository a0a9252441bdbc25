from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LAST_SEEN_KEY = "pistor_last_seen"
# Read (and removed) by the sign-in page to say why the person was signed out.
INACTIVITY_FLAG = "signed_out_for_inactivity"


class InactivityTimeoutMiddleware:
    """Signs staff out after a period without activity (a shared tablet left unlocked)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - int(last_seen) > settings.SESSION_INACTIVITY_SECONDS:
                logout(request)  # flushes the server-side session
                request.session[INACTIVITY_FLAG] = True
            else:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)
