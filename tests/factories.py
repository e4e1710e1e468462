"""factory-boy factories for every model, and the registry the isolation test reads.

A new tenant-owned model must get a factory in `TENANT_OWNED_FACTORIES`, or
`tests/supportdesk/test_isolation.py` fails naming it.
"""

import datetime as dt

import factory
from allauth.account.models import EmailAddress

from plans.models import (
    AddOn,
    CaseType,
    Contact,
    ContactRole,
    CustomerOrganization,
    HourBankPolicy,
    HypercareWindow,
    Plan,
    PlanEntitlement,
    PlanPrice,
    ProductVersion,
    RateCard,
    SeverityLevel,
    SlaTarget,
    Subscription,
    SubscriptionAddOn,
    SurveyQuestion,
    TargetOverride,
    TenantPolicy,
)
from sla.models import BusinessCalendar, SlaClock
from supportdesk.models import Role, Tenant, User
from tickets.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseNumberSequence,
    CasePause,
    IntakeToken,
)

PASSWORD = "correct-horse-battery-staple"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.Sequence(lambda n: f"vendor-{n}")
    country = "DK"
    timezone = "Europe/Copenhagen"
    language = "en"
    currency = "DKK"
    case_prefix = factory.Sequence(lambda n: "V" + "".join(chr(65 + int(d)) for d in f"{n:03d}"))


class UserFactory(factory.django.DjangoModelFactory):
    """A verified staff user (agent unless told otherwise) with a known password."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.AGENT
    language = "en"  # pages in tests read in English unless a test asks otherwise
    # Registered well before any case a test files (phone calls may not predate the contact).
    date_joined = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.get_or_create(
                user=self,
                email=self.email,
                defaults={"primary": True, "verified": extracted is not False},
            )


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerOrganization

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Customer {n} A/S")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organization = factory.SubFactory(OrganizationFactory)
    tenant = factory.SelfAttribute("organization.tenant")
    user = factory.SubFactory(
        UserFactory, tenant=factory.SelfAttribute("..organization.tenant"), role=Role.CONTACT
    )
    role = ContactRole.USER
    trained = False

    class Params:
        trained_admin = factory.Trait(
            role=ContactRole.ADMINISTRATOR, trained=True, trained_on=dt.date(2026, 1, 15)
        )
        untrained_admin = factory.Trait(role=ContactRole.ADMINISTRATOR, trained=False)


OFFICE_HOURS = {
    "mon": [["08:00", "16:00"]],
    "tue": [["08:00", "16:00"]],
    "wed": [["08:00", "16:00"]],
    "thu": [["08:00", "16:00"]],
    "fri": [["08:00", "15:30"]],
}


class CalendarFactory(factory.django.DjangoModelFactory):
    """The Danish office calendar of the issues: Mon–Thu 08–16, Fri 08–15:30, DK holidays."""

    class Meta:
        model = BusinessCalendar

    tenant = factory.SubFactory(TenantFactory)
    key = "business"
    name = "Office hours"
    timezone = "Europe/Copenhagen"
    weekly_hours = factory.LazyFunction(lambda: dict(OFFICE_HOURS))
    holiday_country = "DK"
    holiday_categories = factory.LazyFunction(lambda: ["public", "optional"])


class SeverityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeverityLevel

    tenant = factory.SubFactory(TenantFactory)
    key = factory.Sequence(lambda n: str(n + 1))
    name = factory.Sequence(lambda n: f"Severity {n + 1}")
    rank = factory.Sequence(lambda n: n + 1)


class CaseTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseType

    tenant = factory.SubFactory(TenantFactory)
    key = factory.Sequence(lambda n: f"type{n}")
    name = "Incident"
    kind = "incident"


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    tenant = factory.SubFactory(TenantFactory)
    key = factory.Sequence(lambda n: f"plan{n}")
    name = factory.Sequence(lambda n: f"Plan {n}")
    currency = "DKK"


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaTarget

    plan = factory.SubFactory(PlanFactory)
    tenant = factory.SelfAttribute("plan.tenant")
    severity = factory.SubFactory(SeverityFactory, tenant=factory.SelfAttribute("..tenant"))
    metric = "response"
    value = 2
    unit = "working_hours"
    calendar_key = "business"


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    organization = factory.SubFactory(OrganizationFactory)
    tenant = factory.SelfAttribute("organization.tenant")
    plan = factory.SubFactory(PlanFactory, tenant=factory.SelfAttribute("..tenant"))
    starts_on = dt.date(2025, 1, 1)


class AddOnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AddOn

    tenant = factory.SubFactory(TenantFactory)
    key = factory.Sequence(lambda n: f"addon{n}")
    name = "Phone support"
    price = "2490.00"
    currency = "NOK"
    per = "administrator_month"
    free_months = 3
    grants = factory.LazyFunction(lambda: ["phone_support"])


class HypercareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HypercareWindow

    organization = factory.SubFactory(OrganizationFactory)
    tenant = factory.SelfAttribute("organization.tenant")
    starts_at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    ends_at = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


class CaseFactory(factory.django.DjangoModelFactory):
    """A bare case row (no clocks, no timeline): for scoping tests. Real cases use services."""

    class Meta:
        model = Case

    organization = factory.SubFactory(OrganizationFactory)
    tenant = factory.SelfAttribute("organization.tenant")
    number = factory.Sequence(lambda n: f"T-{n:06d}")
    requester = factory.LazyAttribute(lambda o: ContactFactory(organization=o.organization).user)
    severity = factory.SubFactory(SeverityFactory, tenant=factory.SelfAttribute("..tenant"))
    subject = "Something is broken"
    description = "Details"
    channel = "portal"
    filed_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))


def _case_in(tenant):
    return CaseFactory(organization=OrganizationFactory(tenant=tenant))


def _policy(tenant):
    return TenantPolicy.objects.create(
        tenant=tenant,
        pack_digest="0" * 64,
        loaded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        allowed_filers="any_contact",
        document={},
    )


def _in_tenant(factory_class):
    return lambda tenant: factory_class(tenant=tenant)


# model -> callable(tenant) making one row of that model inside `tenant`.
TENANT_OWNED_FACTORIES = {
    User: _in_tenant(UserFactory),
    CustomerOrganization: _in_tenant(OrganizationFactory),
    Contact: lambda tenant: ContactFactory(organization=OrganizationFactory(tenant=tenant)),
    BusinessCalendar: _in_tenant(CalendarFactory),
    SeverityLevel: _in_tenant(SeverityFactory),
    CaseType: _in_tenant(CaseTypeFactory),
    Plan: _in_tenant(PlanFactory),
    PlanPrice: lambda tenant: PlanPrice.objects.create(
        tenant=tenant,
        plan=PlanFactory(tenant=tenant),
        segment="all_customers",
        amount="100.00",
        per="month",
    ),
    PlanEntitlement: lambda tenant: PlanEntitlement.objects.create(
        tenant=tenant, plan=PlanFactory(tenant=tenant), key="escalation_right", mode="included"
    ),
    SlaTarget: lambda tenant: TargetFactory(plan=PlanFactory(tenant=tenant)),
    AddOn: _in_tenant(AddOnFactory),
    RateCard: lambda tenant: RateCard.objects.create(
        tenant=tenant,
        key="rate",
        name="Rate",
        applies_to="unqualified_case",
        currency="NOK",
        steps=[{"amount": "400.00", "per": "started_15_minutes"}],
    ),
    HourBankPolicy: lambda tenant: HourBankPolicy.objects.create(
        tenant=tenant, period_months=12, rollover_max_percent=20
    ),
    SurveyQuestion: lambda tenant: SurveyQuestion.objects.create(
        tenant=tenant, key="speed", text="How fast?"
    ),
    ProductVersion: lambda tenant: ProductVersion.objects.create(
        tenant=tenant, name="1.0", released_on=dt.date(2025, 1, 1)
    ),
    TenantPolicy: _policy,
    Case: _case_in,
    CaseNumberSequence: lambda tenant: CaseNumberSequence.objects.create(tenant=tenant),
    CaseEvent: lambda tenant: CaseEvent.objects.create(
        tenant=tenant, case=_case_in(tenant), kind="note", created_at=dt.datetime.now(dt.UTC)
    ),
    CasePause: lambda tenant: CasePause.objects.create(
        tenant=tenant, case=_case_in(tenant), started_at=dt.datetime.now(dt.UTC), reason="x"
    ),
    Attachment: lambda tenant: Attachment.objects.create(
        tenant=tenant,
        case=_case_in(tenant),
        file="cases/x.txt",
        original_name="x.txt",
        content_type="text/plain",
        size=1,
    ),
    SlaClock: lambda tenant: SlaClock.objects.create(
        tenant=tenant,
        case=_case_in(tenant),
        metric="response",
        target_value=1,
        target_unit="working_hours",
        target_seconds=3600,
        source="test",
        started_at=dt.datetime.now(dt.UTC),
    ),
    Subscription: lambda tenant: SubscriptionFactory(
        organization=OrganizationFactory(tenant=tenant)
    ),
    SubscriptionAddOn: lambda tenant: SubscriptionAddOn.objects.create(
        tenant=tenant,
        subscription=SubscriptionFactory(organization=OrganizationFactory(tenant=tenant)),
        addon=AddOnFactory(tenant=tenant),
        starts_on=dt.date(2025, 1, 1),
    ),
    HypercareWindow: lambda tenant: HypercareFactory(
        organization=OrganizationFactory(tenant=tenant)
    ),
    TargetOverride: lambda tenant: TargetOverride.objects.create(
        tenant=tenant,
        organization=OrganizationFactory(tenant=tenant),
        severity=SeverityFactory(tenant=tenant),
        metric="response",
        value=1,
        unit="working_hours",
        calendar_key="business",
    ),
}

TENANT_OWNED_FACTORIES[IntakeToken] = lambda tenant: IntakeToken.issue(
    tenant=tenant, kind="email", name="relay"
)[0]


def _feature_registries() -> None:
    """Feature test modules keep their factories in tests/factories_<feature>.py, each with a
    TENANT_OWNED dict that joins the registry the isolation test reads."""
    import importlib
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("factories_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        TENANT_OWNED_FACTORIES.update(module.TENANT_OWNED)


_feature_registries()
