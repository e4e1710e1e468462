"""Closed vocabularies of the policy-pack format, read from its JSON Schema.

The schema (`plans/packs/schema.json`) is the single source of truth; model
choices are derived from it so a new entitlement is added in one place.
"""

from __future__ import annotations

from .pack_format import pack_schema


def _enum(name: str) -> tuple[str, ...]:
    return tuple(pack_schema()["$defs"][name]["enum"])


def _choices(name: str) -> list[tuple[str, str]]:
    return [(value, value.replace("_", " ").capitalize()) for value in _enum(name)]


ENTITLEMENT_KEYS = _enum("entitlement_key")
ENTITLEMENT_CHOICES = _choices("entitlement_key")
METRIC_CHOICES = _choices("metric")
CASE_KIND_CHOICES = _choices("case_kind")
CHANNEL_CHOICES = _choices("channel")
CURRENCY_CHOICES = [(c, c) for c in _enum("currency")]
