"""REST endpoints for customer organisations and contacts (`/api/v1/`)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError

from supportdesk.api.mixins import ScopedQuerysetMixin
from supportdesk.api.permissions import IsTenantAdmin, IsTenantMember
from supportdesk.models import User

from . import selectors, services
from .models import Contact, CustomerOrganization


class OrganizationSerializer(serializers.ModelSerializer):
    contact_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = CustomerOrganization
        fields = ["id", "name", "is_license_customer", "account_manager", "contact_count"]
        read_only_fields = ["id", "contact_count"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        tenant = request.user.tenant if request and request.user.is_authenticated else None
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


def _as_api_error(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


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
        try:
            serializer.instance = services.organization_create(
                tenant=self.request.user.tenant, **serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise _as_api_error(exc) from exc


class ContactViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Contacts: staff see their tenant's, a contact its organisation's."""

    model = Contact
    serializer_class = ContactSerializer
    filterset_fields = ["organization", "role", "trained"]

    def scoped_queryset(self, user):
        return selectors.contact_list(actor=user)
