"""Fixtures for the SLA tests: ProMark Premium, where breaches notify, escalate and earn
credits. 14 April 2026 is a Tuesday; comments give Copenhagen wall-clock time (CEST)."""

import datetime as dt

import pytest
import time_machine

from plans.models import CaseType, Plan, SeverityLevel
from plans.policy import policy_pack_load
from plans.services import subscription_create
from supportdesk.models import Role
from tests.factories import ContactFactory, OrganizationFactory, UserFactory
from tests.plans.conftest import read_pack
from tickets.cases.services import case_assign, case_file

UTC = dt.UTC


def cest(day, hour, minute=0, second=0):
    """14 April 2026 is a Tuesday; Copenhagen summer time is UTC+2."""
    return dt.datetime(2026, 4, day, hour - 2, minute, second, tzinfo=UTC)


@pytest.fixture
def promark(db):
    tenant = policy_pack_load(document=read_pack("promark")).tenant
    manager = UserFactory(tenant=tenant, role=Role.ACCOUNT_MANAGER)
    organization = OrganizationFactory(tenant=tenant, name="Premium Kunde A/S")
    organization.account_manager = manager
    organization.save()
    subscription_create(
        organization=organization,
        plan=Plan.objects.get(tenant=tenant, key="premium"),
        starts_on=dt.date(2025, 1, 1),
    )
    return {
        "tenant": tenant,
        "org": organization,
        "contact": ContactFactory(organization=organization).user,
        "agent": UserFactory(tenant=tenant, role=Role.AGENT),
        "on_duty": UserFactory(tenant=tenant, role=Role.AGENT, on_duty=True),
        "off_duty": UserFactory(tenant=tenant, role=Role.AGENT),
        "manager": manager,
        "severity": SeverityLevel.objects.get(tenant=tenant, key="1"),
        "incident": CaseType.objects.get(tenant=tenant, key="incident"),
    }


def file_case(world, *, assign=True):
    case = case_file(
        actor=world["contact"],
        organization=world["org"],
        requester=world["contact"],
        severity=world["severity"],
        case_type=world["incident"],
        subject="Invoices do not print",
        description="The print button does nothing.",
    )
    if assign:
        case = case_assign(case=case, assignee=world["agent"], actor=world["agent"])
    return case


@pytest.fixture
def filed(promark):
    """A case filed Tue 14 Apr 10:00 and assigned; response due 11:00, warning at 10:45."""
    with time_machine.travel(cest(14, 10), tick=False):
        case = file_case(promark)
    response = case.clocks.get(metric="response")
    assert response.warn_at == cest(14, 10, 45)
    assert response.due_at == response.breach_at == cest(14, 11)
    return case
