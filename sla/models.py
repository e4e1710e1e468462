"""Business calendars as tenant data; the arithmetic lives in the pure `sla.calendar`."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import holidays
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.models import validate_timezone
from supportdesk.tenancy import TenantOwned

from . import calendar as core

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# The core names the argument it rejects at the start of its message; map it to our field.
CORE_ARGUMENT_TO_FIELD = {
    "timezone": "timezone",
    "weekly_hours": "weekly_hours",
    "holiday_country": "holiday_country",
    "holiday_subdivision": "holiday_subdivision",
    "holiday_categories": "holiday_categories",
    "holiday_language": "holiday_country",
    "closed_dates": "closed_dates",
    "special_hours": "special_hours",
    "business_day": "business_day_minutes",
}


@cache
def _holiday_name_language(country: str) -> str | None:
    """Holiday names in English where the country offers them, so explanations do not
    depend on the server's LANG; None lets python-holidays use the country's own."""
    if not country or country.upper() not in holidays.list_supported_countries():
        return None
    supported = holidays.country_holidays(country.upper()).supported_languages
    return "en_US" if "en_US" in supported else None


def _iso_date(value: Any, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(
            {field: _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}}
        ) from None


CALENDAR_FIELDS = frozenset(CORE_ARGUMENT_TO_FIELD.values())


class BusinessCalendar(TenantOwned):
    """Opening hours and holidays a target is measured on.

    A tenant has calendars by key ("business", "phone", "always"); a customer
    organisation may have its own calendar with the same key (agreed hours),
    which then wins for that customer's cases.
    """

    key = models.SlugField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    organization = models.ForeignKey(
        "plans.CustomerOrganization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendars",
        verbose_name=_("customer override"),
        help_text=_("Set for hours agreed with one customer; empty for the tenant's calendar."),
    )
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])
    weekly_hours = models.JSONField(
        _("weekly hours"),
        default=dict,
        help_text=_('Per weekday, open–close pairs, e.g. {"mon": [["08:00", "16:00"]]}.'),
    )
    holiday_country = models.CharField(_("holiday country"), max_length=8, blank=True)
    holiday_subdivision = models.CharField(_("holiday subdivision"), max_length=16, blank=True)
    holiday_categories = models.JSONField(
        _("holiday categories"),
        default=list,
        blank=True,
        help_text=_('Empty: the country\'s public holidays. E.g. ["public", "optional"].'),
    )
    closed_dates = models.JSONField(_("closed dates"), default=list, blank=True)
    special_hours = models.JSONField(
        _("special hours"),
        default=dict,
        blank=True,
        help_text=_("Per ISO date, open–close pairs that replace the day's hours."),
    )
    business_day_minutes = models.PositiveIntegerField(
        _("working day length (minutes)"),
        null=True,
        blank=True,
        help_text=_("Converts working days to working hours; empty: the longest weekday."),
    )
    is_placeholder = models.BooleanField(
        _("default hours"),
        default=False,
        help_text=_("The contract does not state these hours; a documented default is used."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "key"],
                condition=models.Q(organization__isnull=True),
                name="calendar_unique_key_per_tenant",
                violation_error_message=_("A calendar with this key already exists."),
            ),
            models.UniqueConstraint(
                fields=["tenant", "organization", "key"],
                condition=models.Q(organization__isnull=False),
                name="calendar_unique_key_per_customer",
                violation_error_message=_("This customer already has a calendar with this key."),
            ),
        ]

    def __str__(self) -> str:
        owner = f" ({self.organization})" if self.organization_id else ""
        return f"{self.name}{owner}"

    def core_arguments(self) -> dict[str, Any]:
        """The keyword arguments of `sla.calendar.BusinessCalendar` for this row."""
        weekly = self.weekly_hours if isinstance(self.weekly_hours, dict) else {}
        unknown = set(weekly) - set(WEEKDAYS)
        if unknown:
            raise ValidationError(
                {
                    "weekly_hours": _("Unknown weekday %(days)s; use mon … sun.")
                    % {"days": ", ".join(sorted(unknown))}
                }
            )
        return {
            "timezone": self.timezone,
            "weekly_hours": {
                WEEKDAYS.index(day): [tuple(pair) for pair in hours]
                for day, hours in weekly.items()
                if hours
            },
            "holiday_country": self.holiday_country or None,
            "holiday_subdivision": self.holiday_subdivision or None,
            "holiday_categories": tuple(self.holiday_categories) or None,
            "closed_dates": [_iso_date(d, "closed_dates") for d in self.closed_dates or ()],
            "special_hours": {
                _iso_date(day, "special_hours"): [tuple(pair) for pair in hours]
                for day, hours in (self.special_hours or {}).items()
            },
            "holiday_language": _holiday_name_language(self.holiday_country),
            "business_day": dt.timedelta(minutes=self.business_day_minutes)
            if self.business_day_minutes
            else None,
        }

    def core(self) -> core.BusinessCalendar:
        """The shared, cached core calendar for this configuration."""
        return core.cached_calendar(**self.core_arguments())

    def clean_fields(self, exclude=None) -> None:
        """Remember which fields are already wrong, so `clean` does not pile on."""
        self._unchecked = set(exclude or ())
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            self._unchecked |= set(exc.message_dict)
            raise

    def clean(self) -> None:
        super().clean()
        if CALENDAR_FIELDS & getattr(self, "_unchecked", set()):
            return  # a field error is shown already; building the calendar would mislead
        try:
            self.core()
        except ValidationError:
            raise
        except (ValueError, TypeError) as exc:
            message = str(exc)
            argument = message.split(":", 1)[0].split("[", 1)[0].strip()
            field = CORE_ARGUMENT_TO_FIELD.get(argument, "__all__")
            raise ValidationError({field: message}) from exc


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("No longer targeted")


class SlaClock(TenantOwned):
    """One metric's clock on one case.

    A clock is met when the business time it ran (pauses excluded) is at most
    its target and breached when it exceeds it. `due_at` is what people see;
    `breach_at = next_open(due_at)` is when running past it becomes a breach, so
    the sweep is an indexed range query with no calendar arithmetic.
    """

    case = models.ForeignKey("tickets.Case", on_delete=models.CASCADE, related_name="clocks")
    metric = models.CharField(_("metric"), max_length=20)
    state = models.CharField(
        _("state"), max_length=12, choices=ClockState.choices, default=ClockState.RUNNING
    )
    target_value = models.DecimalField(_("target"), max_digits=8, decimal_places=2)
    target_unit = models.CharField(_("unit"), max_length=20)
    target_seconds = models.PositiveBigIntegerField(_("target (business seconds)"))
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: around the clock in the tenant's time zone."),
    )
    source = models.CharField(_("target from"), max_length=100)
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    breach_at = models.DateTimeField(_("breaches at"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warns at"), null=True, blank=True)
    warned_at = models.DateTimeField(
        _("warned"), null=True, blank=True, help_text=_("When the sweep sent its warning.")
    )
    fire_failed_at = models.DateTimeField(
        _("alert failed"),
        null=True,
        blank=True,
        help_text=_("When firing this clock's alert last failed; retried after ten minutes."),
    )
    fire_error = models.TextField(_("alert error"), blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    business_seconds_used = models.PositiveBigIntegerField(
        _("business seconds used"), null=True, blank=True, help_text=_("Set when stopped.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["case", "metric"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["case", "metric"], name="clock_one_per_metric")
        ]
        # The sweep's range queries. Partial, so that breached clocks (which keep their
        # `breach_at` as the record) and clocks already warned about drop out of the index:
        # the sweep stays a short range scan however much history the desk keeps.
        indexes = [
            models.Index(
                fields=["breach_at"], condition=models.Q(state="running"), name="clock_breach_due"
            ),
            models.Index(
                fields=["warn_at"],
                condition=models.Q(state="running", warned_at__isnull=True),
                name="clock_warning_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.metric} {self.state}"


class AlertKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    BREACH = "breach", _("Breach")


class SlaAlert(TenantOwned):
    """A warning or breach the sweep fired for one clock: at most one per clock and kind,
    whatever the retries or overlapping sweeps (the unique constraint decides)."""

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=10, choices=AlertKind.choices)
    fired_at = models.DateTimeField(_("fired"), db_index=True)
    followed_up_at = models.DateTimeField(
        _("followed up"),
        null=True,
        blank=True,
        help_text=_(
            "When the breach's follow-up work (the penalty credit decision) was done; "
            "a catch-up task finds breaches still without it."
        ),
    )

    class Meta:
        ordering = ["fired_at", "pk"]
        verbose_name = _("SLA alert")
        verbose_name_plural = _("SLA alerts")
        constraints = [
            models.UniqueConstraint(fields=["clock", "kind"], name="sla_alert_once_per_clock_kind")
        ]
        indexes = [
            models.Index(
                fields=["fired_at"],
                condition=models.Q(kind="breach", followed_up_at__isnull=True),
                name="alert_breach_follow_up",
            )
        ]

    def __str__(self) -> str:
        return f"{self.clock_id} {self.kind} {self.fired_at:%Y-%m-%d %H:%M}"


class SweepRun(models.Model):
    """One run of the SLA sweep, across tenants, for the operations page and health probe:
    how many clocks were due and how many batches it queued for the workers (the alerts
    they fire are counted from `SlaAlert`). Holds counts only, no tenant data; runs older
    than a day are pruned by the sweep."""

    started_at = models.DateTimeField(_("started"), db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    warnings_due = models.PositiveIntegerField(_("clocks due a warning"), default=0)
    breaches_due = models.PositiveIntegerField(_("clocks due a breach"), default=0)
    batches = models.PositiveIntegerField(
        _("batches queued"), default=0, help_text=_("Tasks queued, each firing up to 100 cases.")
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("SLA sweep run")
        verbose_name_plural = _("SLA sweep runs")

    def __str__(self) -> str:
        return (
            f"sweep {self.started_at:%Y-%m-%d %H:%M:%S} "
            f"({self.warnings_due}/{self.breaches_due} in {self.batches})"
        )
