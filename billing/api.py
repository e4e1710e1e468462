"""Penalty credits over the API (`/api/v1/credits/`): read-only.

Staff see their tenant's credits, a contact its own organisation's; another tenant's
credit answers 404. Filters: `organization` (id) and `month` (`YYYY-MM`).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError

from supportdesk.api.mixins import ScopedQuerysetMixin
from supportdesk.api.permissions import IsTenantMember

from . import selectors
from .models import PenaltyCredit


class CreditSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    case_number = serializers.CharField(source="case.number", read_only=True)
    plan = serializers.CharField(source="subscription.plan.key", read_only=True)
    month = serializers.DateField(format="%Y-%m", read_only=True)
    is_placeholder = serializers.BooleanField(read_only=True)
    # A plain string: another "status" enum in the schema would collide in naming.
    status = serializers.CharField(
        read_only=True, help_text="open (ledger entry) | needs_amount | void"
    )

    class Meta:
        model = PenaltyCredit
        fields = [
            "id",
            "organization",
            "organization_name",
            "subscription",
            "plan",
            "case",
            "case_number",
            "clock",
            "metric",
            "severity",
            "month",
            "amount",
            "currency",
            "status",
            "reason",
            "is_placeholder",
            "created_at",
            "invoiced_at",
        ]
        read_only_fields = fields


def parse_month(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value if len(value) > 7 else f"{value}-01").replace(day=1)
    except ValueError:
        raise ValidationError({"month": _("Give a month as YYYY-MM.")}) from None


def parse_id(value: str | None, name: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationError({name: _("Give a number.")}) from None


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("organization", OpenApiTypes.INT),
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM"),
        ]
    )
)
class CreditViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Penalty credits for breached SLA targets: staff see the tenant's, a contact its own."""

    model = PenaltyCredit
    serializer_class = CreditSerializer
    permission_classes = [IsTenantMember]

    def scoped_queryset(self, user):
        params = self.request.query_params if self.action == "list" else {}
        return selectors.credit_list(
            actor=user,
            organization_id=parse_id(params.get("organization"), "organization"),
            month=parse_month(params.get("month")),
        )
