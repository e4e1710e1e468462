"""Tenant-scoped reads for customer organisations and contacts.

Selectors take the acting user: staff see their tenant, a contact sees only
its own organisation. Anything outside answers as if it did not exist.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from supportdesk.models import User

from .models import Contact, CustomerOrganization


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
