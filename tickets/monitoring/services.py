"""Monitoring alerts (Pector, Vivant): the services behind the webhook (reads: `selectors`).

A customer's monitoring system posts alerts with a per-customer intake token. The first
firing of an alert key files an outage case for the token's customer, with the SLA
starting when the alert occurred; later firings of the key add an internal note to that
case while it is open, and a "resolved" alert adds a note and closes the alert (the case
stays for the agents to resolve). Every delivery is recorded; a replay of the same
delivery id returns the first result and changes nothing.

Concurrency: each delivery is one transaction. The delivery row is inserted first (its
unique constraint serialises replays of one delivery), and the open alert row is the lock
for its key (`select_for_update`, and a partial unique constraint so that two concurrent
first firings cannot both open a case: the loser finds the winner's alert and counts a
repeat).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from plans.models import CaseType, Contact, CustomerOrganization, SeverityLevel
from plans.selectors import policy_for, severity_list
from supportdesk.models import Tenant, User
from tickets.cases import services
from tickets.models import (
    AlertStatus,
    Case,
    CaseEvent,
    Channel,
    DeliveryOutcome,
    EventKind,
    IntakeKind,
    IntakeToken,
    MonitoringAlert,
    MonitoringDelivery,
)
from tickets.monitoring.selectors import delivery_list, token_customer
from tickets.notifications.audience import notifications_for_event

# A monitoring system's clock may run slightly ahead of ours: within this, "now".
CLOCK_SKEW = timedelta(seconds=60)
SUBJECT_MAX = 200


@dataclass(frozen=True)
class AlertInput:
    """One validated alert as the webhook received it."""

    delivery_id: str
    alert_key: str
    status: str
    summary: str = ""
    details: str = ""
    severity: SeverityLevel | None = None
    occurred_at: datetime | None = None
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AlertResult:
    delivery: MonitoringDelivery
    replayed: bool


class DeliveryConflict(Exception):
    """A delivery id sent again with another alert key or status."""

    def __init__(self, delivery: MonitoringDelivery):
        super().__init__(delivery.delivery_id)
        self.delivery = delivery


class _AlreadyDelivered(Exception):
    def __init__(self, delivery: MonitoringDelivery):
        super().__init__(delivery.delivery_id)
        self.delivery = delivery


def _delivery_of(organization: CustomerOrganization, delivery_id: str):
    return (
        delivery_list(tenant=organization.tenant)
        .filter(organization=organization, delivery_id=delivery_id)
        .first()
    )


def _open_alert(organization: CustomerOrganization, alert_key: str) -> MonitoringAlert | None:
    """The open alert of this key, locked for the rest of the transaction."""
    return (
        MonitoringAlert.objects.for_tenant(organization.tenant)
        .select_for_update(of=("self",))
        .select_related("case")
        .filter(organization=organization, alert_key=alert_key, is_open=True)
        .first()
    )


# --- wording ----------------------------------------------------------------------------------


def _written_for(tenant: Tenant):
    """Text stored on a case reads in the tenant's language (errors answer the caller's)."""
    return translation.override(tenant.language)


def _moment(value: datetime, tenant: Tenant) -> str:
    local = value.astimezone(zoneinfo.ZoneInfo(tenant.timezone))
    return formats.date_format(local, "j M Y H:i T")


def _subject(summary: str) -> str:
    subject = _("[monitoring] %(summary)s") % {"summary": summary}
    return subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 1] + "…"


def _description(
    alert: AlertInput, occurred: datetime, tenant: Tenant, earlier: Case | None
) -> str:
    lines = [alert.details.strip() or alert.summary, ""]
    lines.append(_("Alert key: %(key)s") % {"key": alert.alert_key})
    lines.append(_("Occurred: %(when)s") % {"when": _moment(occurred, tenant)})
    lines.append(_("Delivery: %(id)s") % {"id": alert.delivery_id})
    if earlier is not None:
        lines.append(_("This alert fired before on case %(number)s.") % {"number": earlier.number})
    return "\n".join(lines)


# --- services ---------------------------------------------------------------------------------


def monitoring_token_issue(
    *, tenant: Tenant, organization: CustomerOrganization, name: str
) -> tuple[IntakeToken, str]:
    """A monitoring token filing outage cases for `organization`; the secret is shown once."""
    if organization.tenant_id != tenant.pk:
        raise ValidationError({"organization": _("Not found.")})
    if not name.strip():
        raise ValidationError({"name": _("This field is required.")})
    return IntakeToken.issue(
        tenant=tenant, kind=IntakeKind.MONITORING, name=name.strip(), organization=organization
    )


def alert_receive(*, token: IntakeToken, alert: AlertInput) -> AlertResult:
    """Act on one webhook delivery: open, repeat or resolve; a replay changes nothing.

    Raises ValidationError (the webhook's 400) when the alert cannot be filed, and
    DeliveryConflict when the delivery id was used for another alert key or status.
    """
    organization = token_customer(token=token)
    previous = _delivery_of(organization, alert.delivery_id)
    if previous is None:
        try:
            return AlertResult(_deliver(token, organization, alert), replayed=False)
        except _AlreadyDelivered as exc:
            previous = exc.delivery
    if (previous.alert_key, previous.status) != (alert.alert_key, alert.status):
        raise DeliveryConflict(previous)
    return AlertResult(previous, replayed=True)


@transaction.atomic
def _deliver(
    token: IntakeToken, organization: CustomerOrganization, alert: AlertInput
) -> MonitoringDelivery:
    tenant = organization.tenant
    now = timezone.now()
    occurred = _occurred(alert.occurred_at, now)
    try:
        with transaction.atomic():
            delivery = MonitoringDelivery.objects.create(
                tenant=tenant,
                token=token,
                organization=organization,
                delivery_id=alert.delivery_id,
                alert_key=alert.alert_key,
                status=alert.status,
                payload=alert.payload,
                received_at=now,
            )
    except IntegrityError:
        # The same delivery, committed by a concurrent request meanwhile.
        existing = _delivery_of(organization, alert.delivery_id)
        if existing is None:
            raise
        raise _AlreadyDelivered(existing) from None

    current = _open_alert(organization, alert.alert_key)
    if alert.status == AlertStatus.FIRING:
        outcome, current = _fire(organization, current, alert, occurred, now)
    else:
        outcome = _resolve(current, alert, occurred, now)
    delivery.outcome = outcome
    delivery.alert = current
    delivery.case = current.case if current is not None else None
    delivery.save(update_fields=["outcome", "alert", "case"])
    IntakeToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return delivery


def _occurred(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    if value > now + CLOCK_SKEW:
        raise ValidationError({"occurred_at": _("The alert cannot have occurred in the future.")})
    return min(value, now)


def _fire(organization, current, alert: AlertInput, occurred, now):
    earlier = None
    if current is not None and (current.case is None or not current.case.is_active):
        # The agents finished the case while the alert stayed open: a new firing is news.
        _close(current, at=now)
        earlier, current = current.case, None
    if current is None:
        current, claimed = _claim(organization, alert.alert_key, occurred)
        if claimed:
            current.case = _file_outage(organization, alert, occurred, earlier)
            current.save(update_fields=["case"])
            return DeliveryOutcome.CASE_OPENED, current
    current.repeat_count += 1
    current.last_seen_at = max(current.last_seen_at, occurred)
    current.save(update_fields=["repeat_count", "last_seen_at"])
    with _written_for(organization.tenant):
        text = _("Alert repeated (%(count)s): %(summary)s. Occurred %(when)s.") % {
            "count": current.repeat_count,
            "summary": alert.summary or alert.alert_key,
            "when": _moment(occurred, organization.tenant),
        }
    _note(current, alert, text, now)
    return DeliveryOutcome.REPEATED, current


def _resolve(current, alert: AlertInput, occurred, now) -> str:
    if current is None:
        return DeliveryOutcome.NO_OPEN_ALERT
    with _written_for(current.tenant):
        text = _("Alert resolved at %(when)s.") % {"when": _moment(occurred, current.tenant)}
    if alert.summary:
        text = f"{text} {alert.summary}"
    # The case's agent hears of the resolution; repeats are not notified (they can come
    # every minute while an alert fires).
    notifications_for_event(event=_note(current, alert, text, now))
    current.resolved_at = occurred
    _close(current, at=now)
    return DeliveryOutcome.RESOLVED


def _claim(organization, alert_key: str, occurred) -> tuple[MonitoringAlert, bool]:
    """Open the alert of this key; a concurrent first firing that won makes this a repeat."""
    try:
        with transaction.atomic():
            created = MonitoringAlert.objects.create(
                tenant=organization.tenant,
                organization=organization,
                alert_key=alert_key,
                opened_at=occurred,
                last_seen_at=occurred,
            )
    except IntegrityError:
        winner = _open_alert(organization, alert_key)
        if winner is None:
            raise
        return winner, False
    return created, True


def _close(alert: MonitoringAlert, *, at: datetime) -> None:
    alert.is_open = False
    alert.closed_at = at
    alert.save(update_fields=["is_open", "closed_at", "resolved_at"])


def _note(alert: MonitoringAlert, received: AlertInput, body: str, now: datetime) -> CaseEvent:
    """An internal timeline note by the system (no person acted)."""
    return CaseEvent.objects.create(
        tenant=alert.tenant,
        case=alert.case,
        kind=EventKind.NOTE,
        actor=None,
        public=False,
        body=body,
        data={"monitoring": _event_data(received)},
        created_at=now,
    )


def _event_data(alert: AlertInput) -> dict:
    return {
        "alert_key": alert.alert_key,
        "delivery_id": alert.delivery_id,
        "status": alert.status,
        "occurred_at": alert.occurred_at.isoformat() if alert.occurred_at else None,
    }


def _requester_for(organization: CustomerOrganization, *, at: datetime) -> User:
    """Whom the outage case is filed for: a trained administrator first, else any contact
    the contract lets file, else any contact; only contacts registered by `at`."""
    contacts = list(
        Contact.objects.for_tenant(organization.tenant)
        .filter(organization=organization, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    if not contacts:
        raise ValidationError(
            _("The customer has no contact to file the outage case for. Add a contact first.")
        )
    existed = [c for c in contacts if c.user.date_joined <= at]
    if not existed:
        raise ValidationError(
            {"occurred_at": _("The alert occurred before any contact of this customer existed.")}
        )
    policy = policy_for(tenant=organization.tenant)
    ranked = sorted(
        existed,
        key=lambda c: (
            not c.is_trained_administrator,
            not services.contact_may_file(policy=policy, contact=c),
        ),
    )
    return ranked[0].user


def _monitoring_terms(tenant: Tenant) -> dict:
    policy = policy_for(tenant=tenant)
    return (policy.section("monitoring") if policy else None) or {}


def _default_severity(tenant: Tenant, terms: dict) -> SeverityLevel:
    """The pack's monitoring severity, else the most severe level (rank 1)."""
    levels = severity_list(tenant=tenant)
    severity = levels.filter(key=terms["severity"]).first() if terms.get("severity") else None
    severity = severity or levels.first()
    if severity is None:
        raise ValidationError(_("The desk has no severity levels to file the outage case with."))
    return severity


def _file_outage(
    organization: CustomerOrganization, alert: AlertInput, occurred: datetime, earlier
) -> Case:
    tenant = organization.tenant
    terms = _monitoring_terms(tenant)
    severity = alert.severity or _default_severity(tenant, terms)
    case_type = None
    if terms.get("case_type"):
        case_type = CaseType.objects.for_tenant(tenant).filter(key=terms["case_type"]).first()
    requester = _requester_for(organization, at=occurred)
    with _written_for(tenant):
        subject = _subject(alert.summary)
        description = _description(alert, occurred, tenant, earlier)
    try:
        case = services.case_file(
            actor=None,  # the monitoring system, not a person
            organization=organization,
            requester=requester,
            severity=severity,
            case_type=case_type,
            subject=subject,
            description=description,
            channel=Channel.MONITORING,
            filed_at=occurred,
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "filed_at" in exc.error_dict:
            raise ValidationError({"occurred_at": exc.error_dict["filed_at"]}) from exc
        raise
    CaseEvent.objects.filter(case=case, kind=EventKind.CREATED).update(
        data={"monitoring": _event_data(alert)}
    )
    return case
