"""Factories for the monitoring webhook's models; TENANT_OWNED joins the isolation registry."""

import datetime as dt

import factory

from tests.factories import OrganizationFactory
from tickets.models import IntakeToken, MonitoringAlert, MonitoringDelivery


def monitoring_token(organization, name="Monitoring"):
    """An active monitoring token for `organization`; returns (token, raw secret)."""
    return IntakeToken.issue(
        tenant=organization.tenant, kind="monitoring", name=name, organization=organization
    )


class MonitoringAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonitoringAlert

    organization = factory.SubFactory(OrganizationFactory)
    tenant = factory.SelfAttribute("organization.tenant")
    alert_key = factory.Sequence(lambda n: f"service-{n}")
    opened_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
    last_seen_at = factory.SelfAttribute("opened_at")


class MonitoringDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonitoringDelivery

    organization = factory.SubFactory(OrganizationFactory)
    tenant = factory.SelfAttribute("organization.tenant")
    delivery_id = factory.Sequence(lambda n: f"delivery-{n}")
    alert_key = "service"
    status = "firing"
    received_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
    outcome = "no_open_alert"


TENANT_OWNED = {
    MonitoringAlert: lambda tenant: MonitoringAlertFactory(
        organization=OrganizationFactory(tenant=tenant)
    ),
    MonitoringDelivery: lambda tenant: MonitoringDeliveryFactory(
        organization=OrganizationFactory(tenant=tenant)
    ),
}
