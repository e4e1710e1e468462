"""Addresses and links in the desk's e-mails: the public base URL, absolute links, the
Message-IDs and subject tag that replies thread on, and where each reader opens a case."""

from __future__ import annotations

from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, reverse

from supportdesk.models import Role, User
from tickets.models import Case, Notification

DEFAULT_SITE_URL = "http://127.0.0.1:8000"

CASE_WORKERS = (Role.AGENT, Role.TENANT_ADMIN)


def site_url() -> str:
    """The desk's public base URL (`SITE_URL` setting), for links in e-mails."""
    return (getattr(settings, "SITE_URL", "") or DEFAULT_SITE_URL).rstrip("/")


def absolute_url(path: str) -> str:
    return f"{site_url()}{path}" if path else ""


def preferences_url() -> str:
    """The absolute link to the notification choices, for every mail's footer."""
    try:
        return absolute_url(_reverse("notifications:preferences", None, get_script_prefix()))
    except NoReverseMatch:  # pragma: no cover - the URLs are mounted in supportdesk.urls
        return ""


def mail_domain() -> str:
    """The domain of the desk's Message-IDs: the sender address's, else the site's host."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    domain = address.rpartition("@")[2] if "@" in address else ""
    return domain or urlsplit(site_url()).hostname or "localhost"


def reply_tag(case: Case) -> str:
    """The subject tag replies carry back ("[PRO-000123]"); inbound mail threads on it."""
    return f"[{case.number}]"


def case_thread_id(case: Case) -> str:
    """The Message-ID of the case's first message: every mail about the case refers to it."""
    return f"<case-{case.number}@{mail_domain()}>"


def notification_message_id(notification: Notification) -> str:
    number = notification.case.number if notification.case_id else "desk"
    return f"<case-{number}-{notification.pk}@{mail_domain()}>"


@lru_cache(maxsize=4096)
def _reverse(name: str, number: str | None, prefix: str) -> str:
    """`reverse`, remembered: the sweep links hundreds of notifications to the same pages.
    The script prefix is part of the key, so a desk mounted under a path stays right."""
    return reverse(name, kwargs={"number": number} if number is not None else None)


def case_path_for(user: User, case: Case) -> str:
    """Where `user` opens `case`: the portal for contacts, the queue's page for case workers."""
    if user.is_contact:
        return _reverse("portal:case", case.number, get_script_prefix())
    if user.role in CASE_WORKERS:
        return _reverse("queue:case", case.number, get_script_prefix())
    return ""
