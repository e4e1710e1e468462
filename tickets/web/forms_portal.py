"""Customer portal forms.

The forms shape and pre-check what a contact types (the tenant's filing rules
mark fields required, attachments are checked by content). The services stay
the judge: the views attach the services' ValidationErrors to these forms.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.models import CaseType, ProductVersion, SeverityLevel, TenantPolicy
from plans.selectors import severity_list
from tickets.cases import attachments as filing

CONTRACT_REQUIRED = gettext_lazy("This contract asks for this when filing a case.")

# Policy "required_fields" entries that are form fields of the same name.
POLICY_FIELDS = (
    "subject",
    "description",
    "severity",
    "case_type",
    "product_version",
    "deployment",
    "event_name",
    "affected_users",
    "steps_tried",
    "customer_reference",
)


class PortalMultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PortalAttachmentsField(forms.FileField):
    """Several files under one name; each is checked by its content, not its name."""

    widget = PortalMultipleFileInput

    def __init__(self, *args, testid: str = "attachments", **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"data-testid": testid})

    def clean(self, data, initial=None):
        uploads = [d for d in (data if isinstance(data, list | tuple) else [data]) if d]
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(uploads) > filing.MAX_ATTACHMENTS:
            raise ValidationError(
                _("At most %(n)s files per message.") % {"n": filing.MAX_ATTACHMENTS},
                code="too_many",
            )
        errors: list[ValidationError] = []
        cleaned = []
        for upload in uploads:
            try:
                upload = super().clean(upload, initial)
                filing.attachment_check(upload)
            except ValidationError as exc:
                errors.append(exc)
            else:
                cleaned.append(upload)
        if errors:
            raise ValidationError(errors)
        return cleaned


def attachments_help() -> str:
    return _("Images, PDF or text logs; up to %(mb)s MB each, at most %(n)s files.") % {
        "mb": max(1, filing.MAX_ATTACHMENT_BYTES // (1024 * 1024)),
        "n": filing.MAX_ATTACHMENTS,
    }


class PortalCaseForm(forms.Form):
    """A new case. Which fields are required comes from the tenant's filing rules."""

    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "What happened, what you expected, and any error message word for word."
        ),
    )
    severity = forms.ModelChoiceField(
        label=gettext_lazy("Severity"), queryset=SeverityLevel.objects.none()
    )
    case_type = forms.ModelChoiceField(
        label=gettext_lazy("Case type"), queryset=CaseType.objects.none(), required=False
    )
    product_version = forms.ModelChoiceField(
        label=gettext_lazy("Product version"),
        queryset=ProductVersion.objects.none(),
        required=False,
    )
    deployment = forms.CharField(
        label=gettext_lazy("Deployment"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("For example cloud or on-premise."),
    )
    event_name = forms.CharField(
        label=gettext_lazy("Event / domain"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("The name of the event or domain the problem concerns."),
    )
    affected_users = forms.CharField(
        label=gettext_lazy("Affected users"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=gettext_lazy("Name, e-mail and section of the users who see the problem."),
    )
    steps_tried = forms.CharField(
        label=gettext_lazy("What was tried"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=gettext_lazy("What you have already done to find or work around the problem."),
    )
    customer_reference = forms.CharField(
        label=gettext_lazy("Your reference"), max_length=100, required=False
    )
    attachments = PortalAttachmentsField(label=gettext_lazy("Attachments"))

    def __init__(self, *args, tenant, policy: TenantPolicy | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.fields["severity"].queryset = severity_list(tenant=tenant)
        self.fields["case_type"].queryset = CaseType.objects.for_tenant(tenant)
        versions = ProductVersion.objects.for_tenant(tenant)
        required = set(policy.required_fields) if policy else {"subject", "description"}
        filing_rules = (policy.section("filing") if policy else None) or {}
        optional = set(filing_rules.get("optional_fields") or ())
        if versions.exists():
            self.fields["product_version"].queryset = versions
        else:
            del self.fields["product_version"]
        if "deployment" not in required | optional:
            del self.fields["deployment"]
        if not self.fields["case_type"].queryset.exists():
            del self.fields["case_type"]
        if policy is not None and not policy.customer_sets_severity:
            self.fields["severity"].label = _("How serious is it for you?")
            self.fields["severity"].help_text = _(
                "The support team confirms the severity when it takes the case."
            )
        for name in POLICY_FIELDS:
            if name in required and name in self.fields:
                field = self.fields[name]
                field.required = True
                field.error_messages["required"] = CONTRACT_REQUIRED
        attachments = self.fields["attachments"]
        help_parts = [attachments_help()]
        if "screenshot" in required:
            attachments.required = True
            attachments.error_messages["required"] = _("Please attach a screenshot of the problem.")
            help_parts.insert(0, _("Attach a screenshot of the error message."))
        elif "attachment" in required:
            attachments.required = True
            attachments.error_messages["required"] = _("Please attach a file.")
        attachments.help_text = " ".join(help_parts)

    def case_values(self) -> dict:
        """The cleaned data as `case_file` keyword arguments."""
        data = self.cleaned_data
        values = {}
        for name in POLICY_FIELDS:
            if name in ("severity", "case_type", "product_version"):
                values[name] = data.get(name)
            else:
                values[name] = data.get(name) or ""
        values["attachments"] = data.get("attachments") or []
        return values


class PortalReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your reply"),
        widget=forms.Textarea(attrs={"rows": 4, "data-testid": "reply-body"}),
        error_messages={"required": gettext_lazy("Write a message.")},
    )
    attachments = PortalAttachmentsField(
        label=gettext_lazy("Attachments"), testid="reply-attachments"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="reply_%s", **kwargs)
        self.fields["attachments"].help_text = attachments_help()


class PortalReopenForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("What is new?"),
        widget=forms.Textarea(attrs={"rows": 4, "data-testid": "reopen-body"}),
        error_messages={
            "required": gettext_lazy("Tell us what is new: reopening needs new information.")
        },
        help_text=gettext_lazy(
            "Reopen only if the same problem is back; a new problem needs a new case."
        ),
    )
    attachments = PortalAttachmentsField(
        label=gettext_lazy("Attachments"), testid="reopen-attachments"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="reopen_%s", **kwargs)
        self.fields["attachments"].help_text = attachments_help()


class PortalEscalateForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why does the case need escalation?"),
        widget=forms.Textarea(attrs={"rows": 3, "data-testid": "escalate-reason"}),
        error_messages={"required": gettext_lazy("Say why the case needs escalation.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="escalate_%s", **kwargs)


class PortalSubmitForm(forms.Form):
    """No fields: holds the service's refusal, if any."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="submit_%s", **kwargs)
