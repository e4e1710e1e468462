"""The policy packs in plans/packs/ against their schema and against the contracts.

Pure: YAML + jsonschema + holidays, no Django. Run with
    .venv/bin/pytest -p no:django tests/plans/test_pack_files.py -q

The numbers asserted here are the contract numbers (seeds in /work/shared/seeds, English
reading in DOMAIN.md); a failing assertion means a pack no longer says what the contract says.
"""

import copy
import json
import math
from decimal import Decimal
from pathlib import Path

import holidays
import jsonschema
import pytest
import yaml

from plans.pack_format import integrity_problems

PACK_DIR = Path(__file__).resolve().parents[2] / "plans" / "packs"
PACK_NAMES = ["promark", "mobilise", "pector", "vivant", "synerity"]


# ---------------------------------------------------------------- helpers


def load_schema():
    return json.loads((PACK_DIR / "schema.json").read_text(encoding="utf-8"))


def load_pack(name):
    with (PACK_DIR / f"{name}.yaml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def validator():
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def packs():
    return {name: load_pack(name) for name in PACK_NAMES}


def plan(pack, key):
    (found,) = [p for p in pack["plans"] if p["key"] == key]
    return found


def targets(pack, plan_key):
    """(severity, metric) -> target dict."""
    return {(t["severity"], t["metric"]): t for t in plan(pack, plan_key)["targets"]}


def timed(pack, plan_key):
    """(severity, metric) -> (value, unit, calendar) for deadline targets."""
    return {
        k: (t["value"], t["unit"], t.get("calendar"))
        for k, t in targets(pack, plan_key).items()
        if "commitment" not in t
    }


def calendar(pack, key):
    (found,) = [c for c in pack["calendars"] if c["key"] == key]
    return found


def rate(pack, key):
    (found,) = [r for r in pack["rates"] if r["key"] == key]
    return found


def addon(pack, key):
    (found,) = [a for a in pack["addons"] if a["key"] == key]
    return found


def weekdays(open_, close):
    day = [[open_, close]]
    return {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": [], "sun": []}


def bill(rate_def, spent_minutes):
    """Reference reading of `steps` (docs/policy-packs.md): in order, each step bills as many
    of its blocks as fit the remaining time; started_* blocks take the rest."""
    block = {
        "whole_hour": 60,
        "started_hour": 60,
        "started_30_minutes": 30,
        "started_15_minutes": 15,
    }
    total, left = Decimal("0"), spent_minutes
    for step in rate_def["steps"]:
        amount, per = Decimal(step["amount"]), step["per"]
        if per == "whole_hour":
            n = left // 60
            total, left = total + n * amount, left - n * 60
        elif per.startswith("started_"):
            total, left = total + math.ceil(left / block[per]) * amount, 0
        elif per == "hour":
            total, left = total + amount * Decimal(left) / 60, 0
        else:  # case
            total, left = total + amount, 0
    return total


def has_entitlement(pack, plan_key, key):
    return plan(pack, plan_key)["entitlements"].get(key, "not_included") != "not_included"


# ---------------------------------------------------------------- every pack


@pytest.mark.parametrize("name", PACK_NAMES)
def test_pack_is_valid_against_schema(validator, packs, name):
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(packs[name])
    ]
    assert errors == []


@pytest.mark.parametrize("name", PACK_NAMES)
def test_pack_cross_references_are_consistent(packs, name):
    assert integrity_problems(packs[name]) == []


@pytest.mark.parametrize("name", PACK_NAMES)
def test_pack_basics(packs, name):
    pack = packs[name]
    assert pack["format"] == 1
    assert pack["tenant"]["slug"] == name
    assert pack["workflow"]["warning_at_percent"] == 75
    statuses = {s["key"]: s["pauses_clock"] for s in pack["workflow"]["statuses"]}
    assert statuses.pop("awaiting_customer") is True
    assert not any(statuses.values()), "only awaiting customer pauses the clock"


def test_all_money_is_decimal_text(packs):
    for pack in packs.values():
        amounts = [a["price"] for a in pack["addons"]]
        amounts += [s["amount"] for r in pack["rates"] for s in r["steps"]]
        amounts += [pr["amount"] for p in pack["plans"] for pr in p["prices"] or []]
        for amount in amounts:
            assert isinstance(amount, str)
            assert Decimal(amount) >= 0


def test_tenants(packs):
    got = {
        n: (p["tenant"]["country"], p["tenant"]["currency"], p["tenant"]["timezone"])
        for n, p in packs.items()
    }
    assert got == {
        "promark": ("DK", "DKK", "Europe/Copenhagen"),
        "mobilise": ("NO", "NOK", "Europe/Oslo"),
        "pector": ("SE", "SEK", "Europe/Stockholm"),
        "vivant": ("DK", "DKK", "Europe/Copenhagen"),
        "synerity": ("SE", "SEK", "Europe/Stockholm"),
    }


# ---------------------------------------------------------------- ProMark (DK)


def test_promark_targets(packs):
    pm = packs["promark"]
    assert [s["key"] for s in pm["severities"]] == ["1", "2", "3"]
    wh, wd = "working_hours", "working_days"
    expected = {
        "standard": {
            ("1", "response"): (2, wh, "business"),
            ("1", "solution_started"): (4, wh, "business"),
            ("2", "response"): (8, wh, "business"),
            ("2", "solution_started"): (12, wh, "business"),
            ("2", "software_fix"): (2, "calendar_months", None),
            ("3", "response"): (2, wd, "business"),
            ("3", "solution_started"): (5, wd, "business"),
        },
        "premium": {
            ("1", "response"): (1, wh, "business"),
            ("1", "solution_started"): (2, wh, "business"),
            ("2", "response"): (4, wh, "business"),
            ("2", "solution_started"): (6, wh, "business"),
            ("2", "software_fix"): (2, "calendar_months", None),
            ("3", "response"): (1, wd, "business"),
            ("3", "solution_started"): (5, wd, "business"),
        },
    }
    for plan_key, want in expected.items():
        assert timed(pm, plan_key) == want
        t = targets(pm, plan_key)
        assert t[("1", "resolution")]["commitment"] == "case_by_case"
        assert t[("2", "software_fix")]["release"] == "next_version"
        assert t[("3", "software_fix")]["commitment"] == "future_version"
    metrics = {m["key"]: m for m in pm["metrics"]}
    assert metrics["software_fix"]["applies_when"] == "software_fix_required"


def test_promark_calendar(packs):
    cal = calendar(packs["promark"], "business")
    assert cal["placeholder"] is True  # hours are not in the contract
    assert cal["weekly_hours"]["mon"] == [["08:00", "16:00"]]
    assert cal["weekly_hours"]["fri"] == [["08:00", "15:30"]]
    assert cal["weekly_hours"]["sat"] == cal["weekly_hours"]["sun"] == []
    assert cal["holidays"] == {
        "country": "DK",
        "subdivision": None,
        "categories": ["public", "optional"],
    }
    assert cal["business_day_hours"] == 8


def test_promark_entitlements_escalation_and_penalty(packs):
    pm = packs["promark"]
    std, prem = plan(pm, "standard"), plan(pm, "premium")
    assert std["entitlements"]["status_meetings"] == "billable"
    assert std["entitlements"]["solution_review"] == "billable"
    for key in ["service_delivery_manager", "escalation_right", "task_force", "penalty_credits"]:
        assert std["entitlements"][key] == "not_included"
        assert prem["entitlements"][key] == "included"
    assert std["escalation"] is None and std["penalty"] is None
    assert {(s["entitlement"], s["count"], s["every"], s["unit"]) for s in prem["schedules"]} == {
        ("status_meetings", 1, 14, "days"),
        ("solution_review", 1, 1, "years"),
    }
    esc = prem["escalation"]
    assert esc["task_force"] == {
        "within": 24,
        "unit": "calendar_hours",
        "participants": ["customer", "vendor"],
    }
    rules = {(r["trigger"], tuple(r["severities"])): r["actions"] for r in esc["rules"]}
    assert "open_task_force" in rules[("customer_request", ("1",))]
    assert "open_task_force" in rules[("breach", ("1",))]
    assert "notify_service_delivery_manager" in rules[("breach", ("1",))]
    assert esc["to_external_vendor"] is None
    pen = prem["penalty"]
    assert pen["metrics"] == ["response"]
    assert pen["per"] == "breach"
    assert pen["placeholder"] is True  # amount not in the contract
    assert pen["amount"]["kind"] == "share_of_monthly_fee"
    assert pen["cap_per_customer_month"]["kind"] == "share_of_monthly_fee"


def test_promark_out_of_hours_and_versions(packs):
    pm = packs["promark"]
    ooh = rate(pm, "out_of_hours_phone")
    assert ooh["applies_to"] == "out_of_hours"
    assert ooh["outside_calendar"] == "business"
    assert ooh["channel"] == "phone"
    assert ooh["placeholder"] is True  # "en særlig takst": amount not in the contract
    assert pm["versions"] == {
        "supported_months": 24,
        "upgrade_may_be_required_for": ["on_premise"],
        "cloud_upgrade_interval_months": 12,
    }
    assert all(p["prices"] is None for p in pm["plans"])
    assert "hypercare" in pm["per_customer_overrides"]


# ---------------------------------------------------------------- Mobilise (NO)


def test_mobilise_targets(packs):
    mo = packs["mobilise"]
    assert [s["key"] for s in mo["severities"]] == ["A", "B", "C"]
    assert timed(mo, "standard") == {
        ("A", "response"): (1, "working_days", "business"),
        ("B", "response"): (2, "working_days", "business"),
        ("C", "response"): (3, "working_days", "business"),
    }
    t = targets(mo, "standard")
    assert {t[(s, "resolution")]["commitment"] for s in "ABC"} == {"none"}
    metrics = {m["key"]: m["met_when"] for m in mo["metrics"]}
    assert metrics["response"] == ["assigned", "work_started"]


def test_mobilise_calendars(packs):
    mo = packs["mobilise"]
    for key in ["business", "phone"]:
        cal = calendar(mo, key)
        assert cal["weekly_hours"] == weekdays("09:00", "16:00")
        assert cal["holidays"]["country"] == "NO"
        assert cal["business_day_hours"] == 7


def test_mobilise_filing(packs):
    filing = packs["mobilise"]["filing"]
    assert filing["allowed_filers"] == "trained_administrators"
    assert filing["on_other_filer"] == "return_to_administrator"
    assert filing["on_untrained_administrator"] == "request_training"
    assert filing["customer_sets_severity"] and filing["vendor_may_reclassify"]
    assert set(filing["required_fields"]) >= {
        "event_name",
        "reporter_name",
        "reporter_email",
        "severity",
        "description",
        "screenshot",
        "affected_users",
        "steps_tried",
    }
    assert filing["new_problem_requires_new_case"] is True
    assert filing["unqualified"]["rate"] == "unqualified_support"
    assert filing["unqualified"]["repeated_may_be_rejected"] is True


def test_mobilise_statuses(packs):
    wf = packs["mobilise"]["workflow"]
    statuses = {s["key"]: s for s in wf["statuses"]}
    assert statuses["awaiting_customer"]["name"] == "Venter på tilbakemelding"
    assert statuses["awaiting_customer"]["pauses_clock"] is True
    assert statuses["on_hold"]["name"] == "På vent"
    assert statuses["on_hold"]["pauses_clock"] is False
    assert wf["reopen"] == {"allowed": True, "requires_new_information": True}
    assert "reclassified" in wf["notify_reporter_on"]


def test_mobilise_phone_addon(packs):
    mo = packs["mobilise"]
    phone = addon(mo, "phone_support")
    assert phone["price"] == "2490.00"
    assert phone["per"] == "administrator_month"
    assert phone["free_months"] == 3
    assert phone["free_months_for"] == "new_customers"
    assert phone["eligible_users"] == "trained_administrators"
    assert phone["grants"] == ["phone_support"]
    channels = {c["key"]: c for c in mo["channels"]}
    assert channels["phone"] == {
        "key": "phone",
        "calendar": "phone",
        "requires_addon": "phone_support",
    }
    assert mo["tenant"]["currency"] == "NOK"


def test_mobilise_unqualified_rates(packs):
    unq = rate(packs["mobilise"], "unqualified_support")
    assert unq["applies_to"] == "unqualified_case"
    assert unq["steps"] == [
        {"amount": "1490.00", "per": "whole_hour"},
        {"amount": "400.00", "per": "started_15_minutes"},
    ]
    assert "currency" not in unq  # tenant currency, NOK
    assert bill(unq, 1) == Decimal("400")
    assert bill(unq, 15) == Decimal("400")
    assert bill(unq, 16) == Decimal("800")
    assert bill(unq, 60) == Decimal("1490")
    assert bill(unq, 70) == Decimal("1890")
    assert bill(unq, 120) == Decimal("2980")


# ---------------------------------------------------------------- Pector (SE)


def test_pector_hour_bank(packs):
    pe = packs["pector"]
    bank = pe["hour_bank"]
    assert bank["period_months"] == 12
    assert bank["rollover_max_percent"] == 20
    assert bank["rollover_basis"] == "period_hours"
    assert bank["hours_per_period"] is None  # estimated per customer
    assert bank["plans"] == ["gold"]
    assert set(bank["usable_for"]) >= {"meetings", "consulting", "technical_work"}
    purchase = rate(pe, bank["purchase_rate"])
    ordinary = rate(pe, bank["exhausted_rate"])
    assert purchase["placeholder"] and ordinary["placeholder"]  # rates not in the contract
    discounted = Decimal(ordinary["steps"][0]["amount"]) * (100 - bank["discount_percent"]) / 100
    assert Decimal(purchase["steps"][0]["amount"]) == discounted


def test_pector_gold(packs):
    gold = plan(packs["pector"], "gold")
    included = [
        "management_meetings",
        "yearly_upgrade",
        "upgrade_test_lead",
        "monitoring",
        "hour_bank",
        "dedicated_consultant",
    ]
    for key in included:
        assert gold["entitlements"][key] == "included"
    meetings = [s for s in gold["schedules"] if s["entitlement"] == "management_meetings"]
    assert meetings == [
        {
            "entitlement": "management_meetings",
            "count": 4,
            "every": 1,
            "unit": "years",
            "at_least": True,
        }
    ]
    assert gold["targets"] == []


def test_pector_monitoring(packs):
    pe = packs["pector"]
    assert pe["monitoring"]["calendar"] == "monitoring"
    assert pe["monitoring"]["delivery"] == "email"
    cal = calendar(pe, "monitoring")
    assert cal["weekly_hours"] == weekdays("08:30", "16:30")
    assert cal["holidays"]["country"] == "SE"
    assert set(cal["holidays"]["categories"]) == {"public", "de_facto"}
    closed = holidays.country_holidays("SE", years=2026, categories=cal["holidays"]["categories"])
    for day in ["2026-06-19", "2026-12-24", "2026-12-31", "2026-01-06"]:
        assert day in closed  # Midsummer Eve, Christmas Eve, New Year's Eve, Epiphany


# ---------------------------------------------------------------- Vivant (DK)


def test_vivant_categories_and_channels(packs):
    vi = packs["vivant"]
    assert [s["key"] for s in vi["severities"]] == [
        "outage",
        "critical_fault",
        "non_critical_fault",
        "change_request",
    ]
    assert {t["kind"] for t in vi["case_types"]} == {"incident", "change_request"}
    assert [c["key"] for c in vi["channels"]] == ["email", "contact_form", "phone", "monitoring"]
    assert vi["monitoring"]["severity"] == "outage"


def test_vivant_survey(packs):
    survey = packs["vivant"]["survey"]
    assert len(survey["questions"]) == 3
    assert (survey["min_questions"], survey["max_questions"]) == (2, 3)
    assert (survey["scale_min"], survey["scale_max"]) == (1, 5)
    assert all("da" in q["translations"] for q in survey["questions"])


def test_vivant_default_plans(packs):
    vi = packs["vivant"]
    assert [p["key"] for p in vi["plans"]] == ["fixed_price", "consumption"]
    fixed, consumption = plan(vi, "fixed_price"), plan(vi, "consumption")
    assert fixed["placeholder"] and consumption["placeholder"]
    assert fixed["prices"][0]["per"] == "user_month"
    assert fixed["prices"][0]["placeholder"] is True
    assert consumption["prices"] == []
    assert rate(vi, consumption["consumption_rate"])["placeholder"] is True
    for p in (fixed, consumption):
        assert p["targets"] and all(t["placeholder"] for t in p["targets"])
        assert p["vendor_handoff"]["report_time_horizon"] is True
        assert p["entitlements"]["external_vendor_forwarding"] == "included"
    assert calendar(vi, "opening_hours_default")["placeholder"] is True
    assert {"opening_hours", "targets", "prices"} <= set(vi["per_customer_overrides"])
    assert vi["reports"]["load_window_months"] == {"min": 4, "max": 6, "default": 6}
    assert vi["workflow"]["time_horizon_to_reporter"] is True


# ---------------------------------------------------------------- Synerity (SE)


def test_synerity_prices(packs):
    sy = packs["synerity"]
    prices = {
        (p["key"], pr["segment"]): (pr["amount"], pr["per"])
        for p in sy["plans"]
        for pr in p["prices"]
    }
    assert prices == {
        ("free", "license_customers"): ("0.00", "month"),
        ("free", "other_customers"): ("2500.00", "month"),
        ("silver", "license_customers"): ("5000.00", "month"),
        ("silver", "other_customers"): ("7500.00", "month"),
        ("gold", "license_customers"): ("10000.00", "month"),
        ("gold", "other_customers"): ("15000.00", "month"),
    }
    assert sy["tenant"]["currency"] == "SEK"


def test_synerity_targets_and_calendar(packs):
    sy = packs["synerity"]
    assert plan(sy, "free")["targets"] == []
    for plan_key, hours in [("silver", 8), ("gold", 2)]:
        assert timed(sy, plan_key) == {
            (sev, "response"): (hours, "working_hours", "support") for sev in ["urgent", "normal"]
        }
    cal = calendar(sy, "support")
    assert cal["weekly_hours"] == weekdays("08:00", "17:00")
    assert set(cal["holidays"]["categories"]) == {"public", "de_facto"}


def test_synerity_entitlements(packs):
    sy = packs["synerity"]
    every = ["case_reporting", "self_help_advice"]
    silver_up = [
        "vip_webinars",
        "video_troubleshooting",
        "feature_request_help",
        "troubleshooting_in_customer_environment",
        "basic_configuration_fixes",
        "platform_vendor_escalation",
        "monthly_support_reports",
        "consultant_discount",
    ]
    gold_only = [
        "advanced_configuration_fixes",
        "faster_urgent_response",
        "higher_consultant_discount",
    ]
    expect = {
        "free": (every, silver_up + gold_only),
        "silver": (every + silver_up, gold_only),
        "gold": (every + silver_up + gold_only, []),
    }
    for plan_key, (included, excluded) in expect.items():
        ent = plan(sy, plan_key)["entitlements"]
        assert [k for k in included if ent[k] != "included"] == []
        assert [k for k in excluded if ent.get(k, "not_included") != "not_included"] == []
    follow = {
        p["key"]: p["entitlements"]["platform_vendor_incident_follow_up"] for p in sy["plans"]
    }
    assert follow == {"free": "on_request", "silver": "included", "gold": "included"}
    report = sy["reports"]["monthly_support_report"]
    assert "questions_vs_incidents" in report["contents"]


def test_synerity_platform_vendor_escalation(packs):
    sy = packs["synerity"]
    assert plan(sy, "free")["escalation"] is None
    for plan_key in ["silver", "gold"]:
        p = plan(sy, plan_key)
        esc = p["escalation"]
        assert esc["to_external_vendor"] == {
            "via_role": "product_owner",
            "external_reference": "required",
        }
        assert all(r["actions"] == ["escalate_to_external_vendor"] for r in esc["rules"])
        assert p["vendor_handoff"]["vendor"] == "monday.com"
        assert p["vendor_handoff"]["follow_up"] == "proactive"
        assert p["penalty"] is None


# ---------------------------------------------------------------- the schema rejects


def errors_of(validator, doc):
    return [(list(e.absolute_path), e.validator) for e in validator.iter_errors(doc)]


@pytest.mark.parametrize(
    ("mutate", "path", "keyword"),
    [
        pytest.param(
            lambda d: d["plans"][1]["targets"][0].update(value=-1),
            ["plans", 1, "targets", 0, "value"],
            "exclusiveMinimum",
            id="negative-target-value",
        ),
        pytest.param(
            lambda d: d["plans"][1]["targets"][0].update(value=0),
            ["plans", 1, "targets", 0, "value"],
            "exclusiveMinimum",
            id="zero-target-value",
        ),
        pytest.param(
            lambda d: d["plans"][0]["targets"][0].update(metric="uptime"),
            ["plans", 0, "targets", 0, "metric"],
            "enum",
            id="unknown-metric",
        ),
        pytest.param(
            lambda d: d["calendars"][0]["weekly_hours"]["mon"][0].__setitem__(1, "25:00"),
            ["calendars", 0, "weekly_hours", "mon", 0, 1],
            "pattern",
            id="hour-25",
        ),
        pytest.param(
            lambda d: d["calendars"][0]["weekly_hours"]["tue"][0].__setitem__(0, "24:00"),
            ["calendars", 0, "weekly_hours", "tue", 0, 0],
            "pattern",
            id="open-at-24",
        ),
        pytest.param(
            lambda d: d["plans"][1]["entitlements"].update(free_lunch="included"),
            ["plans", 1, "entitlements"],
            "enum",
            id="unknown-entitlement-key",
        ),
        pytest.param(
            lambda d: d["plans"][1]["entitlements"].update(task_force="yes"),
            ["plans", 1, "entitlements", "task_force"],
            "enum",
            id="unknown-entitlement-value",
        ),
        pytest.param(
            lambda d: d["plans"][1]["targets"][0].pop("calendar"),
            ["plans", 1, "targets", 0],
            "required",
            id="working-hours-without-calendar",
        ),
        pytest.param(
            lambda d: d["plans"][1]["targets"][0].update(unit="calendar_hours"),
            ["plans", 1, "targets", 0, "calendar"],
            "not",
            id="calendar-hours-with-calendar",
        ),
        pytest.param(
            lambda d: d["plans"][1]["targets"][2].update(value=3),
            ["plans", 1, "targets", 2, "value"],
            "not",
            id="commitment-with-value",
        ),
        pytest.param(
            lambda d: d["rates"][0]["steps"][0].update(amount=1500.0),
            ["rates", 0, "steps", 0, "amount"],
            "type",
            id="money-as-float",
        ),
        pytest.param(
            lambda d: d["plans"][1]["penalty"]["amount"].update(percent=150),
            ["plans", 1, "penalty", "amount", "percent"],
            "maximum",
            id="penalty-over-100-percent",
        ),
        pytest.param(
            lambda d: d["calendars"][0].update(timezone="UTC"),
            ["calendars", 0],
            "additionalProperties",
            id="unknown-property",
        ),
        pytest.param(lambda d: d.pop("survey"), [], "required", id="missing-section"),
    ],
)
def test_schema_rejects(validator, packs, mutate, path, keyword):
    doc = copy.deepcopy(packs["promark"])
    mutate(doc)
    assert (path, keyword) in errors_of(validator, doc)


def test_schema_rejects_survey_with_bad_scale_type(validator, packs):
    doc = copy.deepcopy(packs["vivant"])
    doc["survey"]["scale_max"] = "5"
    assert (["survey", "scale_max"], "type") in errors_of(validator, doc)


def test_integrity_catches_dangling_references(packs):
    doc = copy.deepcopy(packs["mobilise"])
    doc["plans"][0]["targets"][0]["calendar"] = "nowhere"
    doc["channels"][2]["requires_addon"] = "fax_support"
    doc["calendars"][0]["weekly_hours"]["mon"] = [["16:00", "09:00"]]
    problems = integrity_problems(doc)
    assert "plan standard: unknown calendar nowhere" in problems
    assert "channel phone: unknown addon fax_support" in problems
    assert "calendar business mon: 16:00 not before 09:00" in problems


# ---------------------------------------------------------------- the documented example


def test_documented_example_is_a_valid_pack(validator):
    text = (PACK_DIR.parents[1] / "docs" / "policy-packs.md").read_text(encoding="utf-8")
    example = yaml.safe_load(text.split("```yaml\n", 1)[1].split("```", 1)[0])
    assert errors_of(validator, example) == []
    assert integrity_problems(example) == []
