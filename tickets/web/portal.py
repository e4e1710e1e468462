"""Customer portal: the organisation's cases, filing, the public thread and its actions.

Thin views: reads go through the tenant-scoped selectors, writes through
`tickets.services`, whose ValidationErrors land on the forms. A case outside
the contact's organisation (or tenant) answers 404 on every URL.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Max, Q
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from plans import selectors as plan_selectors
from plans.models import ContactRole, TenantPolicy
from plans.wording import contract_context, metric_label
from sla.models import ClockState
from supportdesk.access import contact_required
from tickets.cases import selectors, services
from tickets.models import ACTIVE_STATUSES, Attachment, Case, CaseStatus, Channel, EventKind
from tickets.web.forms_portal import (
    PortalCaseForm,
    PortalEscalateForm,
    PortalReopenForm,
    PortalReplyForm,
    PortalSubmitForm,
)

PAGE_SIZE = 25
CUSTOMER_METRICS = ("response", "solution_started", "resolution")
STATUS_FILTERS = {
    "all": None,
    "open": frozenset(ACTIVE_STATUSES | {CaseStatus.RETURNED}),
    "resolved": frozenset({CaseStatus.RESOLVED}),
    "closed": frozenset({CaseStatus.CLOSED}),
}
INLINE_TYPES = ("image/", "application/pdf")


# --- helpers -----------------------------------------------------------------------------------


def _contact(request):
    contact = plan_selectors.contact_for_user(user=request.user)
    if contact is None:
        raise Http404
    return contact


def _case_or_404(request, number: str) -> Case:
    case = get_object_or_404(selectors.case_list(actor=request.user), number=number)
    case.tenant = request.tenant  # the selector scoped it to this tenant; saves a query
    return case


def _filing_notice(policy: TenantPolicy | None, contact, vendor: str) -> str:
    """What happens to the cases this contact files, when not the plain queue."""
    if contact is None:
        return ""
    rule = policy.allowed_filers if policy else TenantPolicy.AllowedFilers.ANY_CONTACT
    untrained_admin = contact.role == ContactRole.ADMINISTRATOR and not contact.trained
    if services.contact_may_file(policy=policy, contact=contact):
        if untrained_admin:
            return _(
                "You have not taken the administrator training yet; please complete the "
                "administrator training when you can."
            )
        return ""
    if policy is not None and policy.on_other_filer == "reject":
        return _("Only your organisation's administrators may file cases under this contract.")
    if untrained_admin:
        return _(
            "Your organisation's contract asks administrators to complete the administrator "
            "training before filing cases. Until you have, a case you file goes to your "
            "organisation's trained administrators, who submit it to %(vendor)s."
        ) % {"vendor": vendor}
    if rule == TenantPolicy.AllowedFilers.TRAINED_ADMINISTRATORS:
        return _(
            "Under your organisation's contract, cases are filed by trained administrators. A "
            "case you file here goes to your administrator first and reaches %(vendor)s when "
            "they submit it."
        ) % {"vendor": vendor}
    return _(
        "Under your organisation's contract, cases are filed by administrators. A case you file "
        "here goes to your administrator first and reaches %(vendor)s when they submit it."
    ) % {"vendor": vendor}


def _add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's errors on the form's fields; anything else on the form itself."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _duration_words(value: timedelta) -> str:
    minutes = int(abs(value.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    if hours:
        return _("%(h)s h") % {"h": hours}
    return ngettext("%(m)s minute", "%(m)s minutes", minutes) % {"m": minutes}


CLOCK_STATE_LABELS = {
    ClockState.RUNNING: gettext_lazy("On track"),
    "warning": gettext_lazy("Due soon"),
    "overdue": gettext_lazy("Overdue"),
    ClockState.PAUSED: gettext_lazy("Paused while we wait for you"),
    ClockState.MET: gettext_lazy("Met"),
    ClockState.BREACHED: gettext_lazy("Missed"),
    ClockState.CANCELLED: gettext_lazy("No longer targeted"),
}


def _clock_rows(case: Case) -> list[dict]:
    rows = []
    for view in selectors.clock_views(case=case):
        if view.clock.metric not in CUSTOMER_METRICS:
            continue
        remaining = ""
        if view.remaining is not None and view.state != ClockState.PAUSED:
            if view.remaining >= timedelta(0):
                remaining = _("%(time)s of business time left") % {
                    "time": _duration_words(view.remaining)
                }
            else:
                remaining = _("%(time)s past due") % {"time": _duration_words(view.remaining)}
        rows.append(
            {
                "metric": metric_label(view.clock.metric),
                "state": view.state,
                "state_label": str(CLOCK_STATE_LABELS.get(view.state, view.state)),
                "due_at": view.clock.due_at,
                "stopped_at": view.clock.stopped_at,
                "remaining": remaining,
                "explanation": view.explanation,
            }
        )
    return rows


def _status_label(value: str) -> str:
    try:
        return str(CaseStatus(value).label)
    except ValueError:
        return value


def _event_rows(case: Case, actor, vendor: str) -> list[dict]:
    rows = []
    for event in selectors.timeline(case=case, actor=actor):
        title = event.get_kind_display()
        detail = ""
        if event.kind == EventKind.STATUS:
            title = _("Status: %(old)s → %(new)s") % {
                "old": _status_label(event.data.get("from", "")),
                "new": _status_label(event.data.get("to", "")),
            }
        elif event.kind == EventKind.RECLASSIFIED:
            title = _("Severity changed: %(old)s → %(new)s") % {
                "old": event.data.get("from", ""),
                "new": event.data.get("to", ""),
            }
        elif event.kind == EventKind.FORWARDED:
            detail = _("Forwarded to %(vendor)s") % {"vendor": event.data.get("vendor", "")}
            if event.data.get("reference"):
                detail += " · " + _("their reference %(ref)s") % {"ref": event.data["reference"]}
        if event.actor is None:
            who = vendor
        elif event.actor.is_desk_staff:
            who = f"{event.actor.get_full_name() or _('Support')} ({vendor})"
        else:
            who = event.actor.get_full_name() or event.actor.email
        rows.append(
            {
                "event": event,
                "title": title,
                "detail": detail,
                "who": who,
                "from_customer": event.actor is not None and event.actor.is_contact,
                "attachments": list(event.attachments.all()),
            }
        )
    return rows


def _case_page(request, case: Case, *, status: int = 200, **forms):
    contact = plan_selectors.contact_for_user(user=request.user)
    policy = plan_selectors.policy_for(tenant=request.tenant)
    vendor = request.tenant.name
    rights = plan_selectors.entitlements_for(customer=case.organization, at=timezone.now())
    may_escalate = rights.has("escalation_right") or rights.has("platform_vendor_escalation")
    context = {
        "case": case,
        "contact": contact,
        "clocks": _clock_rows(case),
        "events": _event_rows(case, request.user, vendor),
        "vendor": vendor,
        "can_reply": case.status
        not in (CaseStatus.CLOSED, CaseStatus.RESOLVED, CaseStatus.RETURNED),
        "can_reopen": case.status == CaseStatus.RESOLVED,
        "can_escalate": may_escalate and case.is_active and case.escalated_at is None,
        "can_submit": case.status == CaseStatus.RETURNED
        and contact is not None
        and services.contact_may_file(policy=policy, contact=contact),
        "hidden_errors": [],
        "reply_form": forms.get("reply_form") or PortalReplyForm(),
        "reopen_form": forms.get("reopen_form") or PortalReopenForm(),
        "escalate_form": forms.get("escalate_form") or PortalEscalateForm(),
        "submit_form": forms.get("submit_form") or PortalSubmitForm(),
    }
    shown = {
        "reply_form": context["can_reply"],
        "reopen_form": context["can_reopen"],
        "escalate_form": context["can_escalate"],
        "submit_form": context["can_submit"],
    }
    for name, form in forms.items():
        if form is not None and not shown.get(name, False):
            # The action is no longer offered (the case moved on): say why it failed anyway.
            context["hidden_errors"].extend(
                str(message) for errors in form.errors.values() for message in errors
            )
    return render(request, "tickets/portal_case.html", context, status=status)


# --- pages -------------------------------------------------------------------------------------


@contact_required
def portal_home(request):
    """The contract card, the organisation's cases (search, status filter) and filing."""
    contact = plan_selectors.contact_for_user(user=request.user)
    query = request.GET.get("q", "").strip()
    status_filter = request.GET.get("status", "all")
    if status_filter not in STATUS_FILTERS:
        status_filter = "all"
    cases = selectors.case_search(selectors.case_list(actor=request.user), query)
    if STATUS_FILTERS[status_filter] is not None:
        cases = cases.filter(status__in=STATUS_FILTERS[status_filter])
    cases = cases.annotate(
        last_update=Coalesce(Max("events__created_at", filter=Q(events__public=True)), "filed_at")
    ).order_by("-last_update", "-pk")
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "contact": contact,
        "page": page,
        "query": query,
        "status_filter": status_filter,
        "status_filters": [
            ("all", _("All")),
            ("open", _("Open")),
            ("resolved", _("Resolved")),
            ("closed", _("Closed")),
        ],
    }
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        response = render(request, "tickets/_portal_case_table.html", context)
    else:
        policy = plan_selectors.policy_for(tenant=request.tenant)
        context["filing_notice"] = _filing_notice(policy, contact, request.tenant.name)
        if contact is not None:
            context.update(contract_context(contact.organization))
        response = render(request, "tickets/portal_home.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@contact_required
def case_new(request):
    """File a case; the tenant's filing rules decide which fields are required."""
    contact = _contact(request)
    policy = plan_selectors.policy_for(tenant=request.tenant)
    form = PortalCaseForm(
        request.POST or None, request.FILES or None, tenant=request.tenant, policy=policy
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                case = services.case_file(
                    actor=request.user,
                    organization=contact.organization,
                    requester=request.user,
                    channel=Channel.PORTAL,
                    **form.case_values(),
                )
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                if case.status == CaseStatus.RETURNED:
                    messages.success(
                        request,
                        _(
                            "Case %(number)s was passed to your organisation's administrator; "
                            "it reaches %(vendor)s when they submit it."
                        )
                        % {"number": case.number, "vendor": request.tenant.name},
                    )
                else:
                    messages.success(
                        request,
                        _("Case %(number)s was filed.") % {"number": case.number},
                    )
                return redirect("portal:case", number=case.number)
        status = 400
    else:
        status = 200
    files_to_choose_again = [f.name for f in request.FILES.getlist("attachments")]
    context = {
        "form": form,
        "contact": contact,
        "filing_notice": _filing_notice(policy, contact, request.tenant.name),
        "files_to_choose_again": files_to_choose_again,
        "severities": form.fields["severity"].queryset,
    }
    return render(request, "tickets/portal_file.html", context, status=status)


@contact_required
def case_detail(request, number: str):
    return _case_page(request, _case_or_404(request, number))


def _case_action(request, case, form, *, form_key: str, success: str, perform):
    """Run one portal action: the service decides; its errors land on the form, typed text kept."""
    if form.is_valid():
        try:
            perform(form.cleaned_data)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("portal:case", number=case.number)
    return _case_page(request, case, status=400, **{form_key: form})


@contact_required
@require_POST
def case_reply(request, number: str):
    case = _case_or_404(request, number)
    return _case_action(
        request,
        case,
        PortalReplyForm(request.POST, request.FILES),
        form_key="reply_form",
        success=_("Your reply was added."),
        perform=lambda data: services.case_reply(
            case=case, actor=request.user, body=data["body"], attachments=data["attachments"]
        ),
    )


@contact_required
@require_POST
def case_reopen(request, number: str):
    case = _case_or_404(request, number)
    return _case_action(
        request,
        case,
        PortalReopenForm(request.POST, request.FILES),
        form_key="reopen_form",
        success=_("The case is reopened."),
        perform=lambda data: services.case_reopen(
            case=case, actor=request.user, body=data["body"], attachments=data["attachments"]
        ),
    )


@contact_required
@require_POST
def case_escalate(request, number: str):
    case = _case_or_404(request, number)
    return _case_action(
        request,
        case,
        PortalEscalateForm(request.POST),
        form_key="escalate_form",
        success=_("The case is escalated."),
        perform=lambda data: services.case_escalate(
            case=case, actor=request.user, reason=data["reason"]
        ),
    )


@contact_required
@require_POST
def case_submit(request, number: str):
    case = _case_or_404(request, number)
    form = PortalSubmitForm(request.POST)
    form.is_valid()
    try:
        services.case_submit_returned(case=case, actor=request.user)
    except ValidationError as exc:
        _add_service_errors(form, exc)
        return _case_page(request, case, status=400, submit_form=form)
    messages.success(
        request,
        _("Case %(number)s was submitted to %(vendor)s.")
        % {"number": case.number, "vendor": case.tenant.name},
    )
    return redirect("portal:case", number=case.number)


@contact_required
def attachment_download(request, number: str, attachment_id: int):
    """A file from the public thread of a case the contact may see; anything else is 404."""
    case = _case_or_404(request, number)
    attachment = get_object_or_404(
        Attachment.objects.for_tenant(case.tenant).filter(
            case=case, event__in=selectors.timeline(case=case, actor=request.user)
        ),
        pk=attachment_id,
    )
    inline = attachment.content_type.startswith(INLINE_TYPES)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    if attachment.is_image:
        # Only magic-checked types are shown inline; an image page needs nothing else.
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
