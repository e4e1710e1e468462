"""Tenant isolation for every tenant-owned model, found through the app registry.

A model with a `tenant` field added anywhere in the project is picked up here
automatically; without a factory in `tests.factories.TENANT_OWNED_FACTORIES`
this test fails and names it.
"""

import pytest
from django.apps import apps

from supportdesk.models import Tenant
from supportdesk.tenancy import TenantQuerySet
from tests.factories import TENANT_OWNED_FACTORIES

PROJECT_APPS = {"supportdesk", "plans", "sla", "tickets", "billing"}


def tenant_owned_models():
    return sorted(
        (
            model
            for model in apps.get_models()
            if model._meta.app_label in PROJECT_APPS
            and any(field.name == "tenant" for field in model._meta.get_fields())
        ),
        key=lambda model: model._meta.label,
    )


def test_registry_discovers_the_known_tenant_models():
    labels = {model._meta.label for model in tenant_owned_models()}
    assert {"supportdesk.User", "plans.CustomerOrganization", "plans.Contact"} <= labels


def test_every_tenant_owned_model_has_a_factory():
    missing = [m._meta.label for m in tenant_owned_models() if m not in TENANT_OWNED_FACTORIES]
    assert missing == [], f"add factories to TENANT_OWNED_FACTORIES for {missing}"


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_tenant_field_points_at_tenant(model):
    field = model._meta.get_field("tenant")
    assert field.related_model is Tenant
    assert field.remote_field.on_delete.__name__ == "CASCADE"


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_scoped_access_never_returns_another_tenants_rows(model, tenant_a, tenant_b):
    make = TENANT_OWNED_FACTORIES[model]
    row_a = make(tenant_a)
    row_b = make(tenant_b)
    assert row_a.tenant_id == tenant_a.pk and row_b.tenant_id == tenant_b.pk

    queryset = model._default_manager.all()
    assert isinstance(queryset, TenantQuerySet), f"{model._meta.label} needs a TenantManager"

    seen_by_a = set(model._default_manager.for_tenant(tenant_a).values_list("pk", flat=True))
    seen_by_b = set(model._default_manager.for_tenant(tenant_b).values_list("pk", flat=True))
    assert row_a.pk in seen_by_a and row_b.pk not in seen_by_a
    assert row_b.pk in seen_by_b and row_a.pk not in seen_by_b
    assert seen_by_a.isdisjoint(seen_by_b)
    assert not model._default_manager.for_tenant(None).exists()
