"""Phone cases: an agent logs a call on behalf of a customer's contact (`/queue/phone/new/`).

The agent picks the customer, the contact who called, severity, case type, subject and
description, and the call time (in the agent's time zone, default now): the SLA starts
then. `tickets.services.case_file` is the judge (not in the future, not before the contact
existed, the contract's filing rules); its errors land on the form's fields (400).
Agents and tenant admins only; anyone else gets 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.models import CaseType, Contact, CustomerOrganization, SeverityLevel
from plans.selectors import contact_list, organization_list, policy_for, severity_list
from supportdesk.access import agent_required
from supportdesk.models import User
from tickets.cases import services
from tickets.models import CaseStatus, Channel

CALL_TIME_FORMAT = "%Y-%m-%dT%H:%M"
# The service's field names, as this form names them.
SERVICE_FIELDS = {"filed_at": "called_at", "requester": "contact"}


@dataclass(frozen=True)
class PhoneChoices:
    """The tenant's lists the form offers, read once per request."""

    organizations: list[CustomerOrganization]
    contacts: list[Contact]
    severities: list[SeverityLevel]
    case_types: list[CaseType]
    may_file: frozenset[int]

    @classmethod
    def for_actor(cls, actor: User) -> PhoneChoices:
        policy = policy_for(tenant=actor.tenant)
        contacts = list(
            contact_list(actor=actor)
            .filter(user__is_active=True)
            .order_by("organization__name", "user__first_name", "user__last_name", "user__email")
        )
        return cls(
            organizations=list(organization_list(actor=actor)),
            contacts=contacts,
            severities=list(severity_list(tenant=actor.tenant)),
            case_types=list(CaseType.objects.for_tenant(actor.tenant).order_by("position", "key")),
            may_file=frozenset(
                c.pk for c in contacts if services.contact_may_file(policy=policy, contact=c)
            ),
        )


class _KnownChoiceField(forms.ChoiceField):
    """A choice among `known` values, whatever subset the page shows."""

    known: frozenset[str] = frozenset()

    def valid_value(self, value) -> bool:
        return str(value) in self.known


def _contact_label(contact: Contact, may_file: bool) -> str:
    user = contact.user
    label = f"{user.get_full_name() or user.email} <{user.email}> · {contact.get_role_display()}"
    if not may_file:
        label += " · " + _("cases go to the administrators first")
    return label


class PhoneCaseForm(forms.Form):
    organization = _KnownChoiceField(label=gettext_lazy("Customer"))
    contact = _KnownChoiceField(
        label=gettext_lazy("Contact who called"),
        error_messages={"required": gettext_lazy("Pick the contact who called.")},
    )
    called_at = forms.DateTimeField(
        label=gettext_lazy("Call time"),
        input_formats=[CALL_TIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=CALL_TIME_FORMAT),
        help_text=gettext_lazy("In your time zone; the SLA starts then. Not in the future."),
    )
    severity = _KnownChoiceField(label=gettext_lazy("Severity"))
    case_type = _KnownChoiceField(label=gettext_lazy("Case type"), required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("What the caller said"), widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, choices: PhoneChoices, organization_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._organizations = {str(o.pk): o for o in choices.organizations}
        self._contacts = {str(c.pk): c for c in choices.contacts}
        self._severities = {s.key: s for s in choices.severities}
        self._case_types = {t.key: t for t in choices.case_types}
        fields = self.fields
        fields["organization"].known = frozenset(self._organizations)
        fields["organization"].choices = [("", "—")] + [
            (str(o.pk), o.name) for o in choices.organizations
        ]
        fields["contact"].known = frozenset(self._contacts)
        shown = [
            c
            for c in choices.contacts
            if not organization_id or str(c.organization_id) == organization_id
        ]
        groups: dict[str, list] = {}
        for contact in shown:
            groups.setdefault(contact.organization.name, []).append(
                (str(contact.pk), _contact_label(contact, contact.pk in choices.may_file))
            )
        fields["contact"].choices = [("", "—"), *groups.items()]
        fields["severity"].known = frozenset(self._severities)
        fields["severity"].choices = [
            (s.key, f"{s.key} · {s.name}" if s.key != s.name else s.name)
            for s in choices.severities
        ]
        fields["case_type"].known = frozenset(self._case_types) | {""}
        fields["case_type"].choices = [("", "—")] + [(t.key, t.name) for t in choices.case_types]

    def clean_organization(self) -> CustomerOrganization:
        return self._organizations[self.cleaned_data["organization"]]

    def clean_contact(self) -> Contact:
        return self._contacts[self.cleaned_data["contact"]]

    def clean_severity(self) -> SeverityLevel:
        return self._severities[self.cleaned_data["severity"]]

    def clean_case_type(self) -> CaseType | None:
        return self._case_types.get(self.cleaned_data["case_type"])

    def clean(self) -> dict:
        data = super().clean()
        organization, contact = data.get("organization"), data.get("contact")
        if organization and contact and contact.organization_id != organization.pk:
            self.add_error(
                "contact",
                _("%(contact)s is a contact of %(theirs)s, not of %(customer)s.")
                % {
                    "contact": contact.user.get_full_name() or contact.user.email,
                    "theirs": contact.organization.name,
                    "customer": organization.name,
                },
            )
        return data

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.error_dict.items():
            target = SERVICE_FIELDS.get(name, name)
            if name == NON_FIELD_ERRORS or target not in self.fields:
                target = None
            self.add_error(target, ValidationError(errors))


@agent_required
def phone_case_new(request):
    """Log a phone call as a case for the contact who called."""
    actor = request.user
    choices = PhoneChoices.for_actor(actor)
    if request.method == "POST":
        form = PhoneCaseForm(
            request.POST, choices=choices, organization_id=request.POST.get("organization", "")
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = services.case_file(
                    actor=actor,
                    organization=data["organization"],
                    requester=data["contact"].user,
                    severity=data["severity"],
                    case_type=data["case_type"],
                    subject=data["subject"],
                    description=data["description"],
                    channel=Channel.PHONE,
                    filed_at=data["called_at"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if case.status == CaseStatus.RETURNED:
                    messages.info(
                        request,
                        _(
                            "Case %(number)s was logged and, under this contract, passed to "
                            "the customer's administrators, who submit it to the desk."
                        )
                        % {"number": case.number},
                    )
                    return redirect("phone:new")
                messages.success(
                    request, _("Phone case %(number)s was logged.") % {"number": case.number}
                )
                return redirect("queue:case", number=case.number)
        status = 400
    else:
        organization_id = request.GET.get("organization", "")
        initial = {
            "organization": organization_id,
            "called_at": timezone.localtime().replace(second=0, microsecond=0),
        }
        form = PhoneCaseForm(initial=initial, choices=choices, organization_id=organization_id)
        status = 200
    form.fields["called_at"].widget.attrs["max"] = timezone.localtime().strftime(CALL_TIME_FORMAT)
    context = {"form": form, "severities": choices.severities}
    return render(request, "tickets/phone_new.html", context, status=status)
