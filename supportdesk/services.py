"""Writes of the core app: tenants, staff users, heartbeats."""

from __future__ import annotations

import socket

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from .models import STAFF_ROLES, Role, Tenant, User, WorkerHeartbeat


@transaction.atomic
def tenant_create(
    *,
    name: str,
    slug: str,
    country: str,
    timezone_name: str,
    language: str,
    currency: str,
    case_prefix: str,
) -> Tenant:
    tenant = Tenant(
        name=name,
        slug=slug,
        country=country,
        timezone=timezone_name,
        language=language,
        currency=currency,
        case_prefix=case_prefix,
    )
    tenant.full_clean()
    tenant.save()
    return tenant


def _user_build(
    *,
    tenant: Tenant,
    email: str,
    role: str,
    first_name: str,
    last_name: str,
    password: str | None,
    email_verified: bool,
) -> User:
    """Create a user and the allauth address record that gates its first sign-in."""
    user = User(
        tenant=tenant,
        email=User.objects.normalize_email(email).lower(),
        role=role,
        first_name=first_name,
        last_name=last_name,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=email_verified)
    return user


@transaction.atomic
def staff_create(
    *,
    tenant: Tenant,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    email_verified: bool = False,
) -> User:
    """A new agent, account manager or tenant admin.

    New staff start unverified: their first sign-in sends a verification mail
    and nothing opens until the link in it is followed (allauth's mandatory
    verification), so a mistyped address never becomes a working account.
    """
    if role not in STAFF_ROLES:
        raise ValueError(f"role {role!r} is not a staff role")
    return _user_build(
        tenant=tenant,
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
        password=password,
        email_verified=email_verified,
    )


def contact_user_create(
    *,
    tenant: Tenant,
    email: str,
    first_name: str,
    last_name: str,
    password: str | None,
    email_verified: bool,
) -> User:
    """The user half of a customer contact; `plans.services.contact_create` wraps it."""
    return _user_build(
        tenant=tenant,
        email=email,
        role=Role.CONTACT,
        first_name=first_name,
        last_name=last_name,
        password=password,
        email_verified=email_verified,
    )


def heartbeat_record(*, name: str, hostname: str | None = None) -> WorkerHeartbeat:
    beat, _created = WorkerHeartbeat.objects.update_or_create(
        name=name,
        defaults={"last_seen": timezone.now(), "hostname": hostname or socket.gethostname()},
    )
    return beat
