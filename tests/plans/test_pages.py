"""The contract on the web: the customer's portal and the tenant admin's customer page."""

import datetime as dt

import pytest

from plans.models import Plan
from plans.services import hypercare_window_create, subscription_create
from supportdesk.models import Role
from tests.factories import ContactFactory, OrganizationFactory, UserFactory


def subscribed(tenant, plan_key):
    organization = OrganizationFactory(tenant=tenant)
    subscription_create(
        organization=organization,
        plan=Plan.objects.get(tenant=tenant, key=plan_key),
        starts_on=dt.date(2025, 1, 1),
    )
    return organization


@pytest.mark.django_db
def test_portal_shows_the_customers_targets_in_words(client, load_pack):
    tenant = load_pack("mobilise")
    contact = ContactFactory(organization=subscribed(tenant, "standard"), trained_admin=True)
    client.force_login(contact.user)
    html = client.get("/portal/").content.decode()
    assert "Your support contract" in html
    assert "Response: within 1 working day" in html
    assert "Response: within 3 working days" in html
    assert "no commitment" in html


@pytest.mark.django_db
def test_portal_without_subscription_says_so(client, load_pack):
    tenant = load_pack("mobilise")
    contact = ContactFactory(organization=OrganizationFactory(tenant=tenant))
    client.force_login(contact.user)
    assert "No active subscription" in client.get("/portal/").content.decode()


@pytest.mark.django_db
def test_customer_page_shows_hypercare_and_where_targets_come_from(client, load_pack):
    tenant = load_pack("promark")
    organization = subscribed(tenant, "standard")
    now = dt.datetime.now(dt.UTC)
    hypercare_window_create(
        organization=organization,
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=10),
        plan=Plan.objects.get(tenant=tenant, key="premium"),
    )
    client.force_login(UserFactory(tenant=tenant, role=Role.TENANT_ADMIN))
    html = client.get(f"/config/organizations/{organization.pk}/").content.decode()
    assert "Hypercare until" in html
    assert "Response: within 1 working hour" in html
    assert "hypercare (plan Premium)" in html
    assert "agreed case by case" in html
