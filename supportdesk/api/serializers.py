from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty

from supportdesk.models import Role, Tenant, User
from supportdesk.selectors import CASE_WORKER_ROLES


class TenantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = [
            "id",
            "name",
            "slug",
            "country",
            "timezone",
            "language",
            "currency",
            "case_prefix",
        ]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    tenant = TenantSerializer(read_only=True)
    organization = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "role",
            "language",
            "timezone",
            "tenant",
            "organization",
        ]
        read_only_fields = ["id", "email", "role", "tenant", "organization"]

    def get_organization(self, user: User) -> dict | None:
        contact = getattr(user, "contact", None) if user.is_contact else None
        if contact is None:
            return None
        return {
            "id": contact.organization_id,
            "name": contact.organization.name,
            "contact_role": contact.role,
            "trained": contact.trained,
            "trained_on": contact.trained_on,
        }


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    def validate(self, attrs):
        user = authenticate(
            request=self.context.get("request"),
            email=attrs["email"].lower(),
            password=attrs["password"],
        )
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                _("Unable to sign in with these credentials."), code="authorization"
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class DutySerializer(serializers.ModelSerializer):
    """A roster row: who, in which role, on duty or not and since when (UTC)."""

    name = serializers.CharField(source="get_full_name", read_only=True)
    # Only case workers are on the roster; the narrower choice set is also its own enum.
    role = serializers.ChoiceField(
        choices=[(role.value, role.label) for role in Role if role in CASE_WORKER_ROLES],
        read_only=True,
    )

    class Meta:
        model = User
        fields = ["id", "email", "name", "role", "on_duty", "on_duty_changed_at"]
        read_only_fields = fields


class RequiredBooleanField(serializers.BooleanField):
    """A boolean that must be sent: a form-encoded body leaving it out is an error,
    where DRF's BooleanField would read the missing checkbox as false (off duty)."""

    default_empty_html = empty


class DutyUpdateSerializer(serializers.Serializer):
    on_duty = RequiredBooleanField()
