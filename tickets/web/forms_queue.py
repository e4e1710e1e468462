"""Forms of the agent queue and the agent's case page.

Forms only check the shape of the input; the services decide what is allowed
(their ValidationErrors come back onto these forms). Choices are built once per
request from tenant-scoped lists the view hands in, so rendering a form costs
no query of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from plans.models import SeverityLevel
from plans.selectors import organization_list, plan_list, severity_list
from supportdesk.models import User
from supportdesk.selectors import agent_list
from tickets.models import ACTIVE_STATUSES, CaseStatus

ME = "me"
NOBODY = "none"


def assignable_agents(*, actor: User) -> list[User]:
    return list(agent_list(tenant=actor.tenant))


def tenant_severities(*, actor: User) -> list[SeverityLevel]:
    return list(severity_list(tenant=actor.tenant))


@dataclass(frozen=True)
class QueueChoices:
    """Everything the queue's selects offer, read once per request (four queries)."""

    severities: list[SeverityLevel]
    organizations: list
    plans: list
    agents: list[User]

    @classmethod
    def for_actor(cls, actor: User) -> QueueChoices:
        return cls(
            severities=tenant_severities(actor=actor),
            organizations=list(organization_list(actor=actor)),
            plans=list(plan_list(actor=actor).prefetch_related(None).order_by("name")),
            agents=assignable_agents(actor=actor),
        )


def _agent_label(agent: User) -> str:
    return agent.get_full_name() or agent.email


def assignee_choices(agents: list[User], *, with_nobody: bool) -> list[tuple[str, str]]:
    choices = [(ME, _("Me"))]
    if with_nobody:
        choices.append((NOBODY, _("Nobody (unassign)")))
    return choices + [(str(a.pk), _agent_label(a)) for a in agents]


def resolve_assignee(value: str, *, actor: User, agents: list[User]) -> User | None:
    if value == ME:
        return actor
    if value == NOBODY:
        return None
    return next(a for a in agents if str(a.pk) == value)  # the choice field checked it


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: by field where the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            if field == NON_FIELD_ERRORS:
                target = None
            form.add_error(target, ValidationError(errors))
    else:
        form.add_error(None, exc)


class QueueFilterForm(forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    organization = forms.ChoiceField(label=_("Customer"), required=False)
    plan = forms.ChoiceField(label=_("Plan"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    breached = forms.BooleanField(label=_("Breached only"), required=False)

    def __init__(self, *args, choices: QueueChoices, **kwargs):
        super().__init__(*args, **kwargs)
        anything = [("", _("Any"))]
        self.fields["severity"].choices = anything + [
            (s.key, f"{s.key} · {s.name}") for s in choices.severities
        ]
        self.fields["status"].choices = anything + [
            (value, label) for value, label in CaseStatus.choices if value in ACTIVE_STATUSES
        ]
        self.fields["organization"].choices = anything + [
            (str(o.pk), o.name) for o in choices.organizations
        ]
        self.fields["plan"].choices = anything + [(p.key, p.name) for p in choices.plans]
        self.fields["assignee"].choices = (
            anything
            + [(ME, _("Me")), (NOBODY, _("Unassigned"))]
            + [(str(a.pk), _agent_label(a)) for a in choices.agents]
        )

    def filters(self) -> dict:
        """The valid part of the filter as `tickets.selectors.queue` takes it."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {key: value for key, value in data.items() if value}


class CaseIdsField(forms.Field):
    """Several case ids from checkboxes; anything that is not a number is refused."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise ValidationError(_("Pick cases from the list."), code="invalid") from None


class BulkAssignForm(forms.Form):
    cases = CaseIdsField(
        label=_("Cases"), error_messages={"required": _("Tick the cases to assign.")}
    )
    assignee = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args, agents: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = assignee_choices(agents, with_nobody=True)


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assignee"))

    def __init__(self, *args, agents: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = assignee_choices(agents, with_nobody=True)


class ReplyForm(forms.Form):
    PUBLIC = "public"
    INTERNAL = "internal"

    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        strip=False,
        error_messages={"required": _("Write a message.")},
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[(PUBLIC, _("Public reply")), (INTERNAL, _("Internal note"))],
        initial=PUBLIC,
        widget=forms.RadioSelect,
    )

    @property
    def is_public(self) -> bool:
        return self.cleaned_data["visibility"] == self.PUBLIC


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("New status"), choices=CaseStatus.choices)
    reason = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReclassifyForm(forms.Form):
    severity = forms.ChoiceField(label=_("New severity"))
    reason = forms.CharField(
        label=_("Reason (the customer sees it)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the severity changes.")},
    )

    def __init__(self, *args, severities: list[SeverityLevel], **kwargs):
        super().__init__(*args, **kwargs)
        self._severities = {s.key: s for s in severities}
        self.fields["severity"].choices = [(s.key, f"{s.key} · {s.name}") for s in severities]

    def clean_severity(self) -> SeverityLevel:
        return self._severities[self.cleaned_data["severity"]]


class ForwardForm(forms.Form):
    vendor = forms.CharField(
        label=_("Vendor"), max_length=200, error_messages={"required": _("Name the vendor.")}
    )
    reference = forms.CharField(label=_("Vendor's reference"), max_length=200, required=False)
    horizon = forms.CharField(
        label=_("Expected time horizon"),
        max_length=200,
        required=False,
        help_text=_("What the vendor said about when to expect a fix, e.g. “within 3 days”."),
    )


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the case needs escalation.")},
    )


class EscalationReferenceForm(forms.Form):
    """The platform vendor's reference for a vendor escalation (Synerity: monday.com)."""

    escalation = forms.IntegerField(widget=forms.HiddenInput)
    reference = forms.CharField(
        label=_("Vendor's reference"),
        max_length=200,
        widget=forms.TextInput(attrs={"data-testid": "escalation-reference-input"}),
    )


class TaskForceForm(forms.Form):
    """Nothing to fill in: the agent confirms the task force is assembled."""
