"""factory-boy factories for every model, and the registry the isolation test reads.

A new tenant-owned model must get a factory in `TENANT_OWNED_FACTORIES`, or
`tests/supportdesk/test_isolation.py` fails naming it.
"""

import datetime as dt

import factory
from allauth.account.models import EmailAddress

from plans.models import Contact, ContactRole, CustomerOrganization
from supportdesk.models import Role, Tenant, User

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


def _in_tenant(factory_class):
    return lambda tenant: factory_class(tenant=tenant)


# model -> callable(tenant) making one row of that model inside `tenant`.
TENANT_OWNED_FACTORIES = {
    User: _in_tenant(UserFactory),
    CustomerOrganization: _in_tenant(OrganizationFactory),
    Contact: lambda tenant: ContactFactory(organization=OrganizationFactory(tenant=tenant)),
}
