"""Writes for customer organisations and contacts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from supportdesk.models import Tenant, User
from supportdesk.services import contact_user_create
from supportdesk.tenancy import require_same_tenant

from .models import (
    AddOn,
    Commitment,
    Contact,
    ContactRole,
    CustomerOrganization,
    HypercareWindow,
    Plan,
    SeverityLevel,
    Subscription,
    SubscriptionAddOn,
    TargetOverride,
)


@transaction.atomic
def organization_create(
    *,
    tenant: Tenant,
    name: str,
    is_license_customer: bool = False,
    account_manager: User | None = None,
) -> CustomerOrganization:
    if account_manager is not None and account_manager.tenant_id != tenant.pk:
        raise ValidationError({"account_manager": _("The account manager must be your staff.")})
    organization = CustomerOrganization(
        tenant=tenant,
        name=name,
        is_license_customer=is_license_customer,
        account_manager=account_manager,
    )
    organization.full_clean()
    organization.save()
    return organization


@transaction.atomic
def contact_create(
    *,
    organization: CustomerOrganization,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: str = ContactRole.USER,
    trained_on: dt.date | None = None,
    phone: str = "",
    password: str | None = None,
    email_verified: bool = False,
) -> Contact:
    """A person at a customer; `trained_on` set means the administrator training is done."""
    user = contact_user_create(
        tenant=organization.tenant,
        email=email,
        first_name=first_name,
        last_name=last_name,
        password=password,
        email_verified=email_verified,
    )
    contact = Contact(
        tenant=organization.tenant,
        user=user,
        organization=organization,
        role=role,
        trained=trained_on is not None,
        trained_on=trained_on,
        phone=phone,
    )
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_record_training(*, contact: Contact, trained_on: dt.date) -> Contact:
    if contact.role != ContactRole.ADMINISTRATOR:
        raise ValidationError({"role": _("Only administrators take the administrator training.")})
    contact.trained = True
    contact.trained_on = trained_on
    contact.save(update_fields=["trained", "trained_on"])
    return contact


@transaction.atomic
def subscription_create(
    *,
    organization: CustomerOrganization,
    plan: Plan,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
) -> Subscription:
    """A customer's plan from a date; periods of one customer may not overlap."""
    require_same_tenant(organization.tenant_id, plan=plan)
    overlapping = Subscription.objects.for_tenant(organization.tenant).filter(
        organization=organization
    )
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    overlapping = overlapping.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if overlapping.exists():
        raise ValidationError(
            {"starts_on": _("The customer already has a subscription in this period.")}
        )
    subscription = Subscription(
        tenant=organization.tenant,
        organization=organization,
        plan=plan,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def subscription_addon_add(
    *, subscription: Subscription, addon: AddOn, starts_on: dt.date, quantity: int = 1
) -> SubscriptionAddOn:
    require_same_tenant(subscription.tenant_id, addon=addon)
    row = SubscriptionAddOn(
        tenant=subscription.tenant,
        subscription=subscription,
        addon=addon,
        starts_on=starts_on,
        quantity=quantity,
    )
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def hypercare_window_create(
    *,
    organization: CustomerOrganization,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    plan: Plan | None = None,
    reason: str = "",
) -> HypercareWindow:
    require_same_tenant(organization.tenant_id, plan=plan)
    window = HypercareWindow(
        tenant=organization.tenant,
        organization=organization,
        starts_at=starts_at,
        ends_at=ends_at,
        plan=plan,
        reason=reason,
    )
    window.full_clean()
    window.save()
    return window


@transaction.atomic
def target_override_set(
    *,
    organization: CustomerOrganization,
    severity: SeverityLevel,
    metric: str,
    value: Decimal | None,
    unit: str = "",
    calendar_key: str = "",
    commitment: str = Commitment.TARGET,
    hypercare: HypercareWindow | None = None,
) -> TargetOverride:
    """Agree a target with one customer (standing, or only inside a hypercare window)."""
    require_same_tenant(organization.tenant_id, severity=severity, hypercare=hypercare)
    override = TargetOverride.objects.for_tenant(organization.tenant).filter(
        organization=organization, severity=severity, metric=metric, hypercare=hypercare
    ).first() or TargetOverride(
        tenant=organization.tenant,
        organization=organization,
        severity=severity,
        metric=metric,
        hypercare=hypercare,
    )
    override.commitment = commitment
    override.value = value
    override.unit = unit
    override.calendar_key = calendar_key
    override.full_clean()
    override.save()
    return override
