"""Factories for the notifications feature; TENANT_OWNED joins the isolation registry."""

import datetime as dt

import factory

from supportdesk.models import Role
from tests.factories import ContactFactory, OrganizationFactory, UserFactory
from tickets.models import EmailStatus, Notification, NotificationKind, NotificationPreference


class NotificationFactory(factory.django.DjangoModelFactory):
    """A bare notification row (no case): for scoping tests. Real ones come from services."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory, role=Role.AGENT)
    tenant = factory.SelfAttribute("recipient.tenant")
    kind = NotificationKind.REPLY
    subject = factory.Sequence(lambda n: f"Notification {n}")
    body = "Text"
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")
    created_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
    email_status = EmailStatus.SENT


class NotificationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationPreference

    user = factory.SubFactory(UserFactory, role=Role.AGENT)
    tenant = factory.SelfAttribute("user.tenant")
    kind = NotificationKind.REPLY
    email = False
    in_app = True


def _contact_user(tenant):
    return ContactFactory(organization=OrganizationFactory(tenant=tenant)).user


TENANT_OWNED = {
    Notification: lambda tenant: NotificationFactory(recipient=UserFactory(tenant=tenant)),
    NotificationPreference: lambda tenant: NotificationPreferenceFactory(
        user=_contact_user(tenant)
    ),
}
