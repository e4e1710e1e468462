"""Reads of the core app. Views reach tenant data only through selectors."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.urls import reverse

from supportdesk.models import Role, Tenant, User, WorkerHeartbeat

# Who works cases, and therefore who can be on duty: the SLA sweep (`sla.sweep.on_duty_agents`)
# alerts on-duty users of exactly these roles, so the roster must not show anyone else.
CASE_WORKER_ROLES = frozenset({Role.AGENT, Role.TENANT_ADMIN})

HOME_URL_NAMES = {
    Role.CONTACT: "portal:home",
    Role.AGENT: "queue:home",
    Role.ACCOUNT_MANAGER: "reports:home",
    Role.TENANT_ADMIN: "config:home",
}


def user_home_url(*, user: User) -> str:
    """Where a role lands after sign-in; operators without a tenant go to the admin."""
    if user.tenant_id is None:
        return reverse("admin:index")
    return reverse(HOME_URL_NAMES[Role(user.role)])


def staff_list(*, tenant: Tenant) -> QuerySet[User]:
    return User.objects.for_tenant(tenant).staff().order_by("role", "email")


def agent_list(*, tenant: Tenant) -> QuerySet[User]:
    """Who a case may be assigned to: the tenant's agents and tenant admins."""
    return staff_list(tenant=tenant).filter(role__in=(Role.AGENT, Role.TENANT_ADMIN))


def case_worker_list(*, actor: User) -> QuerySet[User]:
    """The case workers of the actor's tenant, deactivated ones included, as staff see them.

    The road to the target of a duty change: including deactivated users lets the
    service explain why one cannot go on duty instead of the user vanishing (404).
    Contacts and platform operators get none, so anything they name is "not found".
    """
    if not actor.is_desk_staff:
        return User.objects.none()
    return agent_list(tenant=actor.tenant)


def duty_roster(*, actor: User) -> QuerySet[User]:
    """Who can be on duty in the actor's tenant: active agents and tenant admins, by name.

    Ordered by name rather than by state, so a row stays where it is when it is toggled.
    The same rows the SLA sweep chooses its on-duty recipients from.
    """
    return (
        case_worker_list(actor=actor)
        .filter(is_active=True)
        .order_by(Lower("first_name"), Lower("last_name"), "email")
    )


def duty_may_set(*, actor: User, user: User) -> bool:
    """Whether `actor` may put `user` on or off duty (no query: both rows are in hand).

    Case workers set their own duty; a tenant admin also sets any colleague's. Account
    managers and contacts never: they work no cases, so they cannot cover for anyone.
    """
    return (
        actor.tenant_id is not None
        and actor.tenant_id == user.tenant_id
        and actor.role in CASE_WORKER_ROLES
        and user.role in CASE_WORKER_ROLES
        and (actor.pk == user.pk or actor.role == Role.TENANT_ADMIN)
    )


@dataclass(frozen=True)
class DutySummary:
    """What the queue page says about duty: the viewer's own state and the tenant's count."""

    actor_on_duty: bool
    on_duty_count: int


def duty_summary(*, actor: User) -> DutySummary:
    """One count query; `actor` must be fresh (a service that changed it updates it)."""
    return DutySummary(
        actor_on_duty=bool(actor.on_duty and actor.role in CASE_WORKER_ROLES),
        on_duty_count=duty_roster(actor=actor).filter(on_duty=True).count(),
    )


def heartbeat_list() -> QuerySet[WorkerHeartbeat]:
    return WorkerHeartbeat.objects.order_by("name")
