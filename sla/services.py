"""Writes for business calendars."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import BusinessCalendar


@transaction.atomic
def calendar_save(*, calendar: BusinessCalendar, values: dict[str, Any]) -> BusinessCalendar:
    """Create or change a calendar; the core validates it (per-field errors) before saving."""
    organization = values.get("organization", calendar.organization if calendar.pk else None)
    if organization is not None and organization.tenant_id != calendar.tenant_id:
        raise ValidationError({"organization": _("Not found.")})
    for name, value in values.items():
        setattr(calendar, name, value)
    calendar.full_clean()
    calendar.save()
    return calendar
