from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from plans.demo import DEMO_PASSWORD, demo_seed
from tickets.demo import demo_cases


class Command(BaseCommand):
    help = "Load the five seed vendors with demo customers and sign-ins (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts with a published password; it runs only with DEBUG=1"
            )
        sign_ins = demo_seed()
        filed = demo_cases()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({filed} new demo cases). "
                f"Password for every sign-in: {DEMO_PASSWORD}"
            )
        )
        for sign_in in sign_ins:
            self.stdout.write(
                f"  {sign_in.tenant:9} {sign_in.email:42} {sign_in.role} ({sign_in.note})"
            )
