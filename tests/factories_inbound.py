"""Factories for inbound e-mail; `TENANT_OWNED` joins the isolation test's registry."""

import datetime as dt
import hashlib

import factory

from tests.factories import OrganizationFactory, TenantFactory
from tickets.models import InboundMessage, InboundStatus, OrganizationMailDomain


def raw_message(
    *,
    sender: str = "kari@kunde.dk",
    subject: str = "Printer on floor 2 is down",
    body: str = "It shows error 49.",
    message_id: str | None = "<m1@kunde.dk>",
    headers: str = "",
    to: str = "support@desk.example",
) -> bytes:
    """A small, valid RFC 822 message."""
    lines = [
        f"From: Kari Nordmann <{sender}>" if sender else "",
        f"To: {to}",
        f"Subject: {subject}",
        "Date: Tue, 07 Apr 2026 09:15:00 +0200",
        f"Message-ID: {message_id}" if message_id else "",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: 8bit",
        headers.strip(),
    ]
    head = "\r\n".join(line for line in lines if line)
    return f"{head}\r\n\r\n{body}\r\n".encode()


class InboundMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundMessage

    tenant = factory.SubFactory(TenantFactory)
    raw = factory.Sequence(lambda n: raw_message(message_id=f"<f{n}@example.com>"))
    size = factory.LazyAttribute(lambda o: len(o.raw))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.raw).hexdigest())
    message_id = factory.Sequence(lambda n: f"<f{n}@example.com>")
    sender = "kari@kunde.dk"
    subject = "Printer on floor 2 is down"
    received_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
    source = "command"
    status = InboundStatus.QUARANTINED
    reason = "unknown_sender"


class MailDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationMailDomain

    organization = factory.SubFactory(OrganizationFactory)
    tenant = factory.SelfAttribute("organization.tenant")
    domain = factory.Sequence(lambda n: f"customer{n}.example")


TENANT_OWNED = {
    InboundMessage: lambda tenant: InboundMessageFactory(tenant=tenant),
    OrganizationMailDomain: lambda tenant: MailDomainFactory(
        organization=OrganizationFactory(tenant=tenant)
    ),
}
