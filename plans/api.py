"""REST endpoints for customer organisations and contacts (`/api/v1/`)."""

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from supportdesk.api.mixins import ScopedQuerysetMixin, django_errors_as_api, request_tenant
from supportdesk.api.permissions import IsTenantAdmin, IsTenantMember, IsTenantStaff
from supportdesk.models import User

from . import selectors, services
from .models import (
    CaseType,
    Contact,
    CustomerOrganization,
    Plan,
    PlanEntitlement,
    PlanPrice,
    SeverityLevel,
    SlaTarget,
    Subscription,
    TenantPolicy,
)
from .selectors import contract_for


class OrganizationSerializer(serializers.ModelSerializer):
    contact_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = CustomerOrganization
        fields = ["id", "name", "is_license_customer", "account_manager", "contact_count"]
        read_only_fields = ["id", "contact_count"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = request_tenant(self)
        # Only the tenant's own staff can be picked: another tenant's id is "invalid pk".
        self.fields["account_manager"].queryset = User.objects.for_tenant(tenant).staff()


class ContactSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "email",
            "name",
            "organization",
            "organization_name",
            "role",
            "trained",
            "trained_on",
            "phone",
        ]
        read_only_fields = fields


def _parse_at(value: str | None):
    if not value:
        return timezone.now()
    parsed = parse_datetime(value)
    if parsed is None or timezone.is_naive(parsed):
        raise ValidationError({"at": _("Give an ISO 8601 instant with a UTC offset.")})
    return parsed


class SeveritySerializer(serializers.ModelSerializer):
    class Meta:
        model = SeverityLevel
        fields = ["id", "key", "name", "description", "rank"]


class CaseTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseType
        fields = ["id", "key", "name", "kind", "billing", "sla_applies"]


class PriceSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanPrice
        fields = ["segment", "amount", "per"]


class EntitlementSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanEntitlement
        fields = ["key", "mode"]


class TargetSerializer(serializers.ModelSerializer):
    severity = serializers.CharField(source="severity.key")

    class Meta:
        model = SlaTarget
        fields = ["severity", "metric", "commitment", "value", "unit", "calendar_key", "release"]


class PlanSerializer(serializers.ModelSerializer):
    prices = PriceSerializer(many=True)
    entitlements = EntitlementSerializer(many=True)
    targets = TargetSerializer(many=True)

    class Meta:
        model = Plan
        fields = [
            "id",
            "key",
            "name",
            "currency",
            "prices",
            "entitlements",
            "targets",
            "escalation",
            "penalty",
            "vendor_handoff",
            "schedules",
        ]


class SubscriptionSerializer(serializers.ModelSerializer):
    plan_key = serializers.CharField(source="plan.key", read_only=True)

    class Meta:
        model = Subscription
        fields = ["id", "organization", "plan", "plan_key", "starts_on", "ends_on"]
        read_only_fields = ["id", "plan_key"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = request_tenant(self)
        self.fields["organization"].queryset = CustomerOrganization.objects.for_tenant(tenant)
        self.fields["plan"].queryset = Plan.objects.for_tenant(tenant)


class PolicySerializer(serializers.ModelSerializer):
    survey_questions = serializers.SerializerMethodField()

    class Meta:
        model = TenantPolicy
        fields = [
            "warning_at_percent",
            "pause_statuses",
            "allowed_filers",
            "on_other_filer",
            "on_untrained_administrator",
            "customer_sets_severity",
            "vendor_may_reclassify",
            "required_fields",
            "channels",
            "supported_version_months",
            "survey_scale_min",
            "survey_scale_max",
            "survey_questions",
            "loaded_at",
        ]

    def get_survey_questions(self, policy) -> list[dict]:
        return [
            {"key": q.key, "text": q.text, "translations": q.translations}
            for q in selectors.survey_questions(tenant=policy.tenant)
        ]


class ResolvedTargetSerializer(serializers.Serializer):
    metric = serializers.CharField()
    severity = serializers.CharField()
    commitment = serializers.CharField()
    value = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    unit = serializers.CharField()
    calendar_key = serializers.CharField()
    business_seconds = serializers.SerializerMethodField()
    source = serializers.CharField()

    def get_business_seconds(self, target) -> int | None:
        return None if target.duration is None else int(target.duration.total_seconds())


class ContractSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    plan = serializers.CharField(source="plan.key", allow_null=True)
    subscription_starts_on = serializers.DateField(allow_null=True)
    hypercare_until = serializers.DateTimeField(allow_null=True)
    entitlements = serializers.DictField(child=serializers.CharField())
    targets = serializers.DictField(child=ResolvedTargetSerializer(many=True))


class SeverityViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """The tenant's severity scheme, most severe first."""

    model = SeverityLevel
    serializer_class = SeveritySerializer

    def scoped_queryset(self, user):
        return SeverityLevel.objects.for_tenant(user.tenant)


class CaseTypeViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    model = CaseType
    serializer_class = CaseTypeSerializer

    def scoped_queryset(self, user):
        return CaseType.objects.for_tenant(user.tenant)


class PlanViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Plans with prices, entitlements and SLA targets (staff only)."""

    model = Plan
    serializer_class = PlanSerializer
    permission_classes = [IsTenantStaff]

    def scoped_queryset(self, user):
        return selectors.plan_list(actor=user)


class SubscriptionViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Subscriptions: staff read; tenant admins create (periods may not overlap)."""

    model = Subscription
    serializer_class = SubscriptionSerializer
    filterset_fields = ["organization", "plan"]

    def get_permissions(self):
        return [IsTenantAdmin()] if self.action == "create" else [IsTenantStaff()]

    def scoped_queryset(self, user):
        return selectors.subscription_list(tenant=user.tenant)

    def perform_create(self, serializer):
        with django_errors_as_api():
            serializer.instance = services.subscription_create(**serializer.validated_data)


class PolicyViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The tenant's contract-wide rules (filing, pauses, survey), as loaded from its pack."""

    model = TenantPolicy
    serializer_class = PolicySerializer
    pagination_class = None

    def scoped_queryset(self, user):
        return TenantPolicy.objects.for_tenant(user.tenant).select_related("tenant")


class OrganizationViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Customer organisations: staff see their tenant's, a contact its own."""

    model = CustomerOrganization
    serializer_class = OrganizationSerializer

    def get_permissions(self):
        if self.action == "create":
            return [IsTenantAdmin()]
        return [IsTenantMember()]

    def scoped_queryset(self, user):
        return selectors.organization_list(actor=user)

    def perform_create(self, serializer):
        with django_errors_as_api():
            serializer.instance = services.organization_create(
                tenant=self.request.user.tenant, **serializer.validated_data
            )

    @extend_schema(
        parameters=[
            OpenApiParameter("at", OpenApiTypes.DATETIME, description="default: now"),
        ],
        responses=ContractSerializer,
    )
    @action(detail=True, methods=["get"])
    def contract(self, request, pk=None):
        """The customer's contract at an instant: plan, entitlements, targets per severity."""
        organization = self.get_object()
        at = _parse_at(request.query_params.get("at"))
        return Response(ContractSerializer(contract_for(customer=organization, at=at)).data)


class ContactViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Contacts: staff see their tenant's, a contact its organisation's."""

    model = Contact
    serializer_class = ContactSerializer
    filterset_fields = ["organization", "role", "trained"]

    def scoped_queryset(self, user):
        return selectors.contact_list(actor=user)
