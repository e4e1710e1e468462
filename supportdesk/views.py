"""Core pages: role landing, tenant configuration, language switch, health."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language

from plans import selectors as plan_selectors
from plans.wording import contract_context

from . import selectors
from .access import tenant_admin_required
from .models import LANGUAGE_CHOICES


@login_required
def home(request):
    return redirect(selectors.user_home_url(user=request.user))


@tenant_admin_required
def config_home(request):
    return render(
        request,
        "supportdesk/config_home.html",
        {
            "organizations": plan_selectors.organization_list(actor=request.user),
            "staff": selectors.staff_list(tenant=request.tenant),
            "heartbeats": selectors.heartbeat_list(),
        },
    )


@tenant_admin_required
def organization_detail(request, pk: int):
    organization = get_object_or_404(plan_selectors.organization_list(actor=request.user), pk=pk)
    contacts = plan_selectors.contact_list(actor=request.user).filter(organization=organization)
    return render(
        request,
        "supportdesk/organization_detail.html",
        {
            "organization": organization,
            "contacts": contacts,
            **contract_context(organization, show_sources=True),
        },
    )


@require_POST
def language_switch(request):
    """Django's set_language, plus remembering the choice on the user's profile."""
    response = set_language(request)
    code = request.POST.get("language", "")
    if request.user.is_authenticated and code in dict(LANGUAGE_CHOICES):
        request.user.language = code
        request.user.save(update_fields=["language"])
    if not isinstance(response, HttpResponseRedirect):
        return response
    if not url_has_allowed_host_and_scheme(response.url, allowed_hosts={request.get_host()}):
        return redirect("home")
    return response


@require_GET
def health(request):
    """Liveness for probes: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
