"""Core pages: role landing, tenant configuration, language switch, health."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from plans import selectors as plan_selectors
from plans.wording import contract_context
from sla import sweep as sla_sweep
from supportdesk import selectors
from supportdesk.access import tenant_admin_required
from supportdesk.api.permissions import IsTenantAdmin
from supportdesk.models import LANGUAGE_CHOICES


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


def _seconds(age) -> int | None:
    return None if age is None else int(age.total_seconds())


def operations_numbers(status: sla_sweep.OperationsStatus) -> dict:
    """The operations page's numbers as JSON (the API and the page's tests read the same)."""
    health = status.health
    run = health.last_sweep
    return {
        "sweep": {
            "last_finished_at": run.finished_at.isoformat() if run else None,
            "age_seconds": _seconds(health.sweep_age),
            "late": health.sweep_late,
            "warnings_due": run.warnings_due if run else None,
            "breaches_due": run.breaches_due if run else None,
            "batches": run.batches if run else None,
        },
        "heartbeat": {
            "last_seen": health.heartbeat.last_seen.isoformat() if health.heartbeat else None,
            "age_seconds": _seconds(health.heartbeat_age),
            "late": health.heartbeat_late,
        },
        "broker_queues": status.broker_queues,
        "outbox": {
            "pending": status.outbox_pending,
            "oldest": status.outbox_oldest.isoformat() if status.outbox_oldest else None,
            "failed": status.outbox_failed,
        },
        "clocks_due_next_hour": status.due_next_hour,
        "breaches_overdue": status.overdue,
        "failing": [
            {
                "case": clock.case.number,
                "metric": clock.metric,
                "failed_at": clock.fire_failed_at.isoformat(),
                "error": clock.fire_error,
            }
            for clock in status.failing
        ],
        "alerts_last_24h": {"warning": status.warnings_24h, "breach": status.breaches_24h},
    }


@tenant_admin_required
def operations(request):
    """Is the background machinery alive, and is anything of this tenant's waiting?"""
    status = sla_sweep.operations_status(tenant=request.tenant)
    return render(
        request,
        "supportdesk/operations.html",
        {"status": status, "health": status.health, "late_after": sla_sweep.SWEEP_LATE_AFTER},
    )


class OperationsView(APIView):
    """The operations page's numbers (tenant admins): sweep, heartbeat, broker, outbox."""

    permission_classes = [IsTenantAdmin]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        status = sla_sweep.operations_status(tenant=request.user.tenant)
        return Response(operations_numbers(status))


@require_GET
def health_ready(request):
    """Readiness for probes: database reachable and the SLA sweep on time (503 otherwise).
    Process-wide numbers only, no tenant data. Overdue breaches are reported for alerting
    but do not fail readiness: a web process cannot fix a swamped worker."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        health = sla_sweep.health_status()
    except DatabaseError:
        return JsonResponse({"status": "fail", "database": "fail"}, status=503)
    ok = not health.sweep_late
    return JsonResponse(
        {
            "status": "ok" if ok else "fail",
            "database": "ok",
            "sweep_age_seconds": _seconds(health.sweep_age),
            "sweep_late": health.sweep_late,
            "heartbeat_age_seconds": _seconds(health.heartbeat_age),
            "heartbeat_late": health.heartbeat_late,
            "breaches_overdue": health.overdue,
        },
        status=200 if ok else 503,
    )
