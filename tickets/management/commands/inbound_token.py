from django.core.management.base import BaseCommand, CommandError

from supportdesk.models import Tenant
from tickets.models import IntakeKind, IntakeToken


class Command(BaseCommand):
    help = (
        "Issue a token for the inbound-mail endpoint of one tenant (for the mail relay). "
        "The secret is printed once and never stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug, e.g. vivant")
        parser.add_argument("--name", required=True, help='e.g. "Postfix relay"')

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {options['tenant']!r}.")
        token, raw = IntakeToken.issue(tenant=tenant, kind=IntakeKind.EMAIL, name=options["name"])
        self.stdout.write(
            f"Inbound-mail token {token.pk} ({token.name}) for {tenant.name}.\n"
            "POST raw RFC 822 mail to /api/v1/inbound/email/\n"
            "with the header 'Authorization: Bearer <token>'.\n"
            "It is shown only this once:"
        )
        self.stdout.write(raw)
