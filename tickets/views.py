"""Customer portal and agent queue pages."""

from django.shortcuts import render

from plans import selectors as plan_selectors
from plans.wording import contract_context
from supportdesk.access import agent_required, contact_required


@contact_required
def portal_home(request):
    contact = plan_selectors.contact_for_user(user=request.user)
    context = {"contact": contact}
    if contact is not None:
        context.update(contract_context(contact.organization))
    return render(request, "tickets/portal_home.html", context)


@agent_required
def queue_home(request):
    return render(
        request,
        "tickets/queue_home.html",
        {"organizations": plan_selectors.organization_list(actor=request.user)},
    )
