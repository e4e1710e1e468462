"""`manage.py ingest_email --tenant SLUG [FILE]`: one RFC 822 message (stdin without FILE).

Prints one line with what became of the message; exits non-zero with one readable line
for an unknown tenant, an unreadable file or an empty message. Point the mail server's
pipe transport here, or use the HTTP endpoint (`/api/v1/inbound/email/`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from supportdesk.models import Tenant
from tickets.inbound import services as inbound
from tickets.models import InboundSource


class Command(BaseCommand):
    help = "Ingest one e-mail (RFC 822) for a tenant: a comment, a new case, or quarantine."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", nargs="?", help="The message file; standard input if left out.")
        parser.add_argument("--tenant", required=True, help="The tenant's slug, e.g. vivant.")

    def handle(self, *args, **options) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"Unknown tenant {options['tenant']!r}.")
        raw, size = self._read(options["file"])
        try:
            result = inbound.inbound_ingest(
                tenant=tenant, raw=raw, size=size, source=InboundSource.COMMAND
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(result.line())

    def _read(self, name: str | None) -> tuple[bytes, int]:
        """The bytes (at most KEEP_WHOLE_BYTES + 1) and the size that arrived."""
        try:
            if name in (None, "-"):
                stream = sys.stdin.buffer
                raw = stream.read(inbound.KEEP_WHOLE_BYTES + 1)
                size = len(raw)
                while chunk := stream.read(1024 * 1024):  # drain; only its size matters
                    size += len(chunk)
                return raw, size
            path = Path(name)
            with path.open("rb") as handle:
                return handle.read(inbound.KEEP_WHOLE_BYTES + 1), path.stat().st_size
        except OSError as exc:
            raise CommandError(f"Cannot read {name or 'standard input'}: {exc.strerror}.") from exc
