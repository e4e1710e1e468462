"""The policy-pack format: schema validation and the cross-reference rules it cannot express.

Pure (no Django), so the pack files can be checked anywhere; the Django loader
(`plans.policy`) runs these checks before it writes anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import holidays
import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parent / "packs" / "schema.json"


@cache
def pack_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = pack_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@dataclass(frozen=True)
class PackProblem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def yaml_path(parts) -> str:
    """`["plans", 1, "targets", 0, "value"]` -> `plans[1].targets[0].value`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _describe(error: jsonschema.ValidationError) -> str:
    """jsonschema's messages quote whole sub-documents; say what is wrong instead."""
    keyword, expected = error.validator, error.validator_value
    if keyword == "exclusiveMinimum":
        return f"must be > {expected}"
    if keyword == "minimum":
        return f"must be >= {expected}"
    if keyword == "exclusiveMaximum":
        return f"must be < {expected}"
    if keyword == "maximum":
        return f"must be <= {expected}"
    if keyword == "enum":
        shown = ", ".join("null" if v is None else str(v) for v in expected)
        return f"{error.instance!r} is not one of: {shown}"
    if keyword == "const":
        return f"must be {expected!r}"
    if keyword == "pattern":
        return f"{error.instance!r} does not match the expected form {expected}"
    if keyword == "type":
        return f"must be of type {expected}, not {type(error.instance).__name__}"
    if keyword == "required":
        return error.message.replace("is a required property", "is required")
    if keyword == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field")
    if keyword in {"minItems", "maxItems", "minLength", "maxLength", "uniqueItems"}:
        return f"{keyword} {expected} not met"
    if keyword == "not":
        return "is not allowed here"
    return error.message


def schema_problems(document: Any) -> list[PackProblem]:
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(map(str, e.path)))
    problems = []
    for error in errors:
        # For oneOf/anyOf, the most specific sub-error names the field that is wrong.
        best = jsonschema.exceptions.best_match([error]) if error.context else error
        problems.append(PackProblem(yaml_path(best.absolute_path), _describe(best)))
    return problems


def pack_problems(document: Any) -> list[PackProblem]:
    """Everything wrong with a pack: schema first; cross-references only on a valid shape."""
    problems = schema_problems(document)
    if problems:
        return problems
    return [PackProblem("", message) for message in integrity_problems(document)]


def minutes(hhmm):
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _calendar(pack, key):
    return next(c for c in pack["calendars"] if c["key"] == key)


def _has_entitlement(pack, plan_key, key):
    plan = next(p for p in pack["plans"] if p["key"] == plan_key)
    return plan["entitlements"].get(key, "not_included") != "not_included"


def integrity_problems(pack):
    """Cross-references and rules JSON Schema cannot express. Returns a list of messages."""
    problems = []
    cal_keys = [c["key"] for c in pack["calendars"]]
    sev_keys = [s["key"] for s in pack["severities"]]
    type_keys = [t["key"] for t in pack["case_types"]]
    kinds = {t["kind"] for t in pack["case_types"]}
    metric_keys = [m["key"] for m in pack["metrics"]]
    plan_keys = [p["key"] for p in pack["plans"]]
    rate_keys = [r["key"] for r in pack["rates"]]
    addon_keys = [a["key"] for a in pack["addons"]]

    for label, keys in [
        ("calendar", cal_keys),
        ("severity", sev_keys),
        ("case type", type_keys),
        ("metric", metric_keys),
        ("plan", plan_keys),
        ("rate", rate_keys),
        ("addon", addon_keys),
    ]:
        if len(keys) != len(set(keys)):
            problems.append(f"duplicate {label} keys: {keys}")

    for c in pack["calendars"]:
        for day, intervals in c["weekly_hours"].items():
            last_close = -1
            for open_, close in intervals:
                if not minutes(open_) < minutes(close):
                    problems.append(f"calendar {c['key']} {day}: {open_} not before {close}")
                if minutes(open_) < last_close:
                    problems.append(f"calendar {c['key']} {day}: overlapping intervals")
                last_close = minutes(close)
        hol = c["holidays"]
        if hol is not None:
            supported = holidays.country_holidays(hol["country"]).supported_categories
            for cat in hol["categories"]:
                if cat not in supported:
                    problems.append(f"calendar {c['key']}: {hol['country']} has no category {cat}")

    for s in pack["severities"]:
        for t in s["case_types"] or []:
            if t not in type_keys:
                problems.append(f"severity {s['key']}: unknown case type {t}")
    for t in pack["case_types"]:
        if t["rate"] is not None and t["rate"] not in rate_keys:
            problems.append(f"case type {t['key']}: unknown rate {t['rate']}")

    statuses = [s["key"] for s in pack["workflow"]["statuses"]]
    if len(statuses) != len(set(statuses)):
        problems.append("duplicate statuses")
    for required in ("new", "open", "resolved", "closed"):
        if required not in statuses:
            problems.append(f"missing status {required}")

    unq = pack["filing"]["unqualified"]
    if unq is not None and unq["rate"] not in rate_keys:
        problems.append(f"unqualified: unknown rate {unq['rate']}")
    for ch in pack["channels"]:
        if ch["calendar"] is not None and ch["calendar"] not in cal_keys:
            problems.append(f"channel {ch['key']}: unknown calendar {ch['calendar']}")
        if ch["requires_addon"] is not None and ch["requires_addon"] not in addon_keys:
            problems.append(f"channel {ch['key']}: unknown addon {ch['requires_addon']}")

    for p in pack["plans"]:
        where = f"plan {p['key']}"
        ent = p["entitlements"]

        def has(key, ent=ent):
            return ent.get(key, "not_included") != "not_included"

        if p["consumption_rate"] is not None and p["consumption_rate"] not in rate_keys:
            problems.append(f"{where}: unknown consumption rate")
        seen = set()
        for t in p["targets"]:
            pair = (t["severity"], t["metric"])
            if pair in seen:
                problems.append(f"{where}: two targets for {pair}")
            seen.add(pair)
            if t["severity"] not in sev_keys:
                problems.append(f"{where}: unknown severity {t['severity']}")
            if t["metric"] not in metric_keys:
                problems.append(f"{where}: metric {t['metric']} not defined in metrics")
            if "calendar" in t and t["calendar"] not in cal_keys:
                problems.append(f"{where}: unknown calendar {t['calendar']}")
            if t.get("release") and t["metric"] != "software_fix":
                problems.append(f"{where}: release only on software_fix")
        for s in p["schedules"]:
            if not has(s["entitlement"]):
                problems.append(f"{where}: schedule for missing entitlement {s['entitlement']}")
        esc = p["escalation"]
        if esc is not None:
            for rule in esc["rules"]:
                for sev in rule["severities"]:
                    if sev not in sev_keys:
                        problems.append(f"{where}: escalation severity {sev} unknown")
                for kind in rule["case_kinds"]:
                    if kind not in kinds:
                        problems.append(f"{where}: escalation kind {kind} not used by a case type")
                if rule["trigger"] == "customer_request" and not (
                    has("escalation_right") or has("platform_vendor_escalation")
                ):
                    problems.append(f"{where}: customer escalation without entitlement")
                if "open_task_force" in rule["actions"] and (
                    esc["task_force"] is None or not has("task_force")
                ):
                    problems.append(f"{where}: open_task_force without task force")
                if "notify_service_delivery_manager" in rule["actions"] and not has(
                    "service_delivery_manager"
                ):
                    problems.append(f"{where}: no service delivery manager to notify")
                if "escalate_to_external_vendor" in rule["actions"] and (
                    esc["to_external_vendor"] is None or not has("platform_vendor_escalation")
                ):
                    problems.append(f"{where}: vendor escalation without entitlement")
        pen = p["penalty"]
        if pen is not None:
            if not has("penalty_credits"):
                problems.append(f"{where}: penalty without penalty_credits entitlement")
            for sev in pen["severities"]:
                if sev not in sev_keys:
                    problems.append(f"{where}: penalty severity {sev} unknown")
        elif ent.get("penalty_credits") == "included":
            problems.append(f"{where}: penalty_credits included but no penalty rule")
        if p["vendor_handoff"] is not None and not (
            has("external_vendor_forwarding") or has("platform_vendor_incident_follow_up")
        ):
            problems.append(f"{where}: vendor handoff without entitlement")

    working_day_cals = {
        t["calendar"]
        for p in pack["plans"]
        for t in p["targets"]
        if t.get("unit") == "working_days"
    }
    for key in working_day_cals & set(cal_keys):
        if _calendar(pack, key)["business_day_hours"] is None:
            problems.append(f"calendar {key}: working_days targets need business_day_hours")

    for a in pack["addons"]:
        for pk in a["plans"] or []:
            if pk not in plan_keys:
                problems.append(f"addon {a['key']}: unknown plan {pk}")
    for r in pack["rates"]:
        for pk in r["plans"] or []:
            if pk not in plan_keys:
                problems.append(f"rate {r['key']}: unknown plan {pk}")
        if (r["applies_to"] == "out_of_hours") != (r["outside_calendar"] is not None):
            problems.append(f"rate {r['key']}: outside_calendar iff out_of_hours")
        if r["outside_calendar"] is not None and r["outside_calendar"] not in cal_keys:
            problems.append(f"rate {r['key']}: unknown calendar")

    bank = pack["hour_bank"]
    if bank is not None:
        for key in [bank["purchase_rate"], bank["exhausted_rate"]]:
            if key is not None and key not in rate_keys:
                problems.append(f"hour bank: unknown rate {key}")
        if (bank["when_exhausted"] == "bill_at_rate") != (bank["exhausted_rate"] is not None):
            problems.append("hour bank: exhausted_rate iff bill_at_rate")
        for pk in bank["plans"]:
            if pk not in plan_keys or not _has_entitlement(pack, pk, "hour_bank"):
                problems.append(f"hour bank: plan {pk} unknown or without hour_bank entitlement")

    survey = pack["survey"]
    if survey is not None:
        if not survey["min_questions"] <= len(survey["questions"]) <= survey["max_questions"]:
            problems.append("survey: number of questions outside min/max")
        if not survey["scale_min"] < survey["scale_max"]:
            problems.append("survey: empty scale")

    mon = pack["monitoring"]
    if mon is not None:
        if mon["calendar"] not in cal_keys:
            problems.append("monitoring: unknown calendar")
        if mon["case_type"] not in type_keys or mon["severity"] not in sev_keys:
            problems.append("monitoring: unknown case type or severity")

    window = pack["reports"]["load_window_months"]
    if window is not None and not window["min"] <= window["default"] <= window["max"]:
        problems.append("reports: load window default outside min..max")
    return problems
