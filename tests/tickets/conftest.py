"""Fixtures for the case tests: shipped packs, subscribed customers, their contacts.

`subscribed(tenant, plan_key)` and `contact_in(organization, **traits)` are plain
functions (importable) and fixtures of the same use, so tests may take either.
"""

import datetime as dt

import pytest

from plans.models import Plan
from plans.services import subscription_create
from tests.factories import ContactFactory, OrganizationFactory
from tests.plans.conftest import read_pack

SUBSCRIPTION_START = dt.date(2025, 1, 1)


def subscribed(tenant, plan_key: str, *, starts_on: dt.date = SUBSCRIPTION_START, **org_fields):
    """A new customer organisation of `tenant` on the plan `plan_key`, so clocks start."""
    organization = OrganizationFactory(tenant=tenant, **org_fields)
    subscription_create(
        organization=organization,
        plan=Plan.objects.for_tenant(tenant).get(key=plan_key),
        starts_on=starts_on,
    )
    return organization


def contact_in(organization, **traits):
    """A contact of `organization`; traits as ContactFactory's (trained_admin=True, …)."""
    return ContactFactory(organization=organization, **traits)


@pytest.fixture
def load_pack(db):
    """Load a shipped pack into the test database and return its tenant."""
    from plans.policy import policy_pack_load

    def load(name: str):
        return policy_pack_load(document=read_pack(name)).tenant

    return load


@pytest.fixture(name="subscribed")
def subscribed_fixture(db):
    return subscribed


@pytest.fixture(name="contact_in")
def contact_in_fixture(db):
    return contact_in
