"""Loading a policy pack into a tenant: create or update, idempotently, all or nothing.

Every row is matched by its natural key inside the tenant, compared field by
field, and written only when something differs, so loading the same pack twice
writes nothing and editing one target updates exactly that row. Rows the pack
no longer names are removed, unless customers still use them (then the load
fails and says which).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from sla.models import BusinessCalendar
from supportdesk.models import Tenant

from .models import (
    AddOn,
    CaseType,
    HourBankPolicy,
    Plan,
    PlanEntitlement,
    PlanPrice,
    RateCard,
    SeverityLevel,
    SlaTarget,
    SurveyQuestion,
    TenantPolicy,
)
from .pack_format import PackProblem, pack_problems


class PackInvalid(Exception):
    """The pack cannot be loaded; `problems` name the YAML path and what is wrong."""

    def __init__(self, problems: list[PackProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass
class LoadResult:
    tenant: Tenant
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(+self.created or +self.updated or +self.deleted)

    def summary(self) -> str:
        if not self.changed:
            return f"{self.tenant.slug}: unchanged"
        parts = []
        for verb, counts in (
            ("created", self.created),
            ("updated", self.updated),
            ("deleted", self.deleted),
        ):
            if counts:
                parts.append(verb + " " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
        return f"{self.tenant.slug}: " + "; ".join(parts)


def pack_digest(document: dict) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _same(field_: models.Field, current: Any, wanted: Any) -> bool:
    if isinstance(field_, models.DecimalField) and current is not None and wanted is not None:
        return Decimal(str(current)) == Decimal(str(wanted))
    return current == wanted


class _Sync:
    """Upserts one kind of row inside a tenant and counts what it did."""

    def __init__(self, result: LoadResult):
        self.result = result
        self.tenant = result.tenant

    def rows(
        self,
        model: type[models.Model],
        *,
        key_fields: tuple[str, ...],
        wanted: list[tuple[str, tuple, dict]],
        scope: dict | None = None,
    ) -> dict[tuple, models.Model]:
        """`wanted` is [(yaml_path, key, values)]; returns key -> saved row."""
        scope = scope or {}
        label = model._meta.verbose_name_plural
        existing = {
            tuple(getattr(obj, name) for name in key_fields): obj
            for obj in model._default_manager.for_tenant(self.tenant).filter(**scope)
        }
        saved = {}
        for path, key, values in wanted:
            obj = existing.pop(key, None)
            if obj is None:
                obj = model(tenant=self.tenant, **scope, **dict(zip(key_fields, key, strict=True)))
                for name, value in values.items():
                    setattr(obj, name, value)
                self._save(obj, path)
                self.result.created[label] += 1
            else:
                changed = [
                    name
                    for name, value in values.items()
                    if not _same(model._meta.get_field(name), getattr(obj, name), value)
                ]
                if changed:
                    for name in changed:
                        setattr(obj, name, values[name])
                    self._save(obj, path)
                    self.result.updated[label] += 1
            saved[key] = obj
        for key, obj in existing.items():
            try:
                obj.delete()
            except ProtectedError as exc:
                raise PackInvalid(
                    [
                        PackProblem(
                            "",
                            f"{label} {key[-1]!s} is no longer in the pack but is still "
                            f"used ({len(exc.protected_objects)} rows); keep it or "
                            f"move those first",
                        )
                    ]
                ) from exc
            self.result.deleted[label] += 1
        return saved

    @staticmethod
    def _save(obj: models.Model, path: str) -> None:
        try:
            obj.full_clean()
        except ValidationError as exc:
            problems = [
                PackProblem(
                    path,
                    f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages),
                )
                for name, messages in exc.message_dict.items()
            ]
            raise PackInvalid(problems) from exc
        obj.save()


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@transaction.atomic
def policy_pack_load(*, document: Any) -> LoadResult:
    """Create or update the tenant a pack describes. Nothing is written if anything is wrong."""
    problems = pack_problems(document)
    if problems:
        raise PackInvalid(problems)

    spec = document["tenant"]
    tenant = Tenant.objects.select_for_update().filter(slug=spec["slug"]).first()
    result = LoadResult(tenant=tenant or Tenant(slug=spec["slug"]))
    tenant_values = {
        k: spec[k] for k in ("name", "country", "timezone", "language", "currency", "case_prefix")
    }
    if tenant is None:
        tenant = Tenant(**tenant_values, slug=spec["slug"])
        _Sync._save(tenant, "tenant")
        result.created["tenants"] += 1
    elif any(getattr(tenant, k) != v for k, v in tenant_values.items()):
        for k, v in tenant_values.items():
            setattr(tenant, k, v)
        _Sync._save(tenant, "tenant")
        result.updated["tenants"] += 1
    result.tenant = tenant
    sync = _Sync(result)

    _load_calendars(sync, document)
    _severity_ranks_free(tenant, [s["key"] for s in document["severities"]])
    severities = sync.rows(
        SeverityLevel,
        key_fields=("key",),
        wanted=[
            (
                f"severities[{i}]",
                (s["key"],),
                {"name": s["name"], "description": s["description"] or "", "rank": i + 1},
            )
            for i, s in enumerate(document["severities"])
        ],
    )
    sync.rows(
        CaseType,
        key_fields=("key",),
        wanted=[
            (
                f"case_types[{i}]",
                (t["key"],),
                {
                    "name": t["name"],
                    "kind": t["kind"],
                    "billing": t["billing"],
                    "sla_applies": t["sla_applies"],
                    "position": i,
                },
            )
            for i, t in enumerate(document["case_types"])
        ],
    )
    _load_plans(sync, document, severities)
    _load_terms(sync, document)
    _load_policy(sync, document)
    return result


def _severity_ranks_free(tenant: Tenant, keys: list[str]) -> None:
    """Ranks are unique per tenant, so a reordered scheme first moves the old ranks aside."""
    current = dict(SeverityLevel.objects.for_tenant(tenant).values_list("key", "rank"))
    if current and current != {key: rank for rank, key in enumerate(keys, start=1)}:
        SeverityLevel.objects.for_tenant(tenant).update(rank=models.F("rank") + 1000)


def _load_calendars(sync: _Sync, document: dict) -> None:
    tz = document["tenant"]["timezone"]
    wanted = []
    for i, c in enumerate(document["calendars"]):
        hol = c["holidays"] or {}
        hours = c.get("business_day_hours")
        wanted.append(
            (
                f"calendars[{i}]",
                (c["key"],),
                {
                    "name": c["name"],
                    "timezone": tz,
                    "weekly_hours": {
                        day: [list(p) for p in v] for day, v in c["weekly_hours"].items()
                    },
                    "holiday_country": hol.get("country") or "",
                    "holiday_subdivision": hol.get("subdivision") or "",
                    "holiday_categories": list(hol.get("categories") or []),
                    "closed_dates": [str(d) for d in c["closed_dates"]],
                    "special_hours": {
                        str(d): [list(p) for p in v] for d, v in c["special_hours"].items()
                    },
                    "business_day_minutes": round(Decimal(str(hours)) * 60) if hours else None,
                    "is_placeholder": bool(c.get("placeholder", False)),
                },
            )
        )
    sync.rows(BusinessCalendar, key_fields=("key",), wanted=wanted, scope={"organization": None})


def _load_plans(sync: _Sync, document: dict, severities: dict) -> None:
    currency = document["tenant"]["currency"]
    plans = sync.rows(
        Plan,
        key_fields=("key",),
        wanted=[
            (
                f"plans[{i}]",
                (p["key"],),
                {
                    "name": p["name"],
                    "currency": p.get("currency", currency),
                    "position": i,
                    "escalation": p["escalation"],
                    "penalty": p["penalty"],
                    "vendor_handoff": p["vendor_handoff"],
                    "schedules": p["schedules"],
                },
            )
            for i, p in enumerate(document["plans"])
        ],
    )
    for i, p in enumerate(document["plans"]):
        plan = plans[(p["key"],)]
        sync.rows(
            PlanPrice,
            key_fields=("segment", "per"),
            scope={"plan": plan},
            wanted=[
                (
                    f"plans[{i}].prices[{j}]",
                    (price["segment"], price["per"]),
                    {"amount": _money(price["amount"])},
                )
                for j, price in enumerate(p["prices"] or [])
            ],
        )
        sync.rows(
            PlanEntitlement,
            key_fields=("key",),
            scope={"plan": plan},
            wanted=[
                (f"plans[{i}].entitlements.{key}", (key,), {"mode": mode})
                for key, mode in p["entitlements"].items()
            ],
        )
        sync.rows(
            SlaTarget,
            key_fields=("severity_id", "metric"),
            scope={"plan": plan},
            wanted=[
                (
                    f"plans[{i}].targets[{j}]",
                    (severities[(t["severity"],)].pk, t["metric"]),
                    {
                        "commitment": t.get("commitment", "target"),
                        "value": Decimal(str(t["value"])) if "value" in t else None,
                        "unit": t.get("unit", ""),
                        "calendar_key": t.get("calendar") or "",
                        "release": t.get("release") or "",
                    },
                )
                for j, t in enumerate(p["targets"])
            ],
        )


def _load_terms(sync: _Sync, document: dict) -> None:
    currency = document["tenant"]["currency"]
    sync.rows(
        AddOn,
        key_fields=("key",),
        wanted=[
            (
                f"addons[{i}]",
                (a["key"],),
                {
                    "name": a["name"],
                    "price": _money(a["price"]),
                    "per": a["per"],
                    "currency": a.get("currency", currency),
                    "free_months": a["free_months"],
                    "free_months_for": a["free_months_for"],
                    "grants": a["grants"],
                    "terms": {k: a[k] for k in ("minimum_term_months", "eligible_users", "plans")},
                },
            )
            for i, a in enumerate(document["addons"])
        ],
    )
    sync.rows(
        RateCard,
        key_fields=("key",),
        wanted=[
            (
                f"rates[{i}]",
                (r["key"],),
                {
                    "name": r["name"],
                    "applies_to": r["applies_to"],
                    "currency": r.get("currency", currency),
                    "steps": r["steps"],
                    "outside_calendar_key": r["outside_calendar"] or "",
                    "channel": r["channel"] or "",
                    "is_placeholder": bool(r.get("placeholder", False)),
                    "terms": {"plans": r["plans"], "note": r.get("note", "")},
                },
            )
            for i, r in enumerate(document["rates"])
        ],
    )
    bank = document["hour_bank"]
    sync.rows(
        HourBankPolicy,
        key_fields=(),
        wanted=[]
        if bank is None
        else [
            (
                "hour_bank",
                (),
                {
                    "period_months": bank["period_months"],
                    "rollover_max_percent": Decimal(str(bank["rollover_max_percent"])),
                    "terms": {
                        k: v
                        for k, v in bank.items()
                        if k not in ("period_months", "rollover_max_percent")
                    },
                },
            )
        ],
    )
    survey = document["survey"]
    sync.rows(
        SurveyQuestion,
        key_fields=("key",),
        wanted=[
            (
                f"survey.questions[{i}]",
                (q["key"],),
                {"text": q["text"], "translations": q.get("translations", {}), "position": i},
            )
            for i, q in enumerate(survey["questions"] if survey else [])
        ],
    )


def _load_policy(sync: _Sync, document: dict) -> None:
    workflow, filing, survey = document["workflow"], document["filing"], document["survey"]
    versions = document["versions"]
    values = {
        "warning_at_percent": workflow["warning_at_percent"],
        "pause_statuses": [s["key"] for s in workflow["statuses"] if s["pauses_clock"]],
        "allowed_filers": filing["allowed_filers"],
        "on_other_filer": filing["on_other_filer"] or "",
        "on_untrained_administrator": filing["on_untrained_administrator"] or "",
        "customer_sets_severity": filing["customer_sets_severity"],
        "vendor_may_reclassify": filing["vendor_may_reclassify"],
        "required_fields": filing["required_fields"],
        "channels": [c["key"] for c in document["channels"]],
        "supported_version_months": versions["supported_months"] if versions else None,
        "survey_scale_min": survey["scale_min"] if survey else None,
        "survey_scale_max": survey["scale_max"] if survey else None,
        "pack_digest": pack_digest(document),
        "document": json.loads(json.dumps(document, default=str)),
    }
    current = TenantPolicy.objects.for_tenant(sync.tenant).first()
    if current is None or current.pack_digest != values["pack_digest"] or sync.result.changed:
        values["loaded_at"] = timezone.now()
    else:
        values["loaded_at"] = current.loaded_at
    sync.rows(TenantPolicy, key_fields=(), wanted=[("", (), values)])
