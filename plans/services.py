"""Writes for customer organisations and contacts."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from supportdesk.models import Tenant, User
from supportdesk.services import contact_user_create

from .models import Contact, ContactRole, CustomerOrganization


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
