"""Reading monitoring: the webhook's deliveries and alerts of a tenant, and the customer a
monitoring token files outage cases for."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from plans.models import CustomerOrganization
from supportdesk.models import Tenant
from tickets.models import IntakeKind, IntakeToken, MonitoringAlert, MonitoringDelivery


def delivery_list(*, tenant: Tenant | None) -> QuerySet[MonitoringDelivery]:
    return MonitoringDelivery.objects.for_tenant(tenant).select_related(
        "organization", "case", "alert"
    )


def alert_list(*, tenant: Tenant | None) -> QuerySet[MonitoringAlert]:
    return MonitoringAlert.objects.for_tenant(tenant).select_related("organization", "case")


def token_customer(*, token: IntakeToken) -> CustomerOrganization:
    """The customer whose outage cases a monitoring token files; refused when not set."""
    organization = token.organization
    if (
        token.kind != IntakeKind.MONITORING
        or organization is None
        or organization.tenant_id != token.tenant_id
    ):
        raise ValidationError(
            _(
                "This monitoring token is not linked to a customer. Ask the desk to set the "
                "customer whose outage cases it files."
            )
        )
    return organization
