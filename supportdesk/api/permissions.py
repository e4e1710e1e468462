from rest_framework.permissions import BasePermission

from supportdesk.models import Role


class IsTenantMember(BasePermission):
    """Signed in and belonging to a tenant (platform operators use the admin)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.tenant_id)


class IsTenantStaff(IsTenantMember):
    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.user.is_desk_staff


class IsTenantAdmin(IsTenantMember):
    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.user.role == Role.TENANT_ADMIN
