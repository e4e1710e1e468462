"""Penalty credit pages: account managers and tenant admins see the tenant's credits per
customer and month (and price the ones the rule could not); a contact sees its own
organisation's."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as DRFValidationError

from plans import selectors as plan_selectors
from supportdesk.access import contact_required, reports_required

from . import selectors, services
from .api import parse_month
from .models import PenaltyCredit


def _filters(request):
    try:
        organization_id = int(request.GET["customer"]) if request.GET.get("customer") else None
    except ValueError:
        organization_id = None
    try:
        month = parse_month(request.GET.get("month"))
    except DRFValidationError:  # a bad filter shows everything, not an error page
        month = None
    return organization_id, month


@reports_required
def credit_list(request):
    organization_id, month = _filters(request)
    credits = list(
        selectors.credit_list(actor=request.user, organization_id=organization_id, month=month)
    )
    return render(
        request,
        "billing/credits.html",
        {
            "groups": selectors.credits_by_customer_month(credits),
            "totals": selectors.totals_by_currency(credits),
            "organizations": plan_selectors.organization_list(actor=request.user),
            "selected_customer": organization_id,
            "selected_month": month.strftime("%Y-%m") if month else "",
        },
    )


@reports_required
@require_POST
def credit_amount(request, pk: int):
    credit = selectors.credit_list(actor=request.user).filter(pk=pk).first()
    if credit is None:
        raise Http404
    try:
        amount = Decimal(request.POST.get("amount", "").replace(",", "."))
    except InvalidOperation:
        messages.error(request, _("Give an amount such as 1250.00."))
        return redirect("billing:credits")
    try:
        services.penalty_credit_amount_set(
            credit=credit, actor=request.user, amount=amount, reason=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The credit's amount is set."))
    return redirect("billing:credits")


@contact_required
def my_credits(request):
    credits: list[PenaltyCredit] = list(selectors.credit_list(actor=request.user))
    return render(
        request,
        "billing/my_credits.html",
        {
            "groups": selectors.credits_by_customer_month(credits),
            "totals": selectors.totals_by_currency(credits),
        },
    )
