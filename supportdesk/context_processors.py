from django.conf import settings


def desk(request):
    """What every page's frame needs: tenant, role and the language menu."""
    user = getattr(request, "user", None)
    role_label = ""
    if user is not None and user.is_authenticated and user.tenant_id:
        role_label = user.get_role_display()
    return {
        "desk_tenant": getattr(request, "tenant", None),
        "desk_role_label": role_label,
        "desk_languages": settings.LANGUAGES,
    }
