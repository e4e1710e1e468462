"""REST endpoints for business calendars (`/api/v1/calendars/`)."""

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from plans.models import CustomerOrganization
from supportdesk.api.mixins import ScopedQuerysetMixin, django_errors_as_api, request_tenant
from supportdesk.api.permissions import IsTenantAdmin, IsTenantStaff

from . import selectors, services
from .models import BusinessCalendar


class CalendarSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessCalendar
        fields = [
            "id",
            "key",
            "name",
            "organization",
            "timezone",
            "weekly_hours",
            "holiday_country",
            "holiday_subdivision",
            "holiday_categories",
            "closed_dates",
            "special_hours",
            "business_day_minutes",
            "is_placeholder",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at", "is_placeholder"]
        validators: list = []  # uniqueness involves the tenant; the service checks it

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = request_tenant(self)
        self.fields["organization"].queryset = CustomerOrganization.objects.for_tenant(tenant)


class CalendarViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    """Business calendars: staff read them; tenant admins create and change them.

    A bad configuration answers 400 naming the field ("weekly_hours": ...).
    """

    model = BusinessCalendar
    serializer_class = CalendarSerializer
    filterset_fields = ["key", "organization"]

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [IsTenantStaff()]
        return [IsTenantAdmin()]

    def scoped_queryset(self, user) -> QuerySet:
        return selectors.calendar_list(tenant=user.tenant)

    def perform_create(self, serializer):
        with django_errors_as_api():
            serializer.instance = services.calendar_save(
                calendar=BusinessCalendar(tenant=self.request.user.tenant),
                values=serializer.validated_data,
            )

    def perform_update(self, serializer):
        with django_errors_as_api():
            serializer.instance = services.calendar_save(
                calendar=serializer.instance, values=serializer.validated_data
            )
