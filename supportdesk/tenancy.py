"""Tenant scoping primitives shared by every app.

A tenant-owned model inherits `TenantOwned`, which gives it a `tenant` foreign
key and a default manager whose only road to rows is `for_tenant()`. Selectors
start from there, so forgetting the filter is a visible omission rather than a
silent leak; `tests/supportdesk/test_isolation.py` finds every such model
through the app registry and proves the scoping for each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from supportdesk.models import Tenant


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant | None) -> TenantQuerySet:
        """Rows of one tenant; no tenant (anonymous, platform operator) sees nothing."""
        if tenant is None:
            return self.none()
        return self.filter(tenant=tenant)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    pass


class TenantOwned(models.Model):
    tenant = models.ForeignKey(
        "supportdesk.Tenant",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("tenant"),
    )

    objects = TenantManager()

    class Meta:
        abstract = True


def require_same_tenant(tenant_id: int, **rows) -> None:
    """Refuse another tenant's row handed to a service, as if it did not exist."""
    for name, row in rows.items():
        if row is not None and row.tenant_id != tenant_id:
            raise ValidationError({name: gettext("Not found.")})
