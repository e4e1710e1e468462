"""The inbound-mail pages for tenant admins (`/config/inbound/`): received mail and its
quarantine (assign to a customer, attach to a case, discard), the customers' mail domains.

Thin views: reads through the selectors, writes through the services of `tickets.inbound`.
Another tenant's message answers 404 like a missing one.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from plans.models import CustomerOrganization
from supportdesk.access import tenant_admin_required
from tickets.inbound import services as inbound
from tickets.models import Case, InboundMessage, InboundReason, InboundStatus
from tickets.web.forms_queue import apply_service_errors

PAGE_SIZE = 50


class InboundFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *InboundStatus.choices],
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        required=False,
        choices=[("", gettext_lazy("All")), *InboundReason.choices[1:]],
    )


class AssignForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=gettext_lazy("Customer"), queryset=CustomerOrganization.objects.none()
    )
    email = forms.EmailField(
        label=gettext_lazy("Contact's e-mail address"),
        required=False,
        help_text=gettext_lazy("Empty: the sender's address."),
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = CustomerOrganization.objects.for_tenant(tenant)


class AttachForm(forms.Form):
    case = forms.CharField(label=gettext_lazy("Case number"), max_length=20)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_case(self) -> Case:
        number = self.cleaned_data["case"].strip().strip("[]").upper()
        case = Case.objects.for_tenant(self.tenant).filter(number=number).first()
        if case is None:
            raise ValidationError(_("No case %(number)s.") % {"number": number})
        return case


class MailDomainForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=gettext_lazy("Customer"), queryset=CustomerOrganization.objects.none()
    )
    domain = forms.CharField(label=gettext_lazy("Mail domain"), max_length=253)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = CustomerOrganization.objects.for_tenant(tenant)


def _message(request, pk: int) -> InboundMessage:
    try:
        return inbound.inbound_get(actor=request.user, pk=pk)
    except InboundMessage.DoesNotExist as exc:
        raise Http404 from exc


@tenant_admin_required
@require_GET
def inbound_home(request):
    form = InboundFilterForm(request.GET or {"status": InboundStatus.QUARANTINED})
    filters = form.cleaned_data if form.is_valid() else {}
    rows = inbound.inbound_list(
        actor=request.user, status=filters.get("status") or None, reason=filters.get("reason")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = inbound.inbound_counts(actor=request.user)
    reasons = [
        (value, label, counts[value]) for value, label in InboundReason.choices if value in counts
    ]
    return render(
        request,
        "tickets/inbound_home.html",
        {"form": form, "page": page, "reasons": reasons, "quarantined": sum(counts.values())},
    )


def _detail(request, message: InboundMessage, *, assign=None, attach=None, status=200):
    tenant = request.user.tenant
    return render(
        request,
        "tickets/inbound_detail.html",
        {
            "message": message,
            "summary": message.summary or {},
            "assign_form": assign
            or AssignForm(
                tenant=tenant,
                initial={"organization": message.organization_id, "email": message.sender},
            ),
            "attach_form": attach
            or AttachForm(
                tenant=tenant, initial={"case": message.case.number if message.case_id else ""}
            ),
            "reviewable": message.status in inbound.REVIEWABLE,
        },
        status=status,
    )


@tenant_admin_required
@require_GET
def inbound_detail(request, pk: int):
    return _detail(request, _message(request, pk))


@tenant_admin_required
@require_POST
def inbound_assign(request, pk: int):
    message = _message(request, pk)
    form = AssignForm(request.POST, tenant=request.user.tenant)
    if form.is_valid():
        try:
            case = inbound.inbound_assign(
                message=message,
                actor=request.user,
                organization=form.cleaned_data["organization"],
                email=form.cleaned_data["email"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Filed as case %(number)s.") % {"number": case.number})
            return redirect("inbound:detail", pk=message.pk)
    return _detail(request, message, assign=form, status=400)


@tenant_admin_required
@require_POST
def inbound_attach(request, pk: int):
    message = _message(request, pk)
    form = AttachForm(request.POST, tenant=request.user.tenant)
    if form.is_valid():
        case = form.cleaned_data["case"]
        try:
            inbound.inbound_attach(message=message, actor=request.user, case=case)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Added to case %(number)s.") % {"number": case.number})
            return redirect("inbound:detail", pk=message.pk)
    return _detail(request, message, attach=form, status=400)


@tenant_admin_required
@require_POST
def inbound_discard(request, pk: int):
    message = _message(request, pk)
    try:
        inbound.inbound_discard(message=message, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Discarded. The message stays stored."))
    return redirect("inbound:detail", pk=message.pk)


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """Always a download, never rendered: mail parts are whatever a stranger sent."""
    response = HttpResponse(data, content_type=content_type)
    safe = filename.replace('"', "").replace("\\", "")
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@tenant_admin_required
@require_GET
def inbound_raw(request, pk: int):
    message = _message(request, pk)
    return _download(bytes(message.raw), f"message-{message.pk}.eml", "message/rfc822")


@tenant_admin_required
@require_GET
def inbound_file(request, pk: int, index: int):
    message = _message(request, pk)
    try:
        filename, _declared, data = inbound.inbound_file_part(message=message, index=index)
    except InboundMessage.DoesNotExist as exc:
        raise Http404 from exc
    return _download(data, filename, "application/octet-stream")


@tenant_admin_required
def mail_domains(request):
    form = MailDomainForm(request.POST or None, tenant=request.user.tenant)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                row = inbound.mail_domain_add(**form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("%(domain)s added.") % {"domain": row.domain})
                return redirect("inbound:domains")
    domains = inbound.mail_domain_list(actor=request.user)
    return render(
        request, "tickets/inbound_domains.html", {"form": form, "domains": domains}, status=status
    )


@tenant_admin_required
@require_POST
def mail_domain_delete(request, pk: int):
    row = inbound.mail_domain_list(actor=request.user).filter(pk=pk).first()
    if row is None:
        raise Http404
    inbound.mail_domain_remove(row=row)
    messages.success(request, _("%(domain)s removed.") % {"domain": row.domain})
    return redirect("inbound:domains")
