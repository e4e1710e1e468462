from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from plans.models import CustomerOrganization
from supportdesk.models import Tenant
from tickets.monitoring.services import monitoring_token_issue


class Command(BaseCommand):
    help = (
        "Issue a monitoring webhook token that files outage cases for one customer. "
        "The secret is printed once and never stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug, e.g. pector")
        parser.add_argument("--customer", required=True, type=int, help="organisation id")
        parser.add_argument("--name", required=True, help='e.g. "Pector Import"')

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {options['tenant']!r}.")
        organization = (
            CustomerOrganization.objects.for_tenant(tenant).filter(pk=options["customer"]).first()
        )
        if organization is None:
            raise CommandError(f"Tenant {tenant.slug} has no customer {options['customer']}.")
        try:
            token, raw = monitoring_token_issue(
                tenant=tenant, organization=organization, name=options["name"]
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            f"Monitoring token {token.pk} ({token.name}) for {organization.name}, {tenant.name}.\n"
            "Send it as 'Authorization: Bearer <token>' to POST /api/v1/monitoring/alerts/.\n"
            "It is shown only this once:"
        )
        self.stdout.write(raw)
