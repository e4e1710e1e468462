"""Account-manager reports."""

from django.shortcuts import render

from plans import selectors as plan_selectors
from supportdesk.access import reports_required


@reports_required
def reports_home(request):
    organizations = plan_selectors.organization_list(actor=request.user)
    return render(
        request,
        "sla/reports_home.html",
        {
            "organizations": organizations,
            "my_organizations": [
                o for o in organizations if o.account_manager_id == request.user.pk
            ],
        },
    )
