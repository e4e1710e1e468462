"""The whole case story in a real browser: file with a screenshot, queue, reply, pause,
answer, resolve, reopen. Screenshots of each step are kept in test-artifacts/browser/."""

import datetime as dt

import pytest

from plans.models import CaseType, Plan, SeverityLevel
from plans.policy import policy_pack_load
from plans.services import subscription_create
from sla.models import ClockState
from supportdesk.models import Role
from tests.factories import PASSWORD, ContactFactory, OrganizationFactory, UserFactory
from tests.plans.conftest import read_pack
from tickets.models import Case, CaseStatus

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    tenant = policy_pack_load(document=read_pack("promark")).tenant
    organization = OrganizationFactory(tenant=tenant, name="Aarhus Sygehusservice")
    subscription_create(
        organization=organization,
        plan=Plan.objects.get(tenant=tenant, key="premium"),
        starts_on=dt.date(2025, 1, 1),
    )
    contact = ContactFactory(organization=organization, trained_admin=True)
    agent = UserFactory(tenant=tenant, role=Role.AGENT)
    return {
        "contact": contact.user,
        "agent": agent,
        "critical": SeverityLevel.objects.get(tenant=tenant, key="1"),
        "incident": CaseType.objects.get(tenant=tenant, key="incident"),
    }


def sign_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def status_of(page) -> str:
    return page.get_by_test_id("case-status").inner_text().strip()


def response_clock(number) -> str:
    return Case.objects.get(number=number).clocks.get(metric="response").state


def test_customer_and_agent_work_a_case_from_filing_to_reopening(
    browser, live_server, world, steps, tmp_path
):
    base = live_server.url
    screenshot = tmp_path / "error.png"
    screenshot.write_bytes(PNG)

    customer = browser.new_context(viewport={"width": 1280, "height": 900})
    agent = browser.new_context(viewport={"width": 1280, "height": 900})
    page = customer.new_page()
    steps.page = page

    sign_in(page, base, world["contact"].email)
    page.get_by_test_id("file-case").first.click()
    page.fill("input[name=subject]", "Roster page is blank")
    page.select_option("select[name=severity]", value=str(world["critical"].pk))
    page.select_option("select[name=case_type]", value=str(world["incident"].pk))
    page.fill("textarea[name=description]", "Since this morning the roster page shows nothing.")
    page.get_by_test_id("attachments").set_input_files(str(screenshot))
    steps.shot("customer-fills-the-form")
    page.get_by_test_id("file-submit").click()
    page.wait_for_load_state("networkidle")
    number = page.get_by_test_id("case-number").inner_text().strip()
    assert number.startswith("PRO-")
    assert page.get_by_test_id("attachment-link").count() == 1
    steps.shot("customer-sees-the-filed-case")

    agent_page = agent.new_page()
    steps.page = agent_page
    sign_in(agent_page, base, world["agent"].email)
    agent_page.goto(f"{base}/queue/")
    first_row = agent_page.get_by_test_id("queue-row").first
    assert first_row.get_attribute("data-case-number") == number
    steps.shot("agent-queue-has-it-on-top")

    agent_page.goto(f"{base}/queue/cases/{number}/")
    agent_page.get_by_test_id("reply-body").fill("Thanks, we are looking at it. Which ward?")
    agent_page.get_by_test_id("reply-submit").click()
    agent_page.wait_for_load_state("networkidle")
    assert response_clock(number) == ClockState.MET
    agent_page.get_by_test_id("to-awaiting_customer").click()
    agent_page.wait_for_load_state("networkidle")
    assert Case.objects.get(number=number).status == CaseStatus.AWAITING_CUSTOMER
    solution = Case.objects.get(number=number).clocks.get(metric="solution_started")
    assert solution.state == ClockState.PAUSED
    steps.shot("agent-replied-and-awaits-the-customer")

    steps.page = page
    page.goto(f"{base}/portal/cases/{number}/")
    page.get_by_test_id("reply-body").fill("Ward 4B, all users.")
    page.get_by_test_id("reply-submit").click()
    page.wait_for_load_state("networkidle")
    solution.refresh_from_db()
    assert solution.state == ClockState.RUNNING
    steps.shot("customer-answered-clock-resumes")

    steps.page = agent_page
    agent_page.goto(f"{base}/queue/cases/{number}/")
    agent_page.get_by_test_id("to-resolved").click()
    agent_page.wait_for_load_state("networkidle")
    assert "Resolved" in status_of(agent_page)
    steps.shot("agent-resolved")

    steps.page = page
    page.goto(f"{base}/portal/cases/{number}/")
    page.get_by_test_id("reopen-body").fill("It is blank again after the nightly update.")
    page.get_by_test_id("reopen-submit").click()
    page.wait_for_load_state("networkidle")
    assert "Reopened" in status_of(page)
    steps.shot("customer-reopened")
    assert steps.count == 7
    customer.close()
    agent.close()
