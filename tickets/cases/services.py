"""Writes for cases: filing, assignment, replies, workflow, reclassification, escalation.

Each function is one transaction: the case change, its timeline event and its
SLA clock updates commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.models import CaseType, ContactRole, CustomerOrganization, ProductVersion, SeverityLevel
from plans.selectors import entitlements_for, policy_for
from sla.services import clock_restart, clock_stop, clocks_reschedule, clocks_sync
from supportdesk.models import Role, User
from supportdesk.tenancy import require_same_tenant
from tickets.cases.attachments import CheckedFile, attachments_check
from tickets.escalations.services import escalation_apply
from tickets.models import (
    ACTIVE_STATUSES,
    Attachment,
    Case,
    CaseEvent,
    CaseNumberSequence,
    CasePause,
    CaseStatus,
    Channel,
    EscalationTrigger,
    EventKind,
)
from tickets.notifications.audience import notifications_for_event
from tickets.surveys.services import survey_send_if_due

# Which statuses a case may move to from each status (staff moves; customers reopen).
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.NEW: frozenset({"open", "in_progress", "awaiting_customer", "on_hold", "resolved"}),
    CaseStatus.OPEN: frozenset({"in_progress", "awaiting_customer", "on_hold", "resolved"}),
    CaseStatus.IN_PROGRESS: frozenset({"open", "awaiting_customer", "on_hold", "resolved"}),
    CaseStatus.AWAITING_CUSTOMER: frozenset({"open", "in_progress", "on_hold", "resolved"}),
    CaseStatus.ON_HOLD: frozenset({"open", "in_progress", "awaiting_customer", "resolved"}),
    CaseStatus.REOPENED: frozenset(
        {"open", "in_progress", "awaiting_customer", "on_hold", "resolved"}
    ),
    CaseStatus.RESOLVED: frozenset({"closed", "reopened"}),
    CaseStatus.CLOSED: frozenset(),
    CaseStatus.RETURNED: frozenset(),
}
DEFAULT_PAUSE_STATUSES = ("awaiting_customer",)
REQUIRED_FIELD_LABELS = {
    "subject": "subject",
    "description": "description",
    "severity": "severity",
    "case_type": "case_type",
    "product_version": "product_version",
    "deployment": "deployment",
    "affected_users": "affected_users",
    "steps_tried": "steps_tried",
    "event_name": "event_name",
    "customer_reference": "customer_reference",
}


def _now() -> datetime:
    return timezone.now()


def _event(case: Case, kind: str, actor: User | None, *, public=True, body="", data=None, at=None):
    return CaseEvent.objects.create(
        tenant=case.tenant,
        case=case,
        kind=kind,
        actor=actor,
        public=public,
        body=body,
        data=data or {},
        created_at=at or _now(),
    )


def _checked(uploads: Sequence[UploadedFile]) -> list[CheckedFile]:
    """Every file checked by content before anything is written; errors name the field."""
    try:
        return attachments_check(list(uploads))
    except ValidationError as exc:
        raise ValidationError({"attachments": exc.messages}) from exc


def _attach(case: Case, event: CaseEvent, actor: User, files: Sequence[CheckedFile]) -> None:
    for checked in files:
        Attachment.objects.create(
            tenant=case.tenant,
            case=case,
            event=event,
            file=checked.upload,
            original_name=checked.upload.name[:255],
            content_type=checked.content_type,
            size=checked.upload.size,
            uploaded_by=actor,
        )


def _next_number(tenant) -> str:
    sequence, _created = CaseNumberSequence.objects.select_for_update().get_or_create(tenant=tenant)
    CaseNumberSequence.objects.filter(pk=sequence.pk).update(last_number=F("last_number") + 1)
    sequence.refresh_from_db()
    return f"{tenant.case_prefix}-{sequence.last_number:06d}"


def _pause_statuses(tenant) -> tuple[str, ...]:
    policy = policy_for(tenant=tenant)
    return tuple(policy.pause_statuses) if policy else DEFAULT_PAUSE_STATUSES


def _require_staff(actor: User, case: Case) -> None:
    if not actor.is_desk_staff or actor.tenant_id != case.tenant_id:
        raise PermissionError("staff only")


def _contact_of(user: User, organization: CustomerOrganization):
    contact = getattr(user, "contact", None)
    if contact is None or contact.organization_id != organization.pk:
        raise ValidationError({"requester": _("The requester is not a contact of this customer.")})
    return contact


def contact_may_file(*, policy, contact) -> bool:
    """Whether the contract lets this contact send cases to the vendor's queue."""
    rule = policy.allowed_filers if policy else "any_contact"
    if rule == "trained_administrators":
        return contact.is_trained_administrator
    if rule == "administrators":
        return contact.role == ContactRole.ADMINISTRATOR
    return True


def _missing_required(policy, values: dict, files: Sequence[CheckedFile]) -> dict:
    errors = {}
    for field in policy.required_fields if policy else ("subject", "description"):
        if field in REQUIRED_FIELD_LABELS and not values.get(field):
            errors[field] = _("This contract asks for this when filing a case.")
        elif field == "screenshot" and not any(f.content_type.startswith("image/") for f in files):
            errors["attachments"] = _("Please attach a screenshot of the problem.")
        elif field == "attachment" and not files:
            errors["attachments"] = _("Please attach a file.")
    return errors


@transaction.atomic
def case_file(
    *,
    actor: User | None,
    organization: CustomerOrganization,
    requester: User,
    severity: SeverityLevel,
    subject: str,
    description: str,
    channel: str = Channel.PORTAL,
    case_type: CaseType | None = None,
    product_version: ProductVersion | None = None,
    deployment: str = "",
    event_name: str = "",
    affected_users: str = "",
    steps_tried: str = "",
    customer_reference: str = "",
    attachments: Sequence[UploadedFile] = (),
    filed_at: datetime | None = None,
) -> Case:
    """File a case under the tenant's filing rules.

    A contact files for its own organisation. Staff file on a contact's behalf
    (phone, e-mail, API) and may give the instant the SLA starts (the call time);
    so may a machine intake (monitoring), which files with no actor. Where the
    contract lets only trained administrators file (Mobilise), a case from anyone
    else goes back to the organisation's administrators, not to the queue.
    """
    tenant = organization.tenant
    if actor is not None and actor.tenant_id != tenant.pk:
        raise ValidationError({"organization": _("Not found.")})
    require_same_tenant(
        tenant.pk, severity=severity, case_type=case_type, product_version=product_version
    )
    by_contact = actor is not None and actor.is_contact
    if by_contact and actor != requester:
        raise ValidationError({"requester": _("Contacts file cases in their own name.")})
    contact = _contact_of(requester, organization)
    now = _now()
    if filed_at is None or by_contact:
        filed_at = now
    elif filed_at > now:
        raise ValidationError({"filed_at": _("The call cannot be in the future.")})
    elif filed_at < requester.date_joined:
        raise ValidationError(
            {"filed_at": _("The call cannot be before the contact was registered.")}
        )
    policy = policy_for(tenant=tenant)
    values = {
        "subject": subject.strip(),
        "description": description.strip(),
        "severity": severity,
        "case_type": case_type,
        "product_version": product_version,
        "deployment": deployment,
        "affected_users": affected_users,
        "steps_tried": steps_tried,
        "event_name": event_name,
        "customer_reference": customer_reference,
    }
    files = _checked(attachments)
    errors = _missing_required(policy, values, files) if by_contact else {}
    if not values["subject"]:
        errors["subject"] = _("This field is required.")
    if not values["description"]:
        errors["description"] = _("This field is required.")
    if errors:
        raise ValidationError(errors)

    allowed = contact_may_file(policy=policy, contact=contact)
    if not allowed and policy and policy.on_other_filer == "reject":
        raise ValidationError(
            _("Only your organisation's administrators may file cases under this contract.")
        )
    case = Case(
        tenant=tenant,
        number=_next_number(tenant),
        organization=organization,
        requester=requester,
        channel=channel,
        filed_at=filed_at,
        status=CaseStatus.NEW if allowed else CaseStatus.RETURNED,
        **values,
    )
    case.full_clean(exclude=["number"])
    case.save()
    created = _event(case, EventKind.CREATED, actor, body=case.description, at=now)
    _attach(case, created, actor, files)
    if allowed:
        clocks_sync(case=case, at=now)
    else:
        _event(
            case,
            EventKind.RETURNED,
            None,
            body=_(
                "Under your contract cases are filed by your organisation's trained "
                "administrators. The case was passed to them; it reaches the vendor when one "
                "of them submits it."
            ),
            data={"untrained_administrator": contact.role == ContactRole.ADMINISTRATOR},
        )
    notifications_for_event(event=created)
    return case


@transaction.atomic
def case_submit_returned(*, case: Case, actor: User) -> Case:
    """A trained administrator takes a returned case over and sends it to the vendor."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != CaseStatus.RETURNED:
        raise ValidationError(_("Only a returned case can be submitted."))
    contact = _contact_of(actor, case.organization)
    if not contact_may_file(policy=policy_for(tenant=case.tenant), contact=contact):
        raise ValidationError(_("Only a trained administrator can submit this case."))
    case.status = CaseStatus.NEW
    case.filed_at = _now()
    case.save(update_fields=["status", "filed_at", "updated_at"])
    submitted = _event(case, EventKind.SUBMITTED, actor)
    clocks_sync(case=case, at=case.filed_at)
    notifications_for_event(event=submitted)
    return case


@transaction.atomic
def case_assign(*, case: Case, assignee: User | None, actor: User) -> Case:
    _require_staff(actor, case)
    if assignee is not None and (
        assignee.tenant_id != case.tenant_id or assignee.role not in (Role.AGENT, Role.TENANT_ADMIN)
    ):
        raise ValidationError({"assignee": _("Pick an agent of your desk.")})
    case = Case.objects.select_for_update().get(pk=case.pk)
    case.assignee = assignee
    fields = ["assignee", "updated_at"]
    if assignee is not None and case.status in (CaseStatus.NEW, CaseStatus.REOPENED):
        case.status = CaseStatus.OPEN
        fields.append("status")
    case.save(update_fields=fields)
    assigned = _event(
        case,
        EventKind.ASSIGNED,
        actor,
        public=False,
        data={"assignee": assignee.pk if assignee else None},
        body=str(assignee) if assignee else "",
    )
    notifications_for_event(event=assigned)
    return case


def _enter_or_leave_pause(case: Case, old: str, new: str, at: datetime) -> None:
    pausing = _pause_statuses(case.tenant)
    if new in pausing and old not in pausing:
        CasePause.objects.create(tenant=case.tenant, case=case, started_at=at, reason=new)
    elif old in pausing and new not in pausing:
        CasePause.objects.filter(case=case, ended_at__isnull=True).update(ended_at=at)
    else:
        return
    clocks_reschedule(case=case)


def _move(case: Case, to: str, actor: User | None, *, reason: str = "", at=None) -> None:
    if to not in TRANSITIONS[case.status]:
        raise ValidationError(
            {
                "status": _("A case cannot move from “%(old)s” to “%(new)s”.")
                % {"old": CaseStatus(case.status).label, "new": CaseStatus(to).label}
            }
        )
    if to == CaseStatus.OPEN and case.assignee_id is None:
        raise ValidationError({"status": _("Assign the case before opening it.")})
    at = at or _now()
    old = case.status
    if to in _pause_statuses(case.tenant) and old not in _pause_statuses(case.tenant):
        case.resume_status = old if old not in (CaseStatus.NEW,) else CaseStatus.OPEN
    case.status = to
    if to == CaseStatus.RESOLVED:
        case.resolved_at = at
    if to == CaseStatus.CLOSED:
        case.closed_at = at
    case.save()
    moved = _event(case, EventKind.STATUS, actor, body=reason, data={"from": old, "to": to}, at=at)
    _enter_or_leave_pause(case, old, to, at)
    if to == CaseStatus.IN_PROGRESS:
        clock_stop(case=case, metric="solution_started", at=at)
    if to == CaseStatus.RESOLVED:
        for metric in ("response", "solution_started", "resolution"):
            clock_stop(case=case, metric=metric, at=at)
    if to in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        survey_send_if_due(case=case)  # the pack says on which of the two (Vivant: closed)
    notifications_for_event(event=moved)


@transaction.atomic
def case_transition(*, case: Case, to: str, actor: User, reason: str = "") -> Case:
    _require_staff(actor, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    _move(case, to, actor, reason=reason)
    return case


@transaction.atomic
def case_reply(
    *,
    case: Case,
    actor: User,
    body: str,
    public: bool = True,
    attachments: Sequence[UploadedFile] = (),
) -> CaseEvent:
    """A message on the case. An agent's first public reply meets the response clock;
    a customer's answer to "awaiting customer" resumes the clocks."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not body.strip():
        raise ValidationError({"body": _("Write a message.")})
    now = _now()
    if actor.is_contact:
        _contact_of(actor, case.organization)
        if case.status == CaseStatus.CLOSED:
            raise ValidationError(_("This case is closed. Please file a new case."))
        if case.status == CaseStatus.RESOLVED:
            raise ValidationError(_("This case is resolved: reopen it with the new information."))
        if case.status == CaseStatus.RETURNED:
            raise ValidationError(_("This case waits for your administrator."))
        files = _checked(attachments)
        event = _event(case, EventKind.REPLY, actor, body=body, at=now)
        _attach(case, event, actor, files)
        if case.status in _pause_statuses(case.tenant):
            _move(case, case.resume_status or CaseStatus.OPEN, actor, at=now)
        notifications_for_event(event=event)
        return event
    _require_staff(actor, case)
    files = _checked(attachments)
    kind = EventKind.REPLY if public else EventKind.NOTE
    event = _event(case, kind, actor, public=public, body=body, at=now)
    _attach(case, event, actor, files)
    if public:
        if case.assignee_id is None and actor.role in (Role.AGENT, Role.TENANT_ADMIN):
            case.assignee = actor
            if case.status in (CaseStatus.NEW, CaseStatus.REOPENED):
                case.status = CaseStatus.OPEN
            case.save(update_fields=["assignee", "status", "updated_at"])
        if case.first_response_at is None and case.assignee_id is not None:
            case.first_response_at = now
            case.save(update_fields=["first_response_at", "updated_at"])
            clock_stop(case=case, metric="response", at=now)
    notifications_for_event(event=event)
    return event


@transaction.atomic
def case_reopen(
    *, case: Case, actor: User, body: str, attachments: Sequence[UploadedFile] = ()
) -> Case:
    """The customer reopens a resolved case by adding new information."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if actor.is_contact:
        _contact_of(actor, case.organization)
    else:
        _require_staff(actor, case)
    if case.status != CaseStatus.RESOLVED:
        raise ValidationError(_("Only a resolved case can be reopened."))
    if not body.strip():
        raise ValidationError({"body": _("Tell us what is new: reopening needs new information.")})
    files = _checked(attachments)
    now = _now()
    CasePause.objects.create(
        tenant=case.tenant, case=case, started_at=case.resolved_at, ended_at=now, reason="resolved"
    )
    case.status = CaseStatus.REOPENED
    case.resolved_at = None
    case.save(update_fields=["status", "resolved_at", "updated_at"])
    event = _event(case, EventKind.REOPENED, actor, body=body, at=now)
    _attach(case, event, actor, files)
    clock_restart(case=case, metric="resolution")
    notifications_for_event(event=event)
    return case


@transaction.atomic
def case_reclassify(*, case: Case, severity: SeverityLevel, reason: str, actor: User) -> Case:
    """The vendor changes the severity with a reason the customer sees; clocks follow."""
    _require_staff(actor, case)
    require_same_tenant(case.tenant_id, severity=severity)
    policy = policy_for(tenant=case.tenant)
    if policy is not None and not policy.vendor_may_reclassify:
        raise ValidationError(_("This contract does not let the vendor change the severity."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the severity changes.")})
    case = Case.objects.select_for_update().get(pk=case.pk)
    if severity.pk == case.severity_id:
        raise ValidationError({"severity": _("The case already has this severity.")})
    old = case.severity
    case.severity = severity
    case.save(update_fields=["severity", "updated_at"])
    reclassified = _event(
        case,
        EventKind.RECLASSIFIED,
        actor,
        body=reason,
        data={"from": old.key, "to": severity.key},
    )
    clocks_sync(case=case, at=_now())
    notifications_for_event(event=reclassified)
    return case


@transaction.atomic
def case_escalate(*, case: Case, actor: User, reason: str) -> Case:
    """Escalation: customers only where their plan grants the right."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if actor.is_contact:
        _contact_of(actor, case.organization)
        rights = entitlements_for(customer=case.organization, at=_now())
        if not (rights.has("escalation_right") or rights.has("platform_vendor_escalation")):
            raise ValidationError(_("Your plan does not include escalation."))
    else:
        _require_staff(actor, case)
    if not case.is_active:
        raise ValidationError(_("Only an open case can be escalated."))
    if case.escalated_at is not None:
        raise ValidationError(_("This case is escalated already."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the case needs escalation.")})
    case.escalated_at = _now()
    case.save(update_fields=["escalated_at", "updated_at"])
    escalated = _event(case, EventKind.ESCALATED, actor, body=reason, at=case.escalated_at)
    notifications_for_event(event=escalated)
    # What the plan's escalation rules set in motion (SDM, task force, platform vendor).
    applied = escalation_apply(
        case=case,
        trigger=EscalationTrigger.CUSTOMER_REQUEST if actor.is_contact else EscalationTrigger.AGENT,
        actor=actor,
        reason=reason,
        at=case.escalated_at,
        event=escalated,
    )
    if applied is None and actor.is_contact:
        raise ValidationError(_("Your plan does not include escalation of this case."))
    if applied is not None:
        escalated.data = {"escalation": applied.pk, "level": applied.level}
        escalated.save(update_fields=["data"])
    return case


@transaction.atomic
def case_forward(
    *, case: Case, actor: User, vendor: str, reference: str = "", horizon: str = ""
) -> Case:
    """Hand a fault outside the desk's own area to another vendor; the customer is told."""
    _require_staff(actor, case)
    if not vendor.strip():
        raise ValidationError({"vendor": _("Name the vendor.")})
    case = Case.objects.select_for_update().get(pk=case.pk)
    case.external_vendor, case.external_reference, case.external_horizon = (
        vendor.strip(),
        reference.strip(),
        horizon.strip(),
    )
    case.save(update_fields=["external_vendor", "external_reference", "external_horizon",
                             "updated_at"])  # fmt: skip
    forwarded = _event(
        case,
        EventKind.FORWARDED,
        actor,
        body=horizon,
        data={"vendor": case.external_vendor, "reference": case.external_reference},
    )
    notifications_for_event(event=forwarded)
    return case


@transaction.atomic
def clocks_resync_for_customer(*, organization: CustomerOrganization) -> int:
    """The customer's agreed terms changed (a hypercare window, an agreed target):
    its open cases' clocks follow, each still measured from its own filing."""
    cases = Case.objects.for_tenant(organization.tenant).filter(
        organization=organization, status__in=ACTIVE_STATUSES
    )
    now = _now()
    count = 0
    # Case rows first, as every writer of clocks does (the sweep too): no deadlock.
    locked = cases.select_for_update(of=("self",)).select_related(
        "organization__tenant", "severity", "tenant"
    )
    for case in locked.order_by("pk"):
        clocks_sync(case=case, at=now)
        count += 1
    return count
