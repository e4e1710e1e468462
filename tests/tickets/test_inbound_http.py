"""Inbound e-mail over HTTP: the relay's endpoint (token, sizes, rate), the quarantine API
and pages for tenant admins, and their tenant isolation (another tenant's answers 404)."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from supportdesk.models import Role
from tests.factories import ContactFactory, OrganizationFactory, UserFactory
from tests.factories_inbound import InboundMessageFactory, MailDomainFactory, raw_message
from tickets.api.inbound import InboundThrottle
from tickets.inbound import services as inbound
from tickets.inbound.services import inbound_ingest
from tickets.models import (
    Case,
    EventKind,
    InboundMessage,
    InboundStatus,
    IntakeToken,
    OrganizationMailDomain,
)

URL = "/api/v1/inbound/email/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def world(tenant_a, tenant_b):
    from tests.factories import SeverityFactory

    SeverityFactory(tenant=tenant_a, key="high", rank=1)
    SeverityFactory(tenant=tenant_a, key="low", rank=2)
    organization = OrganizationFactory(tenant=tenant_a, name="Kunde A/S")
    kari = ContactFactory(organization=organization, user__email="kari@kunde.dk")
    _token, raw = IntakeToken.issue(tenant=tenant_a, kind="email", name="relay")
    _token_b, raw_b = IntakeToken.issue(tenant=tenant_b, kind="email", name="relay")
    _monitoring, raw_monitoring = IntakeToken.issue(tenant=tenant_a, kind="monitoring", name="m")
    return {
        "tenant": tenant_a,
        "org": organization,
        "kari": kari.user,
        "token": raw,
        "token_b": raw_b,
        "monitoring_token": raw_monitoring,
        "admin": UserFactory(tenant=tenant_a, role=Role.TENANT_ADMIN),
        "agent": UserFactory(tenant=tenant_a, role=Role.AGENT),
        "admin_b": UserFactory(tenant=tenant_b, role=Role.TENANT_ADMIN),
    }


def relay(token: str | None = None) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def post_raw(client: APIClient, raw: bytes):
    return client.generic("POST", URL, raw, content_type="message/rfc822")


# --- the relay's endpoint ------------------------------------------------------------------


def test_endpoint_files_mail_and_answers_the_classification(world):
    response = post_raw(relay(world["token"]), raw_message(subject="Printer down"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "case" and body["status"] == "processed"
    assert body["case"].startswith("ALP-")
    assert (body["from"], body["subject"], body["is_auto_reply"]) == (
        "kari@kunde.dk",
        "Printer down",
        False,
    )
    message = InboundMessage.objects.get(pk=body["id"])
    assert (message.tenant, message.source) == (world["tenant"], "http")
    assert IntakeToken.objects.get(tenant=world["tenant"], kind="email").last_used_at


def test_endpoint_answers_duplicates_with_200(world):
    raw = raw_message()
    assert post_raw(relay(world["token"]), raw).status_code == 201
    again = post_raw(relay(world["token"]), raw)
    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
    assert Case.objects.count() == 1


def test_endpoint_quarantines_auto_replies(world):
    raw = raw_message(headers="Auto-Submitted: auto-replied", subject="Out of office")
    response = post_raw(relay(world["token"]), raw)
    assert response.status_code == 201
    assert (response.json()["outcome"], response.json()["reason"]) == ("quarantined", "auto_reply")
    assert response.json()["is_auto_reply"] is True
    assert not Case.objects.exists()


def test_endpoint_accepts_a_multipart_field(world):
    response = relay(world["token"]).post(
        URL, {"message": _upload(raw_message(subject="Via multipart"))}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == "Via multipart"


def _upload(raw: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("mail.eml", raw, content_type="message/rfc822")


@pytest.mark.parametrize("token_key", [None, "bogus", "monitoring_token"])
def test_endpoint_refuses_without_an_email_token(world, token_key):
    token = world.get(token_key, token_key) if token_key else None
    response = post_raw(relay(token), raw_message())
    assert response.status_code == 401
    assert "Bearer" in response["WWW-Authenticate"]
    assert not InboundMessage.objects.exists()


def test_endpoint_refuses_an_empty_body(world):
    response = post_raw(relay(world["token"]), b"")
    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


def test_endpoint_answers_413_but_keeps_the_message(world, monkeypatch):
    monkeypatch.setattr(inbound, "MAX_MESSAGE_BYTES", 500)
    monkeypatch.setattr(inbound, "KEEP_WHOLE_BYTES", 100_000)
    raw = raw_message(body="x" * 2000)
    response = post_raw(relay(world["token"]), raw)
    assert response.status_code == 413
    assert response.json()["reason"] == "oversized"
    message = InboundMessage.objects.get()
    assert bytes(message.raw) == raw and message.status == InboundStatus.QUARANTINED


def test_endpoint_is_rate_limited_per_token(world, monkeypatch):
    monkeypatch.setattr(InboundThrottle, "THROTTLE_RATES", {"inbound": "2/min"})
    client = relay(world["token"])
    codes = [
        post_raw(client, raw_message(message_id=f"<r{i}@kunde.dk>")).status_code for i in range(3)
    ]
    assert codes == [201, 201, 429]
    assert post_raw(relay(world["token_b"]), raw_message()).status_code == 201  # its own budget


def test_the_token_decides_the_tenant(world, tenant_b):
    response = post_raw(relay(world["token_b"]), raw_message())
    assert response.json()["reason"] == "unknown_sender"  # Kari is not B's contact
    assert InboundMessage.objects.get().tenant == tenant_b


# --- the quarantine API --------------------------------------------------------------------


def admin_api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_lists_and_reads_the_quarantine(world):
    inbound_ingest(tenant=world["tenant"], raw=raw_message(sender="x@y.example", subject="Q1"))
    InboundMessageFactory(tenant=world["admin_b"].tenant, subject="Foreign")
    client = admin_api(world["admin"])

    listing = client.get("/api/v1/inbound/messages/?status=quarantined&reason=unknown_sender")
    assert listing.status_code == 200
    rows = listing.json()["results"] if "results" in listing.json() else listing.json()
    assert [row["subject"] for row in rows] == ["Q1"]
    detail = client.get(f"/api/v1/inbound/messages/{rows[0]['id']}/").json()
    assert detail["reason"] == "unknown_sender"
    assert any(name == "Subject" for name, _value in detail["headers"])
    raw = client.get(f"/api/v1/inbound/messages/{rows[0]['id']}/raw/")
    assert raw.status_code == 200 and raw.content.startswith(b"From:")


def test_api_assign_attach_discard(world):
    client = admin_api(world["admin"])
    one = inbound_ingest(tenant=world["tenant"], raw=raw_message(sender="ole@kunde.dk")).message
    response = client.post(
        f"/api/v1/inbound/messages/{one.pk}/assign/", {"organization": world["org"].pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "assigned" and response.json()["case"]

    case_number = response.json()["case"]
    two = inbound_ingest(
        tenant=world["tenant"], raw=raw_message(sender="s@x.example", message_id="<2@x>")
    ).message
    response = client.post(f"/api/v1/inbound/messages/{two.pk}/attach/", {"case": case_number})
    assert response.status_code == 200, response.content
    assert Case.objects.get(number=case_number).events.filter(kind=EventKind.NOTE).exists()

    three = inbound_ingest(
        tenant=world["tenant"], raw=raw_message(sender="s@x.example", message_id="<3@x>")
    ).message
    assert client.post(f"/api/v1/inbound/messages/{three.pk}/discard/").json()["status"] == (
        "discarded"
    )
    again = client.post(f"/api/v1/inbound/messages/{three.pk}/discard/")
    assert again.status_code == 400


def test_api_refuses_another_tenants_organization_and_case(world, tenant_b):
    client = admin_api(world["admin"])
    message = inbound_ingest(tenant=world["tenant"], raw=raw_message(sender="a@b.example")).message
    foreign_org = OrganizationFactory(tenant=tenant_b)
    response = client.post(
        f"/api/v1/inbound/messages/{message.pk}/assign/", {"organization": foreign_org.pk}
    )
    assert response.status_code == 400
    from tests.factories import CaseFactory

    foreign_case = CaseFactory(organization=foreign_org)
    response = client.post(
        f"/api/v1/inbound/messages/{message.pk}/attach/", {"case": foreign_case.number}
    )
    assert response.status_code == 400
    message.refresh_from_db()
    assert message.status == InboundStatus.QUARANTINED


@pytest.mark.parametrize("suffix", ["", "raw/"])
def test_api_another_tenants_message_is_404(world, suffix):
    foreign = InboundMessageFactory(tenant=world["admin_b"].tenant)
    response = admin_api(world["admin"]).get(f"/api/v1/inbound/messages/{foreign.pk}/{suffix}")
    assert response.status_code == 404
    post = admin_api(world["admin"]).post(f"/api/v1/inbound/messages/{foreign.pk}/discard/")
    assert post.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == InboundStatus.QUARANTINED


@pytest.mark.parametrize("role", [Role.AGENT, Role.ACCOUNT_MANAGER, Role.CONTACT])
def test_api_is_for_tenant_admins_only(world, role):
    user = world["kari"] if role == Role.CONTACT else UserFactory(tenant=world["tenant"], role=role)
    message = InboundMessageFactory(tenant=world["tenant"])
    client = admin_api(user)
    assert client.get("/api/v1/inbound/messages/").status_code == 403
    assert client.post(f"/api/v1/inbound/messages/{message.pk}/discard/").status_code == 403


# --- the pages -----------------------------------------------------------------------------


def test_pages_list_filter_and_show_a_sanitised_message(client, world):
    html = "<p>Hello <b>desk</b></p><script>alert('x')</script>"
    raw = (
        "From: Stranger <s@x.example>\r\nSubject: Hi there\r\nMessage-ID: <p@x>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n"
        "--B\r\nContent-Type: image/png; name=shot.png\r\nContent-Disposition: attachment; "
        "filename=shot.png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(PNG).decode()
        + "\r\n--B--\r\n"
    ).encode()
    message = inbound_ingest(tenant=world["tenant"], raw=raw).message
    inbound_ingest(tenant=world["tenant"], raw=raw_message(subject="Filed"))  # processed
    client.force_login(world["admin"])

    page = client.get("/config/inbound/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Hi there" in text and "Filed" not in text  # quarantine by default
    assert "Filed" in client.get("/config/inbound/?status=processed").content.decode()
    assert "Hi there" not in client.get("/config/inbound/?reason=bounce").content.decode()

    detail = client.get(f"/config/inbound/{message.pk}/")
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "<b>desk</b>" in body and "alert(" not in body
    assert "shot.png" in body
    download = client.get(f"/config/inbound/{message.pk}/files/0/")
    assert download.status_code == 200 and download.content == PNG
    assert download["Content-Disposition"].startswith("attachment")
    assert client.get(f"/config/inbound/{message.pk}/files/9/").status_code == 404
    assert client.get(f"/config/inbound/{message.pk}/raw/").content == raw


def test_pages_assign_attach_and_discard(client, world):
    client.force_login(world["admin"])
    one = inbound_ingest(tenant=world["tenant"], raw=raw_message(sender="ole@kunde.dk")).message
    response = client.post(
        f"/config/inbound/{one.pk}/assign/", {"organization": world["org"].pk, "email": ""}
    )
    assert response.status_code == 302
    one.refresh_from_db()
    assert one.status == InboundStatus.ASSIGNED and one.case.requester.email == "ole@kunde.dk"

    two = inbound_ingest(
        tenant=world["tenant"], raw=raw_message(sender="s@x.example", message_id="<t@x>")
    ).message
    bad = client.post(f"/config/inbound/{two.pk}/attach/", {"case": "ALP-999999"})
    assert bad.status_code == 400 and "ALP-999999" in bad.content.decode()
    good = client.post(f"/config/inbound/{two.pk}/attach/", {"case": one.case.number})
    assert good.status_code == 302

    three = inbound_ingest(
        tenant=world["tenant"], raw=raw_message(sender="s@x.example", message_id="<u@x>")
    ).message
    assert client.post(f"/config/inbound/{three.pk}/discard/").status_code == 302
    three.refresh_from_db()
    assert three.status == InboundStatus.DISCARDED


def test_pages_manage_mail_domains(client, world, tenant_b):
    client.force_login(world["admin"])
    response = client.post(
        "/config/inbound/domains/", {"organization": world["org"].pk, "domain": "Kunde.DK"}
    )
    assert response.status_code == 302
    row = OrganizationMailDomain.objects.get()
    assert (row.domain, row.tenant) == ("kunde.dk", world["tenant"])
    duplicate = client.post(
        "/config/inbound/domains/", {"organization": world["org"].pk, "domain": "kunde.dk"}
    )
    assert duplicate.status_code == 400
    foreign = MailDomainFactory(organization=OrganizationFactory(tenant=tenant_b))
    foreign_org = client.post(
        "/config/inbound/domains/", {"organization": foreign.organization.pk, "domain": "x.dk"}
    )
    assert foreign_org.status_code == 400
    assert "kunde.dk" in client.get("/config/inbound/domains/").content.decode()
    assert foreign.domain not in client.get("/config/inbound/domains/").content.decode()
    assert client.post(f"/config/inbound/domains/{foreign.pk}/delete/").status_code == 404
    assert client.post(f"/config/inbound/domains/{row.pk}/delete/").status_code == 302
    assert OrganizationMailDomain.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("get", "raw/"),
        ("get", "files/0/"),
        ("post", "assign/"),
        ("post", "attach/"),
        ("post", "discard/"),
    ],
)
def test_pages_another_tenants_message_is_404(client, world, method, path):
    foreign = InboundMessageFactory(tenant=world["admin_b"].tenant)
    client.force_login(world["admin"])
    url = f"/config/inbound/{foreign.pk}/{path}"
    data = {"organization": world["org"].pk, "case": "ALP-000001"} if method == "post" else {}
    response = getattr(client, method)(url, data)
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == InboundStatus.QUARANTINED


@pytest.mark.parametrize("role", [Role.AGENT, Role.ACCOUNT_MANAGER])
def test_pages_are_for_tenant_admins_only(client, world, role):
    message = InboundMessageFactory(tenant=world["tenant"])
    client.force_login(UserFactory(tenant=world["tenant"], role=role))
    assert client.get("/config/inbound/").status_code == 404
    assert client.get(f"/config/inbound/{message.pk}/").status_code == 404
    assert client.get("/config/inbound/domains/").status_code == 404


def test_pages_send_visitors_to_sign_in(client):
    response = client.get("/config/inbound/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
