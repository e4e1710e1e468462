"""Writes of the core app: tenants, staff users, duty, heartbeats."""

from __future__ import annotations

import logging
import socket

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.models import STAFF_ROLES, Role, Tenant, User, WorkerHeartbeat
from supportdesk.selectors import CASE_WORKER_ROLES, duty_may_set
from supportdesk.tenancy import require_same_tenant

logger = logging.getLogger(__name__)


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


@transaction.atomic
def user_duty_set(*, user: User, actor: User, on_duty: bool) -> User:
    """Put a case worker on or off duty; the SLA sweep alerts whoever is on duty.

    Rules (see `selectors.duty_may_set`): case workers set their own duty, a tenant
    admin any colleague's; account managers and contacts are refused (PermissionDenied,
    403). Another tenant's user is "not found", like everywhere else. A deactivated user
    cannot go on duty (the sweep would skip them, so the roster would promise cover that
    is not there), but may be taken off.

    Idempotent: asking for the current state writes nothing and keeps the time of the
    last real change, which the roster shows as "since". The row is locked so that two
    admins toggling the same person leave one consistent state and timestamp. `user`
    (and `actor`, when it is the same person) is updated in place for the caller.
    """
    require_same_tenant(actor.tenant_id, user=user)
    if actor.role not in CASE_WORKER_ROLES:
        raise PermissionDenied(_("Only agents and tenant admins can change who is on duty."))
    if user.role not in CASE_WORKER_ROLES:
        raise ValidationError({"user": _("Only agents and tenant admins can be on duty.")})
    if not duty_may_set(actor=actor, user=user):
        raise PermissionDenied(_("Only a tenant admin can change a colleague's duty."))
    on_duty = bool(on_duty)
    row = User.objects.select_for_update().only("on_duty", "on_duty_changed_at", "is_active")
    row = row.get(pk=user.pk)
    if on_duty and not row.is_active:
        raise ValidationError(
            {"on_duty": _("%(name)s is deactivated and cannot go on duty.") % {"name": user}}
        )
    if row.on_duty != on_duty:
        row.on_duty = on_duty
        row.on_duty_changed_at = timezone.now()
        row.save(update_fields=["on_duty", "on_duty_changed_at"])
        logger.info(
            "Duty: user %s %s duty (set by user %s, tenant %s)",
            user.pk,
            "on" if on_duty else "off",
            actor.pk,
            actor.tenant_id,
        )
    for held in (user, actor):
        if held.pk == row.pk:
            held.on_duty, held.on_duty_changed_at = row.on_duty, row.on_duty_changed_at
    return user


def heartbeat_record(*, name: str, hostname: str | None = None) -> WorkerHeartbeat:
    beat, _created = WorkerHeartbeat.objects.update_or_create(
        name=name,
        defaults={"last_seen": timezone.now(), "hostname": hostname or socket.gethostname()},
    )
    return beat
