"""Tenant-scoped reads for customer organisations and contacts.

Selectors take the acting user: staff see their tenant, a contact sees only
its own organisation. Anything outside answers as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, Q, QuerySet

from sla import calendar as core
from sla.models import BusinessCalendar
from supportdesk.models import Tenant, User

from .models import (
    Commitment,
    Contact,
    CustomerOrganization,
    EntitlementMode,
    HypercareWindow,
    Plan,
    PlanEntitlement,
    SeverityLevel,
    SlaTarget,
    Subscription,
    SubscriptionAddOn,
    SurveyQuestion,
    TargetFields,
    TargetOverride,
    TargetUnit,
    TenantPolicy,
)


def organization_list(*, actor: User) -> QuerySet[CustomerOrganization]:
    qs = CustomerOrganization.objects.for_tenant(actor.tenant).select_related("account_manager")
    if actor.is_contact:
        qs = qs.filter(contacts__user=actor)
    elif not actor.is_desk_staff:
        return qs.none()
    return qs.annotate(contact_count=Count("contacts")).order_by("name")


def contact_list(*, actor: User) -> QuerySet[Contact]:
    qs = Contact.objects.for_tenant(actor.tenant).select_related("user", "organization")
    if actor.is_contact:
        qs = qs.filter(organization__contacts__user=actor)
    elif not actor.is_desk_staff:
        return qs.none()
    return qs


def contact_for_user(*, user: User) -> Contact | None:
    if not user.is_contact:
        return None
    return (
        Contact.objects.for_tenant(user.tenant)
        .select_related("organization")
        .filter(user=user)
        .first()
    )


# --- Contract resolution ----------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedTarget:
    """One SLA target as it applies to one customer's case, with where it came from.

    `duration` is business time on `calendar` (working days already converted
    through the calendar's working-day length); it is None for commitments
    without a deadline and for calendar months, whose length depends on the start.
    """

    metric: str
    severity: str
    commitment: str
    value: Decimal | None
    unit: str
    calendar_key: str
    calendar: core.BusinessCalendar | None
    duration: dt.timedelta | None
    source: str
    calendar_id: int | None = None  # the BusinessCalendar row; None for 24/7 calendar units

    @property
    def is_measured(self) -> bool:
        return self.commitment == Commitment.TARGET


def always_open_calendar(timezone: str) -> core.BusinessCalendar:
    """Calendar-hour targets run on a 24/7 calendar in the tenant's zone (DST-aware)."""
    return core.cached_calendar(
        timezone=timezone, weekly_hours={day: [("00:00", "24:00")] for day in range(7)}
    )


def subscription_active(*, customer: CustomerOrganization, on: dt.date) -> Subscription | None:
    return (
        Subscription.objects.for_tenant(customer.tenant)
        .select_related("plan")
        .filter(organization=customer, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .order_by("-starts_on")
        .first()
    )


def _active_on(subscriptions: Iterable[Subscription], on: dt.date) -> Subscription | None:
    """`subscription_active` over rows already read (newest start first)."""
    for subscription in subscriptions:
        if subscription.starts_on <= on and (
            subscription.ends_on is None or subscription.ends_on >= on
        ):
            return subscription
    return None


def subscriptions_active(
    *, wanted: Iterable[tuple[CustomerOrganization, dt.date]]
) -> dict[tuple[int, dt.date], Subscription | None]:
    """`subscription_active` for many (customer, date) pairs in one query, for the SLA
    sweep and billing, which price and escalate a hundred cases at a time."""
    wanted = list(wanted)
    by_org: dict[int, list[Subscription]] = {}
    org_ids = {customer.pk for customer, _on in wanted}
    tenant_ids = {customer.tenant_id for customer, _on in wanted}
    if org_ids:
        rows = (
            Subscription.objects.filter(tenant_id__in=tenant_ids, organization_id__in=org_ids)
            .select_related("plan")
            .order_by("organization_id", "-starts_on", "-pk")
        )
        for row in rows:
            by_org.setdefault(row.organization_id, []).append(row)
    return {
        (customer.pk, on): _active_on(by_org.get(customer.pk, ()), on) for customer, on in wanted
    }


def hypercare_active(*, customer: CustomerOrganization, at: dt.datetime) -> HypercareWindow | None:
    return (
        HypercareWindow.objects.for_tenant(customer.tenant)
        .select_related("plan")
        .filter(organization=customer, starts_at__lte=at, ends_at__gt=at)
        .order_by("-starts_at")
        .first()
    )


def _local_date(tenant, at: dt.datetime) -> dt.date:
    return at.astimezone(ZoneInfo(tenant.timezone)).date()


def sla_targets_for(
    *, customer: CustomerOrganization, severity: SeverityLevel, at: dt.datetime
) -> dict[str, ResolvedTarget]:
    """The targets (metric -> target) that hold for `customer`'s case of `severity` at `at`.

    Resolution order, each step replacing the previous one metric by metric:
      1. the plan of the subscription active on `at`'s local date (none: no targets);
      2. targets agreed with the customer outside hypercare (standing overrides);
      3. a hypercare window covering `at`: first its plan's targets, if it names a plan,
         then the targets given for the window itself.
    Hypercare comes last because it is the time-boxed, most specific agreement.
    Each target is measured on the calendar it names, the customer's own calendar of
    that key winning over the tenant's; calendar units run on a 24/7 calendar.
    """
    tenant = customer.tenant
    if severity.tenant_id != tenant.pk:
        raise ValueError("severity belongs to another tenant")
    subscription = subscription_active(customer=customer, on=_local_date(tenant, at))
    if subscription is None:
        return {}
    chosen: dict[str, tuple[TargetFields, str]] = {}

    def apply(rows, source: str) -> None:
        for row in rows:
            chosen[row.metric] = (row, source)

    targets = SlaTarget.objects.for_tenant(tenant).filter(severity=severity)
    apply(targets.filter(plan=subscription.plan), f"plan {subscription.plan.name}")
    overrides = TargetOverride.objects.for_tenant(tenant).filter(
        organization=customer, severity=severity
    )
    apply(overrides.filter(hypercare__isnull=True), "agreed with customer")
    window = hypercare_active(customer=customer, at=at)
    if window is not None:
        if window.plan_id:
            apply(targets.filter(plan=window.plan), f"hypercare (plan {window.plan.name})")
        apply(overrides.filter(hypercare=window), "hypercare")

    calendars = _calendars_by_key(customer)
    return {
        metric: _resolve(row, source, severity.key, calendars, tenant.timezone)
        for metric, (row, source) in chosen.items()
    }


def _calendars_by_key(customer: CustomerOrganization) -> dict[str, BusinessCalendar]:
    rows = BusinessCalendar.objects.for_tenant(customer.tenant).filter(
        Q(organization__isnull=True) | Q(organization=customer)
    )
    by_key: dict[str, BusinessCalendar] = {}
    for row in sorted(rows, key=lambda r: r.organization_id is not None):
        by_key[row.key] = row  # the customer's own calendar is placed last and wins
    return by_key


def _resolve(row, source, severity_key, calendars, timezone) -> ResolvedTarget:
    calendar = None
    calendar_id = None
    duration = None
    if row.commitment == Commitment.TARGET:
        if row.unit.startswith("working_"):
            if row.calendar_key not in calendars:
                raise ValueError(f"target {row} names unknown calendar {row.calendar_key!r}")
            calendar = calendars[row.calendar_key].core()
            calendar_id = calendars[row.calendar_key].pk
            hours = row.value if row.unit == TargetUnit.WORKING_HOURS else None
            duration = (
                dt.timedelta(hours=float(hours))
                if hours is not None
                else calendar.business_day * float(row.value)
            )
        else:
            calendar = always_open_calendar(timezone)
            if row.unit == TargetUnit.CALENDAR_HOURS:
                duration = dt.timedelta(hours=float(row.value))
            elif row.unit == TargetUnit.CALENDAR_DAYS:
                duration = dt.timedelta(days=float(row.value))
    return ResolvedTarget(
        metric=row.metric,
        severity=severity_key,
        commitment=row.commitment,
        value=row.value,
        unit=row.unit,
        calendar_key=row.calendar_key,
        calendar=calendar,
        duration=duration,
        source=source,
        calendar_id=calendar_id,
    )


@dataclass(frozen=True)
class Entitlements:
    """Which contract services a customer has on a date (key -> included/billable/...)."""

    modes: dict[str, str]
    plan: Plan | None

    def mode(self, key: str) -> str:
        return self.modes.get(key, EntitlementMode.NOT_INCLUDED)

    def has(self, key: str) -> bool:
        """Available at all: included, on request, billable, or bought as an add-on."""
        return self.mode(key) not in (EntitlementMode.NOT_INCLUDED, EntitlementMode.ADDON)

    def included(self, key: str) -> bool:
        return self.mode(key) == EntitlementMode.INCLUDED


def entitlements_for(*, customer: CustomerOrganization, at: dt.datetime) -> Entitlements:
    """The plan's entitlements on `at`'s local date, plus what active add-ons grant."""
    return entitlements_many(wanted=[(customer, at)])[
        (customer.pk, _local_date(customer.tenant, at))
    ]


def _tenant_zones(customers: Iterable[CustomerOrganization]) -> dict[int, str]:
    """Tenant id -> time zone, from the tenants already loaded, else one query."""
    zones: dict[int, str] = {}
    missing: set[int] = set()
    field = CustomerOrganization._meta.get_field("tenant")
    for customer in customers:
        if field.is_cached(customer):
            zones[customer.tenant_id] = customer.tenant.timezone
        else:
            missing.add(customer.tenant_id)
    missing -= set(zones)
    if missing:
        zones.update(Tenant.objects.filter(pk__in=missing).values_list("pk", "timezone"))
    return zones


def entitlements_many(
    *, wanted: Iterable[tuple[CustomerOrganization, dt.datetime]]
) -> dict[tuple[int, dt.date], Entitlements]:
    """`entitlements_for` for many (customer, instant) pairs in three queries, keyed by
    (customer id, local date): the same answer as one call each, without N+1."""
    wanted = list(wanted)
    zones = _tenant_zones(customer for customer, _at in wanted)
    dates = [(c, at.astimezone(ZoneInfo(zones[c.tenant_id])).date()) for c, at in wanted]
    tenant_ids = set(zones)
    subscriptions = subscriptions_active(wanted=dates)
    active = {s.pk: s for s in subscriptions.values() if s is not None}
    plan_modes: dict[int, dict[str, str]] = {}
    for plan_id, key, mode in PlanEntitlement.objects.filter(
        tenant_id__in=tenant_ids, plan_id__in={s.plan_id for s in active.values()}
    ).values_list("plan_id", "key", "mode"):
        plan_modes.setdefault(plan_id, {})[key] = mode
    addons: dict[int, list[SubscriptionAddOn]] = {}
    for bought in SubscriptionAddOn.objects.filter(
        tenant_id__in=tenant_ids, subscription_id__in=active
    ).select_related("addon"):
        addons.setdefault(bought.subscription_id, []).append(bought)
    out: dict[tuple[int, dt.date], Entitlements] = {}
    for (org_id, on), subscription in subscriptions.items():
        if subscription is None:
            out[(org_id, on)] = Entitlements(modes={}, plan=None)
            continue
        modes = dict(plan_modes.get(subscription.plan_id, {}))
        for bought in addons.get(subscription.pk, ()):
            if bought.starts_on <= on and (bought.ends_on is None or bought.ends_on >= on):
                for key in bought.addon.grants:
                    modes[key] = EntitlementMode.INCLUDED
        out[(org_id, on)] = Entitlements(modes=modes, plan=subscription.plan)
    return out


def plan_list(*, actor: User) -> QuerySet[Plan]:
    if not actor.is_desk_staff:
        return Plan.objects.none()
    return Plan.objects.for_tenant(actor.tenant).prefetch_related(
        "prices", "entitlements", Prefetch("targets", SlaTarget.objects.select_related("severity"))
    )


def policy_for(*, tenant) -> TenantPolicy | None:
    return TenantPolicy.objects.for_tenant(tenant).first()


def severity_list(*, tenant) -> QuerySet[SeverityLevel]:
    return SeverityLevel.objects.for_tenant(tenant).order_by("rank")


def subscription_list(*, tenant) -> QuerySet[Subscription]:
    return Subscription.objects.for_tenant(tenant).select_related("plan", "organization")


def survey_questions(*, tenant) -> QuerySet[SurveyQuestion]:
    return SurveyQuestion.objects.for_tenant(tenant).order_by("position")


@dataclass(frozen=True)
class Contract:
    """A customer's terms at one instant, for the contract page and API."""

    at: dt.datetime
    plan: Plan | None
    subscription_starts_on: dt.date | None
    hypercare_until: dt.datetime | None
    entitlements: dict[str, str]
    targets: dict[str, list[ResolvedTarget]]
    severities: tuple[SeverityLevel, ...] = ()


def contract_for(*, customer: CustomerOrganization, at: dt.datetime) -> Contract:
    subscription = subscription_active(customer=customer, on=_local_date(customer.tenant, at))
    window = hypercare_active(customer=customer, at=at)
    severities = tuple(SeverityLevel.objects.for_tenant(customer.tenant).order_by("rank"))
    targets = {
        severity.key: list(sla_targets_for(customer=customer, severity=severity, at=at).values())
        for severity in severities
    }
    return Contract(
        at=at,
        plan=subscription.plan if subscription else None,
        subscription_starts_on=subscription.starts_on if subscription else None,
        hypercare_until=window.ends_at if window else None,
        entitlements=entitlements_for(customer=customer, at=at).modes,
        targets=targets,
        severities=severities,
    )
