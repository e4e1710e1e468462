"""Who may open which page. A refusal looks exactly like a missing page (404)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from supportdesk.models import Role


def roles_required(*roles: Iterable[str]) -> Callable:
    """Signed in, in a tenant, in one of `roles`; anything else is 404, not 403."""
    allowed = frozenset(roles)

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if request.tenant is None or user.role not in allowed:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


contact_required = roles_required(Role.CONTACT)
agent_required = roles_required(Role.AGENT, Role.TENANT_ADMIN)
reports_required = roles_required(Role.ACCOUNT_MANAGER, Role.TENANT_ADMIN)
tenant_admin_required = roles_required(Role.TENANT_ADMIN)
