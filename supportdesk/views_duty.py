"""Who is on duty: the roster page and the on/off duty switch, under `/queue/duty/`.

Thin views over `selectors.duty_roster` and `services.user_duty_set`. Every staff
member reads the roster (account managers too: breach alerts reach them when nobody
is on duty); case workers switch their own duty, tenant admins anyone's, and a
refused change is 403 like the API's. Another tenant's user, or a staff member who
works no cases, answers 404 like a missing page; contacts get 404 for every URL here.

The switch is a plain POST form that htmx enhances. Plain requests are redirected
back with a message. htmx requests get back the fragment they target (`HX-Target`):
the queue page's duty panel or the roster. htmx swaps only 2xx answers, so a refused
htmx change comes back as its fragment carrying the error; a plain one re-renders the
roster with the error and status 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from supportdesk.access import roles_required
from supportdesk.models import STAFF_ROLES, User
from supportdesk.selectors import case_worker_list, duty_may_set, duty_roster, duty_summary
from supportdesk.services import user_duty_set

staff_required = roles_required(*STAFF_ROLES)

PANEL_TARGET = "duty-panel"  # the queue page's panel (templates/supportdesk/_duty_panel.html)
ROSTER_TARGET = "duty-roster"  # the roster section (templates/supportdesk/_duty_roster.html)


def _is_true(value: str) -> bool:
    return value == "true"


class DutyForm(forms.Form):
    """The state asked for, not a flip: a double submit or a stale page cannot undo it."""

    on_duty = forms.TypedChoiceField(
        choices=[("true", gettext_lazy("On duty")), ("false", gettext_lazy("Off duty"))],
        coerce=_is_true,
    )


@dataclass(frozen=True)
class DutyRow:
    user: User
    may_set: bool


def _roster_context(actor: User, *, form: DutyForm | None = None) -> dict:
    """One query: the roster rows; the count and the permissions are read off them."""
    rows = [
        DutyRow(user=worker, may_set=duty_may_set(actor=actor, user=worker))
        for worker in duty_roster(actor=actor)
    ]
    return {
        "rows": rows,
        "on_duty_count": sum(1 for row in rows if row.user.on_duty),
        "form": form,
    }


def _back(request) -> str:
    """Where the form came from: the queue or the roster (same site only), else the roster."""
    target = request.POST.get("next") or ""
    allowed = {reverse("queue:home"), reverse("duty:roster")}
    if (
        url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and urlsplit(target).path in allowed
    ):
        return target
    return reverse("duty:roster")


def _fragment(request, *, form: DutyForm | None = None):
    actor = request.user
    if request.htmx.target == PANEL_TARGET:
        context = {"duty": duty_summary(actor=actor), "form": form}
        return render(request, "supportdesk/_duty_panel.html", context)
    return render(request, "supportdesk/_duty_roster.html", _roster_context(actor, form=form))


def _done_message(user: User, actor: User) -> str:
    if user.pk == actor.pk:
        return _("You are on duty.") if user.on_duty else _("You are off duty.")
    message = _("%(name)s is on duty.") if user.on_duty else _("%(name)s is off duty.")
    return message % {"name": user}


@staff_required
@require_GET
def duty_roster_page(request):
    return render(request, "supportdesk/duty_roster.html", _roster_context(request.user))


@staff_required
@require_POST
def duty_set(request, user_id: int):
    actor = request.user
    user = get_object_or_404(case_worker_list(actor=actor), pk=user_id)
    if user.pk == actor.pk:
        user = actor  # one row in memory: what is drawn next reads the new state
    form = DutyForm(request.POST)
    if form.is_valid():
        try:
            user_duty_set(user=user, actor=actor, on_duty=form.cleaned_data["on_duty"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            if request.htmx:
                return _fragment(request)
            messages.success(request, _done_message(user, actor))
            return redirect(_back(request))
    if request.htmx:
        return _fragment(request, form=form)
    context = _roster_context(actor, form=form)
    return render(request, "supportdesk/duty_roster.html", context, status=400)
