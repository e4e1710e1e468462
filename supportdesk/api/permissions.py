from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from supportdesk.models import Role
from supportdesk.selectors import CASE_WORKER_ROLES


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


class IsCaseWorkerOrReadOnly(IsTenantMember):
    """Any tenant member reads (the queryset decides what); only case workers write.

    Refusing account managers and contacts before the object is looked up gives them
    the same 403 for every id, so the answer says nothing about which ids exist.
    """

    message = _("Only agents and tenant admins can change who is on duty.")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and (
            request.method in SAFE_METHODS or request.user.role in CASE_WORKER_ROLES
        )
