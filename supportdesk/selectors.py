"""Reads of the core app. Views reach tenant data only through selectors."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse

from .models import Role, Tenant, User, WorkerHeartbeat

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


def heartbeat_list() -> QuerySet[WorkerHeartbeat]:
    return WorkerHeartbeat.objects.order_by("name")
