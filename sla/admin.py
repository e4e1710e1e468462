"""Business calendars in the tenant's configuration admin, with a preview of the coming week."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supportdesk.admin_site import PlatformModelAdmin, TenantScopedAdmin, tenant_admin_site

from . import calendar as core
from .models import BusinessCalendar

PREVIEW_DAYS = 7
CLOSURE_HORIZON = dt.timedelta(days=366)
CLOSURES_SHOWN = 8
CLOSURE_REASONS = (core.Reason.HOLIDAY, core.Reason.CLOSED_DATE)

HELP_TEXTS = {
    "timezone": _('IANA time zone the hours are meant in, e.g. "Europe/Copenhagen".'),
    "weekly_hours": _(
        'JSON: weekday (mon … sun) to a list of ["HH:MM", "HH:MM"] open–close pairs; a '
        'missing day is closed and "24:00" closes at midnight. E.g. {"mon": [["08:00", '
        '"16:00"]], "fri": [["08:00", "15:30"]]}.'
    ),
    "special_hours": _(
        "JSON: ISO date to open–close pairs that replace that day's hours; [] closes the "
        'day. E.g. {"2026-12-23": [["08:00", "12:00"]]}.'
    ),
    "closed_dates": _(
        'JSON list of ISO dates (YYYY-MM-DD) the desk is closed, e.g. ["2026-12-24"].'
    ),
    "holiday_country": _(
        'Two-letter ISO code whose holidays close the desk, e.g. "DK"; empty: no holidays.'
    ),
    "holiday_subdivision": _("Optional region of the holiday country, e.g. a state code."),
}


# --- Preview ---------------------------------------------------------------------------------


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone)


def _clock(moment: dt.datetime, zone: ZoneInfo, day: dt.date) -> str:
    """Local HH:MM; the midnight that ends `day` reads 24:00, as in the configuration."""
    local = moment.astimezone(zone)
    return "24:00" if local.date() > day else f"{local:%H:%M}"


def day_hours(calendar: core.BusinessCalendar, zone: ZoneInfo, day: dt.date) -> str:
    """One local day's open hours ("08:00–16:00"), or why it is closed all day."""
    start = _local_midnight(day, zone)
    end = _local_midnight(day + dt.timedelta(days=1), zone)
    stretches = calendar.explain(start, end).stretches
    opened = [s for s in stretches if s.is_open]
    if not opened:
        label = stretches[0].label if stretches else ""
        return gettext("closed (%(why)s)") % {"why": label}
    return ", ".join(f"{_clock(s.start, zone, day)}–{_clock(s.end, zone, day)}" for s in opened)


def upcoming_closures(
    calendar: core.BusinessCalendar, zone: ZoneInfo, today: dt.date
) -> list[tuple[dt.date, str]]:
    """Holidays and closed dates that close an otherwise open day, soonest first."""
    start = _local_midnight(today, zone)
    explanation = calendar.explain(start, start + CLOSURE_HORIZON)
    closures = [
        (day, name or stretch.label)
        for stretch in explanation.skipped
        if stretch.reason in CLOSURE_REASONS
        for day, name in zip(stretch.dates, stretch.names, strict=True)
    ]
    return closures[:CLOSURES_SHOWN]


def _status(calendar: core.BusinessCalendar, zone: ZoneInfo, now: dt.datetime) -> str:
    if calendar.is_open(now):
        return gettext("Open now.")
    opens = calendar.next_open(now).astimezone(zone)
    return gettext("Closed now; opens %(when)s.") % {
        "when": f"{date_format(opens.date(), 'D j M Y')} {opens:%H:%M}"
    }


def render_preview(calendar: core.BusinessCalendar, now: dt.datetime) -> str:
    """The coming week's hours and the next closures, in the calendar's own zone."""
    zone = ZoneInfo(calendar.config.timezone)
    today = now.astimezone(zone).date()
    days = [today + dt.timedelta(days=n) for n in range(PREVIEW_DAYS)]
    week = format_html_join(
        "",
        "<tr><th scope='row'>{}</th><td>{}</td></tr>",
        ((date_format(day, "D j M Y"), day_hours(calendar, zone, day)) for day in days),
    )
    closures = upcoming_closures(calendar, zone, today)
    listed = format_html_join(
        "", "<li>{}: {}</li>", ((date_format(day, "D j M Y"), name) for day, name in closures)
    )
    return format_html(
        '<div class="calendar-preview"><p>{}</p><p>{}</p><table>{}</table>'
        "<p>{}</p><ul>{}</ul></div>",
        _status(calendar, zone, now),
        gettext("Times in %(zone)s.") % {"zone": calendar.config.timezone},
        week,
        gettext("Next closures") if closures else gettext("No closures in the coming year."),
        listed,
    )


# --- Admin -----------------------------------------------------------------------------------


class CalendarForm(forms.ModelForm):
    def clean(self):
        """Name the clashing key on its field; the constraint's own message names only itself."""
        cleaned = super().clean()
        key, tenant = cleaned.get("key"), self.instance.tenant_id
        if key and tenant:
            organization = cleaned.get("organization")
            clash = BusinessCalendar.objects.filter(
                tenant_id=tenant, key=key, organization=organization
            ).exclude(pk=self.instance.pk)
            if clash.exists():
                owner = _("This customer") if organization else _("Your desk")
                self.add_error(
                    "key",
                    _("%(owner)s already has a calendar with this key.") % {"owner": owner},
                )
        return cleaned


@admin.register(BusinessCalendar, site=tenant_admin_site)
class BusinessCalendarAdmin(TenantScopedAdmin):
    form = CalendarForm
    list_display = (
        "key",
        "name",
        "organization",
        "timezone",
        "holiday_country",
        "is_placeholder",
        "updated_at",
    )
    list_filter = ("organization", "is_placeholder", "holiday_country")
    list_select_related = ("organization",)
    search_fields = ("key", "name", "organization__name")
    ordering = ("key", "organization__name")
    autocomplete_fields = ("organization",)
    readonly_fields = ("preview",)
    fieldsets = (
        (None, {"fields": ("key", "name", "organization", "is_placeholder")}),
        (
            _("Opening hours"),
            {"fields": ("timezone", "weekly_hours", "special_hours", "business_day_minutes")},
        ),
        (
            _("Holidays and closures"),
            {
                "fields": (
                    "holiday_country",
                    "holiday_subdivision",
                    "holiday_categories",
                    "closed_dates",
                )
            },
        ),
        (_("Preview"), {"fields": ("preview",)}),
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs.setdefault("help_texts", HELP_TEXTS)
        return super().get_form(request, obj, change=change, **kwargs)

    @admin.display(description=_("coming week"))
    def preview(self, obj: BusinessCalendar) -> str:
        """Shown for the saved row; while a form has errors the row holds the bad input."""
        if obj is None or obj.pk is None:
            return gettext("Save the calendar to see its coming week.")
        try:
            return render_preview(obj.core(), timezone.now())
        except (ValidationError, ValueError, TypeError):
            return gettext("No preview until the configuration is valid.")


admin.site.register(BusinessCalendar, PlatformModelAdmin)
