"""`seed_demo`: the five contracts with customers and documented sign-ins, idempotent."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from plans.demo import DEMO_PASSWORD
from plans.models import Contact, CustomerOrganization, Subscription
from sla.models import SlaClock
from supportdesk.models import Tenant, User
from tickets.models import Case


@pytest.mark.django_db
def test_refused_unless_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG=1"):
        call_command("seed_demo")
    assert not Tenant.objects.exists()


@pytest.mark.django_db
def test_loads_five_vendors_and_is_idempotent(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = (Tenant.objects.count(), User.objects.count(), Subscription.objects.count())
    assert counts[0] == 5
    assert set(Tenant.objects.values_list("slug", flat=True)) == {
        "promark", "mobilise", "pector", "vivant", "synerity"
    }  # fmt: skip
    assert CustomerOrganization.objects.count() == 10 == counts[2]
    assert Contact.objects.filter(role="administrator", trained=True).count() == 10
    assert Contact.objects.filter(role="administrator", trained=False).count() == 10
    assert "admin@oslo.mobilise.example" in out.getvalue()
    assert Case.objects.count() == 15  # three demo cases per vendor, with running clocks
    assert Case.objects.filter(status="awaiting_customer").count() == 5
    assert SlaClock.objects.filter(state="running").exists()

    call_command("seed_demo", stdout=StringIO())
    assert (Tenant.objects.count(), User.objects.count(), Subscription.objects.count()) == counts
    assert Case.objects.count() == 15


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "home"),
    [
        ("admin@mobilise.example", "/config/"),
        ("agent@promark.example", "/queue/"),
        ("manager@synerity.example", "/reports/"),
        ("admin@oslo.mobilise.example", "/portal/"),
        ("newadmin@aarhus.promark.example", "/portal/"),
        ("user@malmo.synerity.example", "/portal/"),
    ],
)
def test_documented_sign_ins_work(settings, email, home):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    response = Client().post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == home
