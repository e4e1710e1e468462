"""Demo data for `make run`: the five seed vendors, their customers and people.

Idempotent: every row is found by a natural key before it is created, so a
second `seed_demo` changes nothing. The sign-ins are documented in README.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from supportdesk.models import Role, Tenant, User
from supportdesk.services import staff_create, tenant_create

from .models import ContactRole, CustomerOrganization
from .services import contact_create, organization_create

DEMO_PASSWORD = "demo-desk-2026"  # noqa: S105 - published on purpose for `make run`


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    country: str
    timezone: str
    language: str
    currency: str
    case_prefix: str
    customers: tuple[str, ...]


DEMO_TENANTS = (
    DemoTenant("promark", "ProMark", "DK", "Europe/Copenhagen", "da", "DKK", "PRO",
               ("Aarhus Sygehusservice", "Nordhavn Logistik")),
    DemoTenant("mobilise", "Mobilise", "NO", "Europe/Oslo", "nb", "NOK", "MOB",
               ("Oslo Idrettslag", "Bergen Frivilligsentral")),
    DemoTenant("pector", "Pector", "SE", "Europe/Stockholm", "sv", "SEK", "PEC",
               ("Göteborgs Webbhandel", "Umeå Trävaror")),
    DemoTenant("vivant", "Vivant", "DK", "Europe/Copenhagen", "da", "DKK", "VIV",
               ("Tandlægerne Vesterbro", "Køge Revision")),
    DemoTenant("synerity", "Synerity", "SE", "Europe/Stockholm", "sv", "SEK", "SYN",
               ("Malmö Event AB", "Stockholm Bygg AB")),
)  # fmt: skip


@dataclass(frozen=True)
class DemoSignIn:
    tenant: str
    email: str
    role: str
    note: str


def _slug_of(name: str) -> str:
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "ø": "o", "æ": "ae", " ": "-"})
    return name.lower().translate(table).split("-")[0]


def _tenant(spec: DemoTenant) -> Tenant:
    tenant = Tenant.objects.filter(slug=spec.slug).first()
    if tenant is None:
        tenant = tenant_create(
            name=spec.name,
            slug=spec.slug,
            country=spec.country,
            timezone_name=spec.timezone,
            language=spec.language,
            currency=spec.currency,
            case_prefix=spec.case_prefix,
        )
    return tenant


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
    return user


@transaction.atomic
def demo_seed() -> list[DemoSignIn]:
    sign_ins: list[DemoSignIn] = []
    for spec in DEMO_TENANTS:
        tenant = _tenant(spec)
        admin = _staff(tenant, "admin", Role.TENANT_ADMIN, "Tove", "Admin")
        agent = _staff(tenant, "agent", Role.AGENT, "Anders", "Agent")
        manager = _staff(tenant, "manager", Role.ACCOUNT_MANAGER, "Maja", "Manager")
        for user, note in ((admin, "configuration"), (agent, "queue"), (manager, "reports")):
            sign_ins.append(DemoSignIn(spec.slug, user.email, user.get_role_display(), note))

        for index, customer in enumerate(spec.customers):
            organization = CustomerOrganization.objects.filter(tenant=tenant, name=customer).first()
            if organization is None:
                organization = organization_create(
                    tenant=tenant,
                    name=customer,
                    account_manager=manager,
                    is_license_customer=index == 0,
                )
            domain = f"{_slug_of(customer)}.{tenant.slug}.example"
            people = (
                ("admin", "Ada", "Administrator", ContactRole.ADMINISTRATOR, dt.date(2025, 9, 1)),
                ("newadmin", "Nils", "Untrained", ContactRole.ADMINISTRATOR, None),
                ("user", "Ulla", "User", ContactRole.USER, None),
            )
            for local, first, last, role, trained_on in people:
                email = f"{local}@{domain}"
                if not User.objects.filter(email=email).exists():
                    contact_create(
                        organization=organization,
                        email=email,
                        first_name=first,
                        last_name=last,
                        role=role,
                        trained_on=trained_on,
                        password=DEMO_PASSWORD,
                        email_verified=True,
                    )
                if index == 0:
                    label = {
                        "admin": "trained administrator",
                        "newadmin": "untrained administrator",
                        "user": "ordinary user",
                    }[local]
                    sign_ins.append(DemoSignIn(spec.slug, email, "Customer contact", label))
    return sign_ins
