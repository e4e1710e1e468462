"""Request tenant, time zone and language from the signed-in user."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation


class TenantMiddleware:
    """Sets `request.tenant` (None when anonymous or a platform operator).

    DRF authenticates tokens inside the view, after this middleware, so API
    code reads the tenant from `request.user.tenant` instead.

    Also shows times in the viewer's zone and, unless the visitor picked a
    language with the switcher (cookie), speaks the user's language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        authenticated = user is not None and user.is_authenticated
        request.tenant = user.tenant if authenticated and user.tenant_id else None

        if authenticated:
            timezone.activate(zoneinfo.ZoneInfo(user.effective_timezone))
            if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
                translation.activate(user.effective_language)
                request.LANGUAGE_CODE = translation.get_language()
        else:
            timezone.deactivate()
        return self.get_response(request)
