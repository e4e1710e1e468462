"""`load_policy`: each shipped contract lands in the database with its numbers, idempotently."""

import copy
from decimal import Decimal
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from plans.models import (
    AddOn,
    HourBankPolicy,
    Plan,
    PlanPrice,
    RateCard,
    SeverityLevel,
    SlaTarget,
    SurveyQuestion,
    TenantPolicy,
)
from plans.policy import PackInvalid, policy_pack_load
from sla.models import BusinessCalendar
from supportdesk.models import Tenant
from tests.plans.conftest import PACKS, read_pack

ALL_PACKS = ["promark", "mobilise", "pector", "vivant", "synerity"]


def target(tenant, plan, severity, metric):
    return SlaTarget.objects.get(
        tenant=tenant, plan__key=plan, severity__key=severity, metric=metric
    )


def row_count():
    models = [BusinessCalendar, SeverityLevel, Plan, PlanPrice, SlaTarget, AddOn, RateCard]
    return sum(model.objects.count() for model in models)


@pytest.mark.django_db
def test_promark_targets_in_working_hours_and_days(load_pack):
    tenant = load_pack("promark")
    assert (tenant.country, tenant.timezone, tenant.currency) == ("DK", "Europe/Copenhagen", "DKK")
    expected = {
        ("premium", "1", "response"): (Decimal("1"), "working_hours"),
        ("premium", "1", "solution_started"): (Decimal("2"), "working_hours"),
        ("premium", "2", "response"): (Decimal("4"), "working_hours"),
        ("premium", "2", "solution_started"): (Decimal("6"), "working_hours"),
        ("premium", "3", "response"): (Decimal("1"), "working_days"),
        ("premium", "3", "solution_started"): (Decimal("5"), "working_days"),
        ("standard", "1", "response"): (Decimal("2"), "working_hours"),
        ("standard", "1", "solution_started"): (Decimal("4"), "working_hours"),
        ("standard", "2", "response"): (Decimal("8"), "working_hours"),
        ("standard", "2", "solution_started"): (Decimal("12"), "working_hours"),
        ("standard", "3", "response"): (Decimal("2"), "working_days"),
        ("standard", "3", "solution_started"): (Decimal("5"), "working_days"),
    }
    for (plan, severity, metric), (value, unit) in expected.items():
        row = target(tenant, plan, severity, metric)
        assert (row.value, row.unit, row.calendar_key) == (value, unit, "business")
    assert target(tenant, "premium", "1", "resolution").commitment == "case_by_case"
    assert target(tenant, "premium", "1", "resolution").value is None
    calendar = BusinessCalendar.objects.get(tenant=tenant, key="business")
    assert calendar.holiday_country == "DK"
    assert set(calendar.holiday_categories) == {"public", "optional"}
    assert calendar.business_day_minutes == 8 * 60
    policy = TenantPolicy.objects.get(tenant=tenant)
    assert policy.supported_version_months == 24
    assert "awaiting_customer" in policy.pause_statuses
    premium = Plan.objects.get(tenant=tenant, key="premium")
    assert premium.penalty["metrics"] == ["response"]
    assert premium.escalation["task_force"]["within"] == 24
    assert Plan.objects.get(tenant=tenant, key="standard").penalty is None


@pytest.mark.django_db
def test_mobilise_business_days_filing_rules_and_prices(load_pack):
    tenant = load_pack("mobilise")
    assert (tenant.currency, tenant.timezone) == ("NOK", "Europe/Oslo")
    for severity, days in (("A", 1), ("B", 2), ("C", 3)):
        row = target(tenant, "standard", severity, "response")
        assert (row.value, row.unit) == (Decimal(days), "working_days")
    policy = TenantPolicy.objects.get(tenant=tenant)
    assert policy.allowed_filers == "trained_administrators"
    assert policy.on_other_filer == "return_to_administrator"
    assert {"event_name", "screenshot", "affected_users", "steps_tried"} <= set(
        policy.required_fields
    )
    phone = AddOn.objects.get(tenant=tenant, key="phone_support")
    assert (phone.price, phone.currency, phone.per, phone.free_months) == (
        Decimal("2490.00"),
        "NOK",
        "administrator_month",
        3,
    )
    unqualified = RateCard.objects.get(tenant=tenant, applies_to="unqualified_case")
    assert sorted(unqualified.step_amounts()) == [
        (Decimal("400.00"), "started_15_minutes"),
        (Decimal("1490.00"), "whole_hour"),
    ]
    phone_calendar = BusinessCalendar.objects.get(tenant=tenant, key="phone")
    assert phone_calendar.weekly_hours["mon"] == [["09:00", "16:00"]]


@pytest.mark.django_db
def test_pector_hour_bank_and_monitoring_hours(load_pack):
    tenant = load_pack("pector")
    bank = HourBankPolicy.objects.get(tenant=tenant)
    assert (bank.period_months, bank.rollover_max_percent) == (12, Decimal("20"))
    monitoring = BusinessCalendar.objects.get(tenant=tenant, key="monitoring")
    assert monitoring.weekly_hours["fri"] == [["08:30", "16:30"]]
    assert monitoring.weekly_hours["sat"] == []
    assert monitoring.holiday_country == "SE"


@pytest.mark.django_db
def test_vivant_four_categories_and_survey(load_pack):
    tenant = load_pack("vivant")
    assert SeverityLevel.objects.filter(tenant=tenant).count() == 4
    questions = SurveyQuestion.objects.filter(tenant=tenant)
    assert 2 <= questions.count() <= 3
    policy = TenantPolicy.objects.get(tenant=tenant)
    assert (policy.survey_scale_min, policy.survey_scale_max) == (1, 5)


@pytest.mark.django_db
def test_synerity_prices_per_segment_and_gold_response(load_pack):
    tenant = load_pack("synerity")
    prices = {
        (p.plan.key, p.segment): p.amount
        for p in PlanPrice.objects.filter(tenant=tenant).select_related("plan")
    }
    assert prices == {
        ("free", "license_customers"): Decimal("0.00"),
        ("free", "other_customers"): Decimal("2500.00"),
        ("silver", "license_customers"): Decimal("5000.00"),
        ("silver", "other_customers"): Decimal("7500.00"),
        ("gold", "license_customers"): Decimal("10000.00"),
        ("gold", "other_customers"): Decimal("15000.00"),
    }
    assert all(p.currency == "SEK" for p in Plan.objects.filter(tenant=tenant))
    gold = SlaTarget.objects.filter(tenant=tenant, plan__key="gold", metric="response")
    assert {t.value for t in gold} == {Decimal("2")}
    silver = SlaTarget.objects.filter(tenant=tenant, plan__key="silver", metric="response")
    assert {t.value for t in silver} == {Decimal("8")}
    assert not SlaTarget.objects.filter(tenant=tenant, plan__key="free").exists()
    support = BusinessCalendar.objects.get(tenant=tenant, key="support")
    assert support.weekly_hours["wed"] == [["08:00", "17:00"]]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ALL_PACKS)
def test_loading_twice_changes_nothing(load_pack, name):
    tenant = load_pack(name)
    policy = TenantPolicy.objects.get(tenant=tenant)
    before = row_count()
    result = policy_pack_load(document=read_pack(name))
    assert not result.changed, result.summary()
    assert row_count() == before
    assert TenantPolicy.objects.get(tenant=tenant).loaded_at == policy.loaded_at


@pytest.mark.django_db
def test_editing_a_target_and_reloading_updates_exactly_that_row(load_pack):
    tenant = load_pack("promark")
    untouched = target(tenant, "standard", "1", "response")
    document = read_pack("promark")
    premium = next(p for p in document["plans"] if p["key"] == "premium")
    first = next(t for t in premium["targets"] if (t["severity"], t["metric"]) == ("1", "response"))
    first["value"] = 0.5
    result = policy_pack_load(document=document)
    assert result.updated["SLA targets"] == 1
    assert not result.created and not result.deleted
    assert target(tenant, "premium", "1", "response").value == Decimal("0.5")
    assert target(tenant, "standard", "1", "response").pk == untouched.pk


@pytest.mark.django_db
def test_a_removed_target_is_deleted_and_a_reordered_scheme_reranks(load_pack):
    tenant = load_pack("mobilise")
    document = read_pack("mobilise")
    document["plans"][0]["targets"] = [
        t for t in document["plans"][0]["targets"] if t["severity"] != "C"
    ]
    document["severities"].reverse()
    result = policy_pack_load(document=document)
    assert result.deleted["SLA targets"] >= 1
    assert not SlaTarget.objects.filter(tenant=tenant, severity__key="C").exists()
    ranks = dict(SeverityLevel.objects.filter(tenant=tenant).values_list("key", "rank"))
    assert ranks == {"C": 1, "B": 2, "A": 3}


def write(tmp_path, document) -> str:
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_command_loads_a_pack_and_reports(tmp_path):
    out = StringIO()
    call_command("load_policy", str(PACKS / "synerity.yaml"), stdout=out)
    assert "synerity: created" in out.getvalue()
    out = StringIO()
    call_command("load_policy", str(PACKS / "synerity.yaml"), stdout=out)
    assert out.getvalue().strip() == "synerity: unchanged"


@pytest.mark.django_db
def test_bad_value_exits_naming_the_yaml_path_and_writes_nothing(tmp_path):
    document = read_pack("promark")
    document["plans"][1]["targets"][0]["value"] = 0
    with pytest.raises(CommandError, match=r"plans\[1\]\.targets\[0\]\.value: must be > 0"):
        call_command("load_policy", write(tmp_path, document))
    assert not Tenant.objects.filter(slug="promark").exists()
    assert row_count() == 0


@pytest.mark.django_db
def test_bad_reference_is_refused_and_an_existing_tenant_is_left_as_it_was(load_pack, tmp_path):
    tenant = load_pack("mobilise")
    before = row_count()
    document = read_pack("mobilise")
    document["plans"][0]["targets"][0]["severity"] = "Z"
    document["tenant"]["name"] = "Renamed"
    with pytest.raises(CommandError, match="unknown severity Z"):
        call_command("load_policy", write(tmp_path, document))
    tenant.refresh_from_db()
    assert tenant.name != "Renamed"
    assert row_count() == before


@pytest.mark.django_db
def test_broken_yaml_and_missing_file_are_one_readable_line(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: 1\ntenant: [\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"broken\.yaml: line \d+, column \d+: not valid YAML"):
        call_command("load_policy", str(broken))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("load_policy", str(tmp_path / "missing.yaml"))


@pytest.mark.django_db
def test_calendar_the_core_rejects_is_reported_on_its_path(tmp_path):
    document = read_pack("pector")
    document["calendars"][0]["holidays"]["subdivision"] = "ZZ"
    with pytest.raises(PackInvalid) as caught:
        policy_pack_load(document=copy.deepcopy(document))
    assert str(caught.value).startswith("calendars[0]: holiday_subdivision:")


@pytest.mark.django_db
def test_a_plan_still_subscribed_cannot_be_dropped(load_pack):
    from tests.factories import OrganizationFactory, SubscriptionFactory

    tenant = load_pack("synerity")
    organization = OrganizationFactory(tenant=tenant)
    SubscriptionFactory(organization=organization, plan=Plan.objects.get(tenant=tenant, key="gold"))
    document = read_pack("synerity")
    document["plans"] = [p for p in document["plans"] if p["key"] != "gold"]
    with pytest.raises(PackInvalid, match="still used"):
        policy_pack_load(document=document)
    assert Plan.objects.filter(tenant=tenant, key="gold").exists()
