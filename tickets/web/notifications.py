"""The signed-in user's notifications: the list, the nav counter and the preferences.

Thin views over `tickets.notifications`. Only the user's own notifications are
reachable; anyone else's answers 404 like a missing one. htmx requests get
fragments (one item, the list, the counter); plain requests get pages.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportdesk.access import roles_required
from supportdesk.models import Role
from tickets.notifications import selectors
from tickets.notifications import services as service
from tickets.notifications.preferences import notification_preference_set, preference_list

PAGE_SIZE = 25
member_required = roles_required(*Role.values)


def _back(request) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("notifications:list")


def _page(request):
    items = selectors.notification_list(user=request.user)
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


@member_required
@require_GET
def notification_list(request):
    context = {"page": _page(request), "unread": selectors.unread_count(user=request.user)}
    if request.htmx and request.htmx.target == "notification-items":
        return render(request, "tickets/notifications_items.html", context)
    return render(request, "tickets/notifications_list.html", context)


@member_required
@require_GET
def notification_count(request):
    """The nav's unread counter; polls itself every minute."""
    return render(
        request,
        "tickets/notifications_count.html",
        {"unread": selectors.unread_count(user=request.user)},
    )


@member_required
@require_GET
def notification_open(request, pk: int):
    """Follow a notification to its page, marking it read on the way."""
    notification = get_object_or_404(selectors.notification_list(user=request.user), pk=pk)
    service.notification_mark_read(notification=notification, user=request.user)
    return redirect(notification.link or reverse("notifications:list"))


@member_required
@require_POST
def notification_read(request, pk: int):
    notification = get_object_or_404(selectors.notification_list(user=request.user), pk=pk)
    service.notification_mark_read(notification=notification, user=request.user)
    if request.htmx:
        response = render(request, "tickets/notifications_item.html", {"item": notification})
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect(_back(request))


@member_required
@require_POST
def notification_read_all(request):
    count = service.notification_mark_all_read(user=request.user)
    if request.htmx:
        context = {"page": _page(request), "unread": 0}
        response = render(request, "tickets/notifications_items.html", context)
        response["HX-Trigger"] = "notifications-changed"
        return response
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect(_back(request))


class PreferencesForm(forms.Form):
    """Two boxes per kind the user receives: by e-mail, in the app."""

    def __init__(self, *args, preferences, **kwargs):
        super().__init__(*args, **kwargs)
        self.preferences = preferences
        for pref in preferences:
            self.fields[f"email_{pref.kind}"] = forms.BooleanField(
                required=False,
                initial=pref.email,
                label=_("E-mail"),
                widget=forms.CheckboxInput(
                    attrs={"aria-label": _("%(kind)s by e-mail") % {"kind": pref.label}}
                ),
            )
            self.fields[f"in_app_{pref.kind}"] = forms.BooleanField(
                required=False,
                initial=pref.in_app,
                label=_("In the app"),
                widget=forms.CheckboxInput(
                    attrs={"aria-label": _("%(kind)s in the app") % {"kind": pref.label}}
                ),
            )

    def rows(self):
        return [
            {
                "kind": pref.kind,
                "label": pref.label,
                "email": self[f"email_{pref.kind}"],
                "in_app": self[f"in_app_{pref.kind}"],
            }
            for pref in self.preferences
        ]


@member_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    user = request.user
    preferences = preference_list(user=user)
    form = PreferencesForm(request.POST or None, preferences=preferences)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for pref in preferences:
                notification_preference_set(
                    user=user,
                    kind=pref.kind,
                    email=form.cleaned_data[f"email_{pref.kind}"],
                    in_app=form.cleaned_data[f"in_app_{pref.kind}"],
                )
        messages.success(request, _("Your notification choices are saved."))
        return redirect("notifications:preferences")
    return render(request, "tickets/notifications_preferences.html", {"form": form})
