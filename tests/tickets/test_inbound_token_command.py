"""`inbound_token`: a relay token is issued once, stored hashed, and opens the endpoint."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import TenantFactory
from tickets.models import IntakeToken


@pytest.mark.django_db
def test_token_is_printed_once_and_stored_as_a_digest():
    tenant = TenantFactory(slug="vivant-like", case_prefix="VIV")
    out = StringIO()
    call_command("inbound_token", "--tenant", tenant.slug, "--name", "relay", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    token = IntakeToken.objects.get(tenant=tenant)
    assert token.digest == IntakeToken.hash(raw) != raw
    assert IntakeToken.authenticate(raw, kind="email") == token
    assert IntakeToken.authenticate(raw, kind="monitoring") is None


@pytest.mark.django_db
def test_unknown_tenant_is_one_readable_line():
    with pytest.raises(CommandError, match="No tenant with slug 'nope'"):
        call_command("inbound_token", "--tenant", "nope", "--name", "relay")
