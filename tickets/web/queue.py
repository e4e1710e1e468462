"""The agent queue and the agent's case page.

Thin views: reads through `tickets.selectors`, writes through `tickets.services`.
A case outside the agent's tenant answers 404 like a missing one. A refused
action re-renders the page with the errors and the typed text (400).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from plans.wording import metric_label, target_in_words
from sla.models import ClockState
from sla.services import clock_remaining
from supportdesk.access import agent_required
from supportdesk.selectors import duty_summary
from tickets.cases import services
from tickets.cases.selectors import (
    case_list,
    case_state,
    clock_views,
    queue,
    queue_counters,
    timeline,
)
from tickets.escalations.services import escalation_set_reference, task_force_assembled
from tickets.models import ACTIVE_STATUSES, Case, CaseStatus, EventKind
from tickets.notifications.selectors import case_notifications
from tickets.web.forms_queue import (
    AssignForm,
    BulkAssignForm,
    EscalateForm,
    EscalationReferenceForm,
    ForwardForm,
    QueueChoices,
    QueueFilterForm,
    ReclassifyForm,
    ReplyForm,
    TaskForceForm,
    TransitionForm,
    apply_service_errors,
    assignable_agents,
    resolve_assignee,
    tenant_severities,
)

PAGE_SIZE = 50
SOON = timedelta(days=6)  # due within a week: the weekday alone is unambiguous


# --- wording ----------------------------------------------------------------------------------


def duration_words(value: timedelta) -> str:
    """ "2 h 15 min", "40 min", "8 h": business time as people read it."""
    minutes = int(abs(value).total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    if hours >= 24 or (hours and not minutes):
        return _("%(hours)d h") % {"hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def remaining_words(remaining: timedelta | None, state: str) -> str:
    if state == ClockState.PAUSED:
        return _("paused")
    if remaining is None:
        return ""
    if remaining < timedelta(0) or state in ("overdue", ClockState.BREACHED):
        return _("overdue by %(duration)s") % {"duration": duration_words(remaining)}
    return _("%(duration)s left") % {"duration": duration_words(remaining)}


def _when(value: datetime, now: datetime) -> str:
    """A due time in the viewer's zone: "Tue 09:40" this week, "Tue 7 Apr 09:40" beyond."""
    fmt = "D H:i" if abs(value - now) < SOON else "D j M H:i"
    return formats.date_format(timezone.localtime(value), fmt)


CLOCK_STATE_CLASS = {
    ClockState.RUNNING: "on_track",
    "warning": "warning",
    "overdue": "breached",
    ClockState.BREACHED: "breached",
    ClockState.PAUSED: "paused",
    ClockState.MET: "done",
    ClockState.CANCELLED: "done",
}


def clock_state_label(state: str) -> str:
    labels = {
        ClockState.RUNNING: _("On track"),
        "warning": _("Warning"),
        "overdue": _("Overdue"),
        ClockState.BREACHED: _("Breached"),
        ClockState.PAUSED: _("Paused"),
        ClockState.MET: _("Met"),
        ClockState.CANCELLED: _("No longer targeted"),
    }
    return str(labels.get(state, state))


CASE_STATE_LABELS = {
    "on_track": _("On track"),
    "warning": _("Warning"),
    "breached": _("Breached"),
    "paused": _("Paused"),
    "done": _("No running clock"),
}


# --- the queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    case: Case
    state: str
    state_label: str
    due_label: str
    remaining_label: str
    selected: bool


def _queue_row(case: Case, *, now: datetime, tenant, selected: set[int]) -> QueueRow:
    # The clocks, their calendars and the case's pauses are prefetched: no query per row.
    case.tenant = tenant
    clocks = list(case.clocks.all())
    running = sorted(
        (c for c in clocks if c.state == ClockState.RUNNING and c.breach_at),
        key=lambda c: c.breach_at,
    )
    due_label = remaining_label = ""
    if running:
        nearest = running[0]
        due_label = _("due %(when)s") % {"when": _when(nearest.due_at, now)}
        state = "overdue" if nearest.breach_at < now else ClockState.RUNNING
        remaining_label = remaining_words(clock_remaining(nearest, at=now), state)
    elif any(c.state == ClockState.PAUSED for c in clocks):
        remaining_label = _("paused")
    state = case_state(case, now=now)
    return QueueRow(
        case=case,
        state=state,
        state_label=str(CASE_STATE_LABELS.get(state, state)),
        due_label=due_label,
        remaining_label=remaining_label,
        selected=case.pk in selected,
    )


def _render_queue(request, params: QueryDict, *, bulk_form=None, status=200):
    actor = request.user
    choices = QueueChoices.for_actor(actor)
    filtering = any(name in params for name in QueueFilterForm.base_fields)
    filter_form = QueueFilterForm(params if filtering else None, choices=choices)
    cases = queue(actor=actor, filters=filter_form.filters())
    page = Paginator(cases, PAGE_SIZE).get_page(params.get("page"))
    now = timezone.now()
    selected = set()
    if bulk_form is not None and bulk_form.is_bound:
        selected = {int(v) for v in bulk_form.data.getlist("cases") if v.isdigit()}
    rows = [_queue_row(case, now=now, tenant=request.tenant, selected=selected) for case in page]
    keep = params.copy()
    keep.pop("page", None)
    return render(
        request,
        "tickets/queue_home.html",
        {
            "filter_form": filter_form,
            "bulk_form": bulk_form or BulkAssignForm(agents=choices.agents),
            "agents": choices.agents,
            "counters": queue_counters(actor=actor),
            "duty": duty_summary(actor=actor),
            "page": page,
            "rows": rows,
            "filter_query": keep.urlencode(),
            "here": request.get_full_path() if request.method == "GET" else _back(request),
        },
        status=status,
    )


@agent_required
@require_GET
def queue_home(request):
    return _render_queue(request, request.GET)


@agent_required
@require_GET
def queue_counters_fragment(request):
    return render(
        request, "tickets/_queue_counters.html", {"counters": queue_counters(actor=request.user)}
    )


def _back(request) -> str:
    """The queue page the form came from (same site only), else the queue."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and urlsplit(target).path == reverse("queue:home"):
        return target
    return reverse("queue:home")


@agent_required
@require_POST
def bulk_assign(request):
    actor = request.user
    agents = assignable_agents(actor=actor)
    form = BulkAssignForm(request.POST, agents=agents)
    back = _back(request)
    if form.is_valid():
        # Ids of other tenants' (or closed) cases simply do not match.
        cases = list(
            case_list(actor=actor).filter(
                pk__in=form.cleaned_data["cases"], status__in=ACTIVE_STATUSES
            )
        )
        assignee = resolve_assignee(form.cleaned_data["assignee"], actor=actor, agents=agents)
        if not cases:
            form.add_error("cases", _("None of the ticked cases is an open case of your desk."))
        else:
            try:
                with transaction.atomic():  # all or none
                    for case in cases:
                        services.case_assign(case=case, assignee=assignee, actor=actor)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                name = str(assignee) if assignee else _("nobody")
                messages.success(
                    request,
                    ngettext(
                        "%(count)d case assigned to %(name)s.",
                        "%(count)d cases assigned to %(name)s.",
                        len(cases),
                    )
                    % {"count": len(cases), "name": name},
                )
                return redirect(back)
    query = QueryDict(urlsplit(back).query)
    return _render_queue(request, query, bulk_form=form, status=400)


# --- the case page ----------------------------------------------------------------------------


def _case_or_404(request, number: str) -> Case:
    case = get_object_or_404(case_list(actor=request.user), number=number)
    case.tenant = request.tenant  # the same row, already read by the middleware
    return case


@dataclass(frozen=True)
class ClockPanel:
    metric: str
    label: str
    target: str
    state: str
    state_class: str
    state_label: str
    remaining: str
    due_at: datetime | None
    stopped_at: datetime | None
    explanation: str


def _clock_panels(case: Case) -> list[ClockPanel]:
    panels = []
    for view in clock_views(case=case):
        clock = view.clock
        panels.append(
            ClockPanel(
                metric=clock.metric,
                label=metric_label(clock.metric),
                target=target_in_words(
                    commitment="target", value=clock.target_value, unit=clock.target_unit
                ),
                state=view.state,
                state_class=CLOCK_STATE_CLASS.get(view.state, "done"),
                state_label=clock_state_label(view.state),
                remaining=remaining_words(view.remaining, view.state),
                due_at=clock.due_at,
                stopped_at=clock.stopped_at,
                explanation=view.explanation,
            )
        )
    return panels


def _status_label(value: str) -> str:
    try:
        return str(CaseStatus(value).label)
    except ValueError:
        return value


def _event_detail(event) -> str:
    data = event.data or {}
    if event.kind == EventKind.STATUS:
        return f"{_status_label(data.get('from', ''))} → {_status_label(data.get('to', ''))}"
    if event.kind == EventKind.RECLASSIFIED:
        return _("severity %(old)s → %(new)s") % {"old": data.get("from"), "new": data.get("to")}
    if event.kind == EventKind.FORWARDED:
        detail = data.get("vendor", "")
        if data.get("reference"):
            detail += " · " + _("reference %(ref)s") % {"ref": data["reference"]}
        return detail
    if event.kind == EventKind.ASSIGNED:
        return event.body or _("unassigned")
    return ""


def _transitions(case: Case) -> list[tuple[str, str]]:
    allowed = services.TRANSITIONS.get(case.status, frozenset())
    return [(value, label) for value, label in CaseStatus.choices if value in allowed]


CASE_FORMS = ("reply", "transition", "assign", "reclassify", "forward", "escalate")


def _case_forms(request, case: Case, bound: dict) -> dict:
    agents = assignable_agents(actor=request.user)
    severities = tenant_severities(actor=request.user)
    initial_assignee = str(case.assignee_id) if case.assignee_id else "none"
    forms = {
        "reply": ReplyForm(),
        "transition": TransitionForm(),
        "assign": AssignForm(agents=agents, initial={"assignee": initial_assignee}),
        "reclassify": ReclassifyForm(
            severities=severities, initial={"severity": case.severity.key}
        ),
        "forward": ForwardForm(
            initial={
                "vendor": case.external_vendor,
                "reference": case.external_reference,
                "horizon": case.external_horizon,
            }
        ),
        "escalate": EscalateForm(),
        "escalation_reference": EscalationReferenceForm(),
        "task_force": TaskForceForm(),
    }
    forms.update(bound)
    return forms


def _render_case(request, case: Case, *, bound: dict | None = None, status=200):
    events = list(timeline(case=case, actor=request.user))
    for event in events:
        event.detail = _event_detail(event)
    context = {
        "case": case,
        "case_state": case_state(case),
        "clocks": _clock_panels(case),
        "events": events,
        "attachments": case.attachments.select_related("uploaded_by", "event").order_by(
            "created_at"
        ),
        "transitions": _transitions(case),
        "sent": case_notifications(case=case, actor=request.user),
        "forms": _case_forms(request, case, bound or {}),
        "failed": next(iter(bound), "") if bound else "",
    }
    return render(request, "tickets/agent_case.html", context, status=status)


@agent_required
@require_GET
def case_detail(request, number: str):
    return _render_case(request, _case_or_404(request, number))


def _act(request, number: str, name: str, form, perform):
    """Validate `form`, run `perform(case, cleaned_data)`; success redirects with a message,
    a refusal re-renders the case page with the errors and what was typed."""
    case = _case_or_404(request, number)
    if form.is_valid():
        try:
            message = perform(case, form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("queue:case", number=case.number)
    case = _case_or_404(request, number)  # fresh: the failed write changed nothing
    return _render_case(request, case, bound={name: form}, status=400)


@agent_required
@require_POST
def case_reply(request, number: str):
    form = ReplyForm(request.POST)

    def perform(case, data):
        services.case_reply(
            case=case,
            actor=request.user,
            body=data["body"],
            public=form.is_public,
            attachments=request.FILES.getlist("attachments"),
        )
        return _("Reply sent to the customer.") if form.is_public else _("Internal note added.")

    return _act(request, number, "reply", form, perform)


@agent_required
@require_POST
def case_transition(request, number: str):
    form = TransitionForm(request.POST)

    def perform(case, data):
        case = services.case_transition(
            case=case, to=data["to"], actor=request.user, reason=data["reason"]
        )
        return _("Status changed to “%(status)s”.") % {"status": case.get_status_display()}

    return _act(request, number, "transition", form, perform)


@agent_required
@require_POST
def case_assign(request, number: str):
    agents = assignable_agents(actor=request.user)
    form = AssignForm(request.POST, agents=agents)

    def perform(case, data):
        assignee = resolve_assignee(data["assignee"], actor=request.user, agents=agents)
        services.case_assign(case=case, assignee=assignee, actor=request.user)
        if assignee is None:
            return _("The case is unassigned.")
        return _("Case assigned to %(name)s.") % {"name": assignee}

    return _act(request, number, "assign", form, perform)


@agent_required
@require_POST
def case_reclassify(request, number: str):
    form = ReclassifyForm(request.POST, severities=tenant_severities(actor=request.user))

    def perform(case, data):
        services.case_reclassify(
            case=case, severity=data["severity"], reason=data["reason"], actor=request.user
        )
        return _("Severity changed to %(severity)s; the SLA clocks follow.") % {
            "severity": data["severity"]
        }

    return _act(request, number, "reclassify", form, perform)


@agent_required
@require_POST
def case_forward(request, number: str):
    form = ForwardForm(request.POST)

    def perform(case, data):
        services.case_forward(
            case=case,
            actor=request.user,
            vendor=data["vendor"],
            reference=data["reference"],
            horizon=data["horizon"],
        )
        return _("Forwarded to %(vendor)s.") % {"vendor": data["vendor"].strip()}

    return _act(request, number, "forward", form, perform)


@agent_required
@require_POST
def case_escalate(request, number: str):
    form = EscalateForm(request.POST)

    def perform(case, data):
        services.case_escalate(case=case, actor=request.user, reason=data["reason"])
        return _("Case escalated.")

    return _act(request, number, "escalate", form, perform)


@agent_required
@require_GET
def case_attachment(request, number: str, pk: int):
    case = _case_or_404(request, number)
    attachment = case.attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not attachment.is_image,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@agent_required
@require_POST
def case_escalation_reference(request, number: str):
    form = EscalationReferenceForm(request.POST)

    def perform(case, data):
        escalation = case.escalations.filter(pk=data["escalation"]).first()
        if escalation is None:
            raise ValidationError({"escalation": _("No such escalation on this case.")})
        escalation_set_reference(
            escalation=escalation, actor=request.user, reference=data["reference"]
        )
        return _("The vendor's reference is recorded.")

    return _act(request, number, "escalation_reference", form, perform)


@agent_required
@require_POST
def case_task_force(request, number: str):
    def perform(case, data):
        task_force_assembled(case=case, actor=request.user)
        return _("The task force is recorded as assembled.")

    return _act(request, number, "task_force", TaskForceForm(request.POST), perform)
