"""Reads for business calendars."""

from __future__ import annotations

from django.db.models import QuerySet

from supportdesk.models import Tenant

from .models import BusinessCalendar


def calendar_list(*, tenant: Tenant | None) -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.for_tenant(tenant).select_related("organization")
