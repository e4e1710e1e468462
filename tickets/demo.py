"""Demo cases for `make run`, so the queue, portal and clocks have something to show.

Filed through the real services (a phone call logged by the agent some hours
ago), so clocks, timelines and notifications are what users will see. Only
tenants without any case get them: re-running `seed_demo` adds nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from plans.models import CaseType, Contact, ContactRole
from plans.selectors import severity_list
from supportdesk.models import Role, Tenant, User
from tickets.cases.services import case_assign, case_file, case_reply, case_transition
from tickets.models import Case, Channel

DEMO_STORIES = (
    # (hours ago, severity rank, subject, description, what the agent did)
    (1, 1, "Nothing loads after this morning's update", "All users see a blank page.", "new"),
    (5, 2, "Export to payroll stops halfway", "The export ends at 60 % with no error.", "reply"),
    (30, -1, "Question about user roles", "Can a section leader edit other sections?", "wait"),
)


def _requester(tenant: Tenant) -> User | None:
    contact = (
        Contact.objects.for_tenant(tenant)
        .filter(role=ContactRole.ADMINISTRATOR, trained=True)
        .select_related("user", "organization")
        .order_by("organization__name")
        .first()
    )
    return contact.user if contact else None


@transaction.atomic
def demo_cases() -> int:
    filed = 0
    for tenant in Tenant.objects.order_by("slug"):
        if Case.objects.for_tenant(tenant).exists():
            continue
        requester = _requester(tenant)
        agent = User.objects.for_tenant(tenant).filter(role=Role.AGENT).first()
        levels = list(severity_list(tenant=tenant))
        if requester is None or agent is None or not levels:
            continue
        case_type = CaseType.objects.for_tenant(tenant).filter(kind="incident").first()
        now = timezone.now().replace(microsecond=0)
        for hours, rank, subject, description, story in DEMO_STORIES:
            case = case_file(
                actor=agent,
                organization=requester.contact.organization,
                requester=requester,
                severity=levels[min(rank, len(levels)) - 1] if rank > 0 else levels[-1],
                case_type=case_type,
                subject=subject,
                description=description,
                channel=Channel.PHONE,
                filed_at=now - timedelta(hours=hours),
            )
            if story in ("reply", "wait"):
                case_assign(case=case, assignee=agent, actor=agent)
                case_reply(case=case, actor=agent, body="Thanks, we are looking into it.")
            if story == "wait":
                case_transition(case=case, to="awaiting_customer", actor=agent,
                                reason="Which browser do the users have?")  # fmt: skip
            filed += 1
    return filed
