"""Demo data for `make run`: the five seed contracts, their customers and people.

Idempotent: every row is found by a natural key before it is created, so a
second `seed_demo` changes nothing. The sign-ins are documented in README.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction
from django.utils import timezone

from supportdesk.models import Role, Tenant, User
from supportdesk.services import staff_create

from .models import AddOn, ContactRole, CustomerOrganization, Plan, ProductVersion, Subscription
from .policy import policy_pack_load
from .services import (
    contact_create,
    hypercare_window_create,
    organization_create,
    subscription_addon_add,
    subscription_create,
)

DEMO_PASSWORD = "demo-desk-2026"  # noqa: S105 - published on purpose for `make run`


PACK_DIR = Path(__file__).resolve().parent / "packs"

# Per vendor slug: demo customers; the first gets the top plan, the second the first plan.
DEMO_CUSTOMERS = {
    "promark": ("Aarhus Sygehusservice", "Nordhavn Logistik"),
    "mobilise": ("Oslo Idrettslag", "Bergen Frivilligsentral"),
    "pector": ("Göteborgs Webbhandel", "Umeå Trävaror"),
    "vivant": ("Tandlægerne Vesterbro", "Køge Revision"),
    "synerity": ("Malmö Event AB", "Stockholm Bygg AB"),
}
SUBSCRIPTIONS_START = dt.date(2025, 1, 1)


@dataclass(frozen=True)
class DemoSignIn:
    tenant: str
    email: str
    role: str
    note: str


def _slug_of(name: str) -> str:
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "ø": "o", "æ": "ae", " ": "-"})
    return name.lower().translate(table).split("-")[0]


def _tenant(slug: str) -> Tenant:
    document = yaml.safe_load((PACK_DIR / f"{slug}.yaml").read_text(encoding="utf-8"))
    return policy_pack_load(document=document).tenant


def _subscribe(organization: CustomerOrganization, plan: Plan) -> Subscription:
    existing = Subscription.objects.for_tenant(organization.tenant).filter(
        organization=organization
    )
    return existing.first() or subscription_create(
        organization=organization, plan=plan, starts_on=SUBSCRIPTIONS_START
    )


def _staff(tenant: Tenant, local: str, role: str, first: str, last: str) -> User:
    email = f"{local}@{tenant.slug}.example"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = staff_create(
            tenant=tenant,
            email=email,
            role=role,
            first_name=first,
            last_name=last,
            password=DEMO_PASSWORD,
            email_verified=True,
        )
        if role == Role.AGENT:  # someone hears of breaches from the start (duty roster)
            user.on_duty, user.on_duty_changed_at = True, timezone.now()
            user.save(update_fields=["on_duty", "on_duty_changed_at"])
    return user


def _extras(organization: CustomerOrganization, subscription: Subscription, index: int) -> None:
    """What makes each contract visible in the demo: an add-on, a hypercare window."""
    tenant = organization.tenant
    if tenant.slug == "mobilise" and index == 0:
        phone = AddOn.objects.for_tenant(tenant).get(key="phone_support")
        if not subscription.addons.exists():
            subscription_addon_add(
                subscription=subscription, addon=phone, starts_on=SUBSCRIPTIONS_START, quantity=2
            )
    if tenant.slug == "promark" and index == 1 and not organization.hypercare_windows.exists():
        start = timezone.now().replace(microsecond=0)
        hypercare_window_create(
            organization=organization,
            starts_at=start,
            ends_at=start + dt.timedelta(days=60),
            plan=Plan.objects.for_tenant(tenant).get(key="premium"),
            reason="Go-live of the new roster module",
        )
    if tenant.slug == "promark" and index == 0:
        for name, released in (("2024.2", dt.date(2024, 6, 3)), ("2025.1", dt.date(2025, 2, 10)),
                               ("2026.1", dt.date(2026, 3, 2))):  # fmt: skip
            ProductVersion.objects.get_or_create(
                tenant=tenant, name=name, defaults={"released_on": released}
            )


@transaction.atomic
def demo_seed() -> list[DemoSignIn]:
    sign_ins: list[DemoSignIn] = []
    for slug, customers in DEMO_CUSTOMERS.items():
        tenant = _tenant(slug)
        plans = list(Plan.objects.for_tenant(tenant).order_by("position"))
        admin = _staff(tenant, "admin", Role.TENANT_ADMIN, "Tove", "Admin")
        agent = _staff(tenant, "agent", Role.AGENT, "Anders", "Agent")
        manager = _staff(tenant, "manager", Role.ACCOUNT_MANAGER, "Maja", "Manager")
        for user, note in ((admin, "configuration"), (agent, "queue"), (manager, "reports")):
            sign_ins.append(DemoSignIn(slug, user.email, user.get_role_display(), note))

        for index, customer in enumerate(customers):
            organization = CustomerOrganization.objects.filter(tenant=tenant, name=customer).first()
            if organization is None:
                organization = organization_create(
                    tenant=tenant,
                    name=customer,
                    account_manager=manager,
                    is_license_customer=index == 0,
                )
            subscription = _subscribe(organization, plans[-1] if index == 0 else plans[0])
            _extras(organization, subscription, index)
            domain = f"{_slug_of(customer)}.{tenant.slug}.example"
            people = (
                ("admin", "Ada", "Administrator", ContactRole.ADMINISTRATOR, dt.date(2025, 9, 1)),
                ("newadmin", "Nils", "Untrained", ContactRole.ADMINISTRATOR, None),
                ("user", "Ulla", "User", ContactRole.USER, None),
            )
            for local, first, last, role, trained_on in people:
                email = f"{local}@{domain}"
                if not User.objects.filter(email=email).exists():
                    contact = contact_create(
                        organization=organization,
                        email=email,
                        first_name=first,
                        last_name=last,
                        role=role,
                        trained_on=trained_on,
                        password=DEMO_PASSWORD,
                        email_verified=True,
                    )
                    # Customers since the subscriptions began (phone cases may not predate them).
                    User.objects.filter(pk=contact.user_id).update(
                        date_joined=timezone.make_aware(
                            dt.datetime.combine(SUBSCRIPTIONS_START, dt.time(8))
                        )
                    )
                if index == 0:
                    label = {
                        "admin": "trained administrator",
                        "newadmin": "untrained administrator",
                        "user": "ordinary user",
                    }[local]
                    sign_ins.append(DemoSignIn(slug, email, "Customer contact", label))
    return sign_ins
