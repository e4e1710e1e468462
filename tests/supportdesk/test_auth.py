"""Sign-in with allauth: landing per role, sign-out, reset, verification, TOTP, throttling."""

import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, hotp_value
from django.core import mail
from django.urls import reverse

from supportdesk.models import Role
from supportdesk.services import staff_create
from tests.factories import PASSWORD, ContactFactory, OrganizationFactory, UserFactory

LOGIN = "/accounts/login/"


def sign_in(client, email, password=PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "home", "heading"),
    [
        (Role.AGENT, "/queue/", "Agent queue"),
        (Role.ACCOUNT_MANAGER, "/reports/", "SLA reports"),
        (Role.TENANT_ADMIN, "/config/", "Configuration"),
    ],
)
def test_staff_land_on_their_role_home_showing_tenant_and_role(
    client, tenant_a, role, home, heading
):
    user = UserFactory(tenant=tenant_a, role=role)
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == home
    page = client.get(home)
    assert page.status_code == 200
    html = page.content.decode()
    assert heading in html
    assert "Alpha Support" in html
    assert user.get_role_display() in html


@pytest.mark.django_db
def test_contact_lands_on_portal_showing_organisation_and_training(client, tenant_a):
    contact = ContactFactory(
        organization=OrganizationFactory(tenant=tenant_a, name="Frivillig Sentral"),
        trained_admin=True,
    )
    response = sign_in(client, contact.user.email)
    assert response["Location"] == "/portal/"
    html = client.get("/portal/").content.decode()
    assert "Frivillig Sentral" in html
    assert "Alpha Support" in html
    assert "Administrator" in html and "trained on" in html


@pytest.mark.django_db
def test_untrained_administrator_is_told_to_take_training_first(client, tenant_a):
    contact = ContactFactory(
        organization=OrganizationFactory(tenant=tenant_a), untrained_admin=True
    )
    client.force_login(contact.user)
    assert "complete the administrator training" in client.get("/portal/").content.decode()


@pytest.mark.django_db
def test_root_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "forbidden"),
    [
        (Role.CONTACT, ["/queue/", "/reports/", "/config/"]),
        (Role.AGENT, ["/portal/", "/reports/", "/config/"]),
        (Role.ACCOUNT_MANAGER, ["/portal/", "/queue/", "/config/"]),
        (Role.TENANT_ADMIN, ["/portal/"]),
    ],
)
def test_other_roles_pages_answer_404_not_403(client, tenant_a, role, forbidden):
    if role == Role.CONTACT:
        user = ContactFactory(organization=OrganizationFactory(tenant=tenant_a)).user
    else:
        user = UserFactory(tenant=tenant_a, role=role)
    client.force_login(user)
    for url in forbidden:
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_sign_out(client, tenant_a):
    user = UserFactory(tenant=tenant_a)
    sign_in(client, user.email)
    assert client.get("/queue/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/queue/").status_code == 302


@pytest.mark.django_db
def test_wrong_password_is_refused_with_a_message(client, tenant_a):
    user = UserFactory(tenant=tenant_a)
    response = sign_in(client, user.email, "wrong-password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


@pytest.mark.django_db
def test_public_sign_up_is_closed(client):
    response = client.get("/accounts/signup/")
    assert "Sign Up Closed" in response.content.decode()


@pytest.mark.django_db
def test_password_reset_by_email(client, tenant_a):
    user = UserFactory(tenant=tenant_a)
    client.post("/accounts/password/reset/", {"email": user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    form_page = client.get(link.group(1), follow=True)
    new_password = "a-brand-new-passphrase-42"
    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": new_password, "password2": new_password},
    )
    client.logout()
    assert sign_in(client, user.email, new_password)["Location"] == "/queue/"


@pytest.mark.django_db
def test_new_staff_must_verify_their_email_before_signing_in(client, tenant_a):
    user = staff_create(
        tenant=tenant_a, email="New.Agent@Alpha.example", role=Role.AGENT, password=PASSWORD
    )
    assert user.email == "new.agent@alpha.example"
    response = sign_in(client, user.email)
    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/queue/").status_code == 302  # not signed in
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mail.outbox[0].body)
    client.post(link.group(1))
    assert EmailAddress.objects.get(user=user).verified
    assert sign_in(client, user.email)["Location"] == "/queue/"


@pytest.mark.django_db
def test_staff_can_turn_on_totp_and_then_sign_in_needs_the_code(client, tenant_a):
    user = UserFactory(tenant=tenant_a, role=Role.TENANT_ADMIN)
    sign_in(client, user.email)
    # Changing security settings asks for the password again (allauth reauthentication).
    response = client.get(reverse("mfa_activate_totp"))
    if response.status_code == 302 and "reauthenticate" in response["Location"]:
        client.post(response["Location"], {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]

    def code():
        return f"{hotp_value(secret, int(time.time()) // 30):06d}"

    response = client.post(reverse("mfa_activate_totp"), {"code": code()})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    client.post("/accounts/logout/")
    response = sign_in(client, user.email)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/config/").status_code == 302  # password alone is not enough
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    response = client.post("/accounts/2fa/authenticate/", {"code": code()})
    assert response["Location"] == "/config/"


@pytest.mark.django_db
def test_repeated_failed_sign_ins_are_throttled(client, tenant_a):
    user = UserFactory(tenant=tenant_a)
    for _ in range(5):
        sign_in(client, user.email, "guess")
    response = sign_in(client, user.email)  # even the right password now waits
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/queue/").status_code == 302
