"""Inbound e-mail under a real contract (Vivant): replies become comments and resume paused
clocks, known contacts file cases, everything else waits in quarantine, never answered;
admins review the quarantine; the command line reads a file or stdin.
"""

from __future__ import annotations

import base64
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from plans.models import Contact, SeverityLevel
from supportdesk.models import Role
from tests.factories import ContactFactory, OrganizationFactory, UserFactory
from tests.factories_inbound import MailDomainFactory, raw_message
from tests.tickets.conftest import contact_in, subscribed
from tickets.cases.services import case_assign, case_file, case_transition
from tickets.inbound import services as inbound
from tickets.inbound.services import (
    inbound_assign,
    inbound_attach,
    inbound_discard,
    inbound_ingest,
    mail_domain_add,
)
from tickets.mail import html_to_text, parse_message, sanitize_html, strip_signature, trim_reply
from tickets.models import (
    Attachment,
    CasePause,
    CaseStatus,
    Channel,
    EventKind,
    InboundMessage,
    InboundReason,
    InboundStatus,
)


@pytest.fixture
def vivant(load_pack):
    tenant = load_pack("vivant")
    organization = subscribed(tenant, "fixed_price", name="Kunde A/S")
    kari = contact_in(organization)
    kari.user.email = "kari@kunde.dk"
    kari.user.first_name = "Kari"
    kari.user.save()
    return {
        "tenant": tenant,
        "org": organization,
        "kari": kari.user,
        "agent": UserFactory(tenant=tenant, role=Role.AGENT),
        "admin": UserFactory(tenant=tenant, role=Role.TENANT_ADMIN),
    }


def _paused_case(world):
    case = case_file(
        actor=world["kari"],
        organization=world["org"],
        requester=world["kari"],
        severity=SeverityLevel.objects.get(tenant=world["tenant"], key="critical_fault"),
        subject="Mail is down",
        description="Outlook cannot connect.",
    )
    case = case_assign(case=case, assignee=world["agent"], actor=world["agent"])
    return case_transition(case=case, to=CaseStatus.AWAITING_CUSTOMER, actor=world["agent"])


REPLY_BODY = (
    "It works again after the restart.\n"
    "\n"
    "Den 7. apr. 2026 kl. 09.15 skrev Vivant Support <support@vivant.dk>:\n"
    "> Please restart the machine and tell us.\n"
    "> \n"
    "> -- \n"
    "> Vivant\n"
)


# --- routing -------------------------------------------------------------------------------


def test_reply_with_case_tag_becomes_a_comment_and_resumes_the_paused_clock(vivant):
    case = _paused_case(vivant)
    assert case.pauses.filter(ended_at__isnull=True).exists()
    raw = raw_message(subject=f"SV: [{case.number}] Mail is down", body=REPLY_BODY)

    result = inbound_ingest(tenant=vivant["tenant"], raw=raw)

    assert result.outcome == "comment"
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert not CasePause.objects.filter(case=case, ended_at__isnull=True).exists()
    reply = case.events.filter(kind=EventKind.REPLY).get()
    assert reply.actor == vivant["kari"]
    assert reply.body == "It works again after the restart."  # history trimmed
    message = result.message
    assert (message.status, message.case, message.organization) == (
        InboundStatus.PROCESSED,
        case,
        vivant["org"],
    )


def test_reply_found_by_references_and_in_reply_to(vivant):
    case = _paused_case(vivant)
    number = int(case.number.split("-")[1])
    raw = raw_message(
        subject="Re: Mail is down",
        body="Thanks, fixed.",
        headers=f"In-Reply-To: <unrelated@example.com>\r\n"
        f"References: <case-{number}@desk.example> <case-{number}-2@desk.example>",
    )
    assert inbound_ingest(tenant=vivant["tenant"], raw=raw).outcome == "comment"
    raw = raw_message(
        subject="Re: Mail is down",
        body="One more thing.",
        message_id="<m2@kunde.dk>",
        headers=f"In-Reply-To: <case-{case.number}-7@desk.example>",
    )
    assert inbound_ingest(tenant=vivant["tenant"], raw=raw).outcome == "comment"
    bodies = list(case.events.filter(kind=EventKind.REPLY).values_list("body", flat=True))
    assert bodies == ["Thanks, fixed.", "One more thing."]


def test_mail_from_a_known_contact_files_a_case_for_its_organisation(vivant):
    raw = raw_message(subject="Printer on floor 2 is down", body="Error 49.\n\n-- \nKari")
    result = inbound_ingest(tenant=vivant["tenant"], raw=raw)

    assert result.outcome == "case"
    case = result.message.case
    assert (case.organization, case.requester, case.channel) == (
        vivant["org"],
        vivant["kari"],
        Channel.EMAIL,
    )
    assert case.severity.key == "change_request"  # Vivant's least severe level
    assert case.case_type is None
    assert case.subject == "Printer on floor 2 is down"
    assert case.description == "Error 49."  # signature trimmed; the full text stays stored
    assert "Kari" in result.message.summary["text"]
    assert case.events.get(kind=EventKind.CREATED).actor == vivant["kari"]


def test_sender_address_matches_case_insensitively(vivant):
    raw = raw_message(sender="KARI@Kunde.DK", subject="Hello")
    assert inbound_ingest(tenant=vivant["tenant"], raw=raw).outcome == "case"


def test_unknown_sender_at_a_mapped_customer_domain_waits_for_an_admin(vivant):
    mail_domain_add(organization=vivant["org"], domain="@Kunde.dk")
    raw = raw_message(sender="ole@mail.kunde.dk", subject="VPN fails")
    message = inbound_ingest(tenant=vivant["tenant"], raw=raw).message

    assert (message.status, message.reason) == (
        InboundStatus.QUARANTINED,
        InboundReason.UNKNOWN_AT_DOMAIN,
    )
    assert message.organization == vivant["org"]
    assert "Kunde A/S" in message.detail
    assert not Contact.objects.filter(user__email="ole@mail.kunde.dk").exists()


def test_unknown_sender_is_quarantined(vivant):
    message = inbound_ingest(
        tenant=vivant["tenant"], raw=raw_message(sender="someone@elsewhere.example")
    ).message
    assert (message.status, message.reason, message.case) == (
        InboundStatus.QUARANTINED,
        InboundReason.UNKNOWN_SENDER,
        None,
    )


def test_reply_from_someone_not_on_the_case_is_quarantined(vivant):
    case = _paused_case(vivant)
    other = ContactFactory(organization=subscribed(vivant["tenant"], "fixed_price"))
    raw = raw_message(sender=other.user.email, subject=f"[{case.number}] me too")
    message = inbound_ingest(tenant=vivant["tenant"], raw=raw).message

    assert message.reason == InboundReason.NOT_ON_CASE
    assert not case.events.filter(kind=EventKind.REPLY).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_CUSTOMER


def test_another_tenants_case_tag_is_not_followed(vivant, tenant_b):
    case = _paused_case(vivant)
    raw = raw_message(subject=f"[{case.number}] hello")
    message = inbound_ingest(tenant=tenant_b, raw=raw).message
    assert message.reason == InboundReason.UNKNOWN_SENDER
    assert not case.events.filter(kind=EventKind.REPLY).exists()


def test_auto_reply_never_becomes_a_comment(vivant):
    case = _paused_case(vivant)
    raw = raw_message(
        subject=f"Automatisk svar: [{case.number}] Mail is down",
        body="Jeg er på ferie.",
        headers="Auto-Submitted: auto-replied",
    )
    result = inbound_ingest(tenant=vivant["tenant"], raw=raw)

    assert (result.outcome, result.message.reason) == ("quarantined", InboundReason.AUTO_REPLY)
    assert result.message.case is None
    assert not case.events.filter(kind=EventKind.REPLY).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_CUSTOMER  # still paused


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("X-Autoreply: yes", InboundReason.AUTO_REPLY),
        ("Precedence: bulk", InboundReason.BULK),
        ("Precedence: list", InboundReason.BULK),
        ("Return-Path: <>", InboundReason.AUTO_REPLY),
    ],
)
def test_loop_protection_headers_quarantine_mail_from_known_contacts(vivant, headers, reason):
    message = inbound_ingest(tenant=vivant["tenant"], raw=raw_message(headers=headers)).message
    assert (message.status, message.reason) == (InboundStatus.QUARANTINED, reason)


def test_mailer_daemon_is_a_bounce(vivant):
    raw = raw_message(sender="MAILER-DAEMON@mx.kunde.dk", subject="Undelivered Mail")
    assert inbound_ingest(tenant=vivant["tenant"], raw=raw).message.reason == "bounce"


def test_mail_from_desk_staff_is_not_acted_on(vivant):
    raw = raw_message(sender=vivant["agent"].email)
    assert inbound_ingest(tenant=vivant["tenant"], raw=raw).message.reason == "staff_sender"


def test_reply_to_a_resolved_case_reopens_it_and_to_a_closed_case_files_a_follow_up(vivant):
    case = _paused_case(vivant)
    case = case_transition(case=case, to=CaseStatus.RESOLVED, actor=vivant["agent"])
    raw = raw_message(subject=f"Re: [{case.number}]", body="It broke again.")
    assert inbound_ingest(tenant=vivant["tenant"], raw=raw).outcome == "reopened"
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED

    case = case_transition(case=case, to=CaseStatus.RESOLVED, actor=vivant["agent"])
    case_transition(case=case, to=CaseStatus.CLOSED, actor=vivant["agent"])
    raw = raw_message(subject=f"Re: [{case.number}]", body="Again!", message_id="<m9@kunde.dk>")
    result = inbound_ingest(tenant=vivant["tenant"], raw=raw)
    assert result.outcome == "case"
    assert result.message.case != case
    assert case.number in result.message.case.description


def test_duplicate_ingestion_creates_nothing_new(vivant):
    raw = raw_message(subject="Once")
    first = inbound_ingest(tenant=vivant["tenant"], raw=raw)
    second = inbound_ingest(tenant=vivant["tenant"], raw=raw)
    assert (first.outcome, second.outcome) == ("case", "duplicate")
    assert second.message.pk == first.message.pk
    assert InboundMessage.objects.count() == 1
    assert first.message.case.organization.cases.count() == 1

    no_id = raw_message(subject="No id", message_id=None, sender="x@y.example")
    assert inbound_ingest(tenant=vivant["tenant"], raw=no_id).outcome == "quarantined"
    assert inbound_ingest(tenant=vivant["tenant"], raw=no_id).outcome == "duplicate"
    assert InboundMessage.objects.count() == 2


def test_the_same_message_may_reach_two_tenants(vivant, tenant_b):
    raw = raw_message(sender="x@y.example")
    inbound_ingest(tenant=vivant["tenant"], raw=raw)
    assert inbound_ingest(tenant=tenant_b, raw=raw).outcome == "quarantined"
    assert InboundMessage.objects.count() == 2


def test_empty_message_is_refused(vivant):
    with pytest.raises(ValidationError):
        inbound_ingest(tenant=vivant["tenant"], raw=b"  \r\n")


def test_oversized_mail_is_kept_in_quarantine(vivant, monkeypatch):
    monkeypatch.setattr(inbound, "MAX_MESSAGE_BYTES", 1000)
    monkeypatch.setattr(inbound, "KEEP_WHOLE_BYTES", 2000)
    monkeypatch.setattr(inbound, "TRUNCATED_KEEP_BYTES", 600)
    raw = raw_message(body="x" * 1500)
    message = inbound_ingest(tenant=vivant["tenant"], raw=raw).message
    assert (message.reason, message.truncated, bytes(message.raw)) == ("oversized", False, raw)

    huge = raw_message(body="y" * 3000, message_id="<huge@kunde.dk>")
    message = inbound_ingest(tenant=vivant["tenant"], raw=huge).message
    assert (message.reason, message.truncated, message.size) == ("oversized", True, len(huge))
    assert bytes(message.raw) == huge[:600]
    assert message.message_id == "<huge@kunde.dk>"


def test_malformed_mail_without_headers_is_quarantined(vivant):
    message = inbound_ingest(tenant=vivant["tenant"], raw=b"just some words\nno headers\n").message
    assert message.reason in ("malformed", "no_sender")
    assert bytes(message.raw) == b"just some words\nno headers\n"


# --- bodies and attachments ----------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _multipart(parts: list[str], subject="Screenshots", extra="") -> bytes:
    boundary = "XYZ"
    body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--\r\n"
    head = (
        "From: Kari <kari@kunde.dk>\r\nTo: support@desk.example\r\n"
        f"Subject: {subject}\r\nMessage-ID: <mp-{subject}@kunde.dk>\r\nMIME-Version: 1.0\r\n"
        f'{extra}Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
    )
    return (head + body).encode()


def _file_part(name: str, content_type: str, data: bytes, disposition="attachment") -> str:
    encoded = base64.b64encode(data).decode()
    return (
        f'Content-Type: {content_type}; name="{name}"\r\n'
        f'Content-Disposition: {disposition}; filename="{name}"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}"
    )


def test_attachments_are_kept_and_refused_ones_named(vivant):
    raw = _multipart(
        [
            "Content-Type: text/plain; charset=utf-8\r\n\r\nSee the screenshot.",
            _file_part("../../etc/screen.png", "image/png", PNG),
            _file_part("tool.exe", "application/octet-stream", b"MZ\x90\x00" + b"\x00" * 40),
        ]
    )
    result = inbound_ingest(tenant=vivant["tenant"], raw=raw)
    case = result.message.case
    files = list(Attachment.objects.filter(case=case))
    assert [(f.original_name, f.content_type) for f in files] == [("screen.png", "image/png")]
    # Written in the tenant's language (Vivant: Danish).
    assert "tool.exe" in case.description and "Ikke vedhæftet" in case.description
    assert result.message.attachment_count == 2
    assert [f["filename"] for f in result.message.summary["files"]] == [
        "../../etc/screen.png",
        "tool.exe",
    ]


def test_html_only_mail_is_sanitised(vivant):
    html = (
        "<html><head><script>steal()</script><style>p{}</style></head><body>"
        '<p onclick="x()">Printer <b>broken</b></p><img src="http://tracker.example/p.gif">'
        '<a href="javascript:alert(1)">click</a><blockquote>old text</blockquote></body></html>'
    )
    raw = (
        "From: kari@kunde.dk\r\nSubject: HTML\r\nMessage-ID: <h@kunde.dk>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
    ).encode()
    result = inbound_ingest(tenant=vivant["tenant"], raw=raw)
    summary = result.message.summary
    assert summary["has_html"]
    for unsafe in ("<script", "steal", "onclick", "javascript:", "tracker.example", "<style"):
        assert unsafe not in summary["html"]
    assert "<b>broken</b>" in summary["html"]
    assert "Printer broken" in result.message.case.description
    assert "steal" not in result.message.case.description


def test_quoted_text_and_signatures_are_trimmed():
    outlook_da = (
        "Tak, det virker nu.\n\nMed venlig hilsen\nOle\n\n"
        "Fra: Vivant Support <support@vivant.dk>\nSendt: 7. april 2026 09:15\n"
        "Til: Ole <ole@kunde.dk>\nEmne: Printer\n\nGenstart printeren.\n"
    )
    assert trim_reply(outlook_da) == "Tak, det virker nu.\n\nMed venlig hilsen\nOle"
    outlook_sv = (
        "Det fungerar.\n\nFrån: Synerity <support@synerity.se>\nSkickat: den 7 april 2026\n"
        "Till: Eva\nÄmne: Fel\n\nStarta om.\n"
    )
    assert trim_reply(outlook_sv) == "Det fungerar."
    gmail_nb = (
        "Ja, i dag.\n\ntir. 7. apr. 2026 kl. 09:15 skrev Vivant Support <\n"
        "support@vivant.dk>:\n\n> Passer det i dag?\n"
    )
    assert trim_reply(gmail_nb) == "Ja, i dag."
    original = "Hello\n\n-----Original Message-----\nFrom: x\nOld stuff\n"
    assert trim_reply(original) == "Hello"
    mobile = "Kommer straks.\n\nSendt fra min iPhone"
    assert trim_reply(mobile) == "Kommer straks."
    assert strip_signature("Hi\n-- \nOle Olsen\nKunde A/S") == "Hi"
    # A forwarded message is what the customer wants read: it stays.
    forward = "See below.\n\n---------- Forwarded message ---------\nFrom: bank\nError 7"
    assert "Error 7" in trim_reply(forward)
    # A mail that is nothing but quotation keeps its text rather than losing it.
    assert trim_reply("> only quoted\n> text") == "> only quoted\n> text"


def test_html_to_text_marks_blockquotes_as_quoted():
    text = html_to_text(sanitize_html("<p>New</p><blockquote><p>Old</p></blockquote>"))
    assert trim_reply(text) == "New"


def test_parse_never_raises_on_garbage():
    for raw in (b"", b"\x00\xff" * 50, b"Content-Type: multipart/mixed\r\n\r\n--", b":::\r\n\r\n"):
        parsed = parse_message(raw)
        assert parsed.size == len(raw)


# --- quarantine review ---------------------------------------------------------------------


def test_assign_creates_the_contact_and_files_the_case(vivant):
    MailDomainFactory(organization=vivant["org"], domain="kunde.dk")
    raw = _multipart(
        [
            "Content-Type: text/plain; charset=utf-8\r\n\r\nVPN fails since Monday.",
            _file_part("error.png", "image/png", PNG),
        ],
        subject="VPN",
        extra="",
    ).replace(b"Kari <kari@kunde.dk>", b"Ole Hansen <ole@kunde.dk>")
    message = inbound_ingest(tenant=vivant["tenant"], raw=raw).message
    assert message.reason == InboundReason.UNKNOWN_AT_DOMAIN

    case = inbound_assign(message=message, actor=vivant["admin"], organization=vivant["org"])

    contact = Contact.objects.get(user__email="ole@kunde.dk")
    assert (contact.organization, contact.role, contact.user.role) == (
        vivant["org"],
        "user",
        Role.CONTACT,
    )
    assert contact.user.first_name == "Ole" and contact.user.last_name == "Hansen"
    assert (case.requester, case.channel, case.subject) == (contact.user, "email", "VPN")
    assert "VPN fails since Monday." in case.description
    assert case.attachments.count() == 1
    message.refresh_from_db()
    assert (message.status, message.case, message.reviewed_by) == (
        InboundStatus.ASSIGNED,
        case,
        vivant["admin"],
    )
    with pytest.raises(ValidationError):  # handled once
        inbound_assign(message=message, actor=vivant["admin"], organization=vivant["org"])


def test_assign_refuses_a_contact_of_another_customer(vivant):
    other = subscribed(vivant["tenant"], "fixed_price", name="Other ApS")
    raw = raw_message(headers="Auto-Submitted: auto-replied")  # from Kari, quarantined
    message = inbound_ingest(tenant=vivant["tenant"], raw=raw).message
    with pytest.raises(ValidationError) as error:
        inbound_assign(message=message, actor=vivant["admin"], organization=other)
    assert "organization" in error.value.message_dict


def test_only_tenant_admins_review(vivant):
    message = inbound_ingest(tenant=vivant["tenant"], raw=raw_message(sender="a@b.example")).message
    with pytest.raises(PermissionError):
        inbound_discard(message=message, actor=vivant["agent"])


def test_attach_to_a_case_as_reply_or_as_internal_note(vivant):
    case = _paused_case(vivant)
    stranger = inbound_ingest(
        tenant=vivant["tenant"], raw=raw_message(sender="boss@other.example", body="Hurry up")
    ).message
    event = inbound_attach(message=stranger, actor=vivant["admin"], case=case)
    assert (event.kind, event.public, event.actor) == (EventKind.NOTE, False, vivant["admin"])
    assert "boss@other.example" in event.body and "Hurry up" in event.body

    own = inbound_ingest(
        tenant=vivant["tenant"],
        raw=raw_message(body="Done.", headers="Precedence: bulk", message_id="<b@kunde.dk>"),
    ).message
    event = inbound_attach(message=own, actor=vivant["admin"], case=case)
    assert (event.kind, event.actor, event.body) == (EventKind.REPLY, vivant["kari"], "Done.")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN  # the customer's answer resumed the clock


def test_discard_keeps_the_message(vivant):
    message = inbound_ingest(tenant=vivant["tenant"], raw=raw_message(sender="a@b.example")).message
    inbound_discard(message=message, actor=vivant["admin"])
    message.refresh_from_db()
    assert message.status == InboundStatus.DISCARDED and bytes(message.raw)
    with pytest.raises(ValidationError):
        inbound_discard(message=message, actor=vivant["admin"])
    # A discarded message can still be assigned later.
    case = inbound_assign(message=message, actor=vivant["admin"], organization=vivant["org"])
    assert case.requester.email == "a@b.example"


def test_refused_by_the_contract_waits_for_an_admin(load_pack):
    """Mobilise asks contacts for event, affected users, what was tried and a screenshot:
    a bare mail cannot meet that, so it is quarantined with the reasons; an admin files it."""
    tenant = load_pack("mobilise")
    organization = subscribed(tenant, "standard")
    contact = contact_in(organization, trained_admin=True)
    admin = UserFactory(tenant=tenant, role=Role.TENANT_ADMIN)
    raw = raw_message(sender=contact.user.email, subject="Sign-up broken")
    message = inbound_ingest(tenant=tenant, raw=raw).message
    assert (message.status, message.reason) == (InboundStatus.QUARANTINED, "refused")
    assert message.detail
    case = inbound_assign(message=message, actor=admin, organization=organization)
    assert case.requester == contact.user and case.status == CaseStatus.NEW


def test_mail_domains_are_unique_per_tenant(vivant, tenant_b):
    mail_domain_add(organization=vivant["org"], domain="kunde.dk")
    with pytest.raises(ValidationError):
        mail_domain_add(organization=subscribed(vivant["tenant"], "fixed_price"), domain="KUNDE.dk")
    with pytest.raises(ValidationError):
        mail_domain_add(organization=vivant["org"], domain="not a domain")
    mail_domain_add(organization=OrganizationFactory(tenant=tenant_b), domain="kunde.dk")


# --- the command ---------------------------------------------------------------------------


def test_command_reads_a_file(vivant, tmp_path):
    path = tmp_path / "mail.eml"
    path.write_bytes(raw_message(subject="From a file"))
    out = io.StringIO()
    call_command("ingest_email", str(path), tenant="vivant", stdout=out)
    assert out.getvalue().startswith("case: case VIV-")
    assert InboundMessage.objects.get().source == "command"


def test_command_reads_stdin(vivant, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(raw_message(sender="a@b.example")))
    monkeypatch.setattr("sys.stdin", stdin)
    out = io.StringIO()
    call_command("ingest_email", tenant="vivant", stdout=out)
    assert out.getvalue().startswith("quarantined (unknown_sender)")
    assert len(out.getvalue().strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "options", "words"),
    [
        (["x.eml"], {"tenant": "nope"}, "Unknown tenant"),
        (["/nonexistent/mail.eml"], {"tenant": "vivant"}, "Cannot read"),
    ],
)
def test_command_errors_are_one_readable_line(vivant, args, options, words):
    with pytest.raises(CommandError) as error:
        call_command("ingest_email", *args, **options)
    assert words in str(error.value) and "\n" not in str(error.value)


def test_command_refuses_an_empty_message(vivant, tmp_path):
    path = tmp_path / "empty.eml"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="empty"):
        call_command("ingest_email", str(path), tenant="vivant")


@pytest.mark.parametrize(
    ("subject", "automatic"),
    [
        ("Automatisk svar: Printer", True),
        ("Automatiskt svar: Skrivare", True),
        ("Out of Office AutoReply: Invoice", True),
        ("Fraværende medarbejder kan ikke logge ind", False),
        ("Re: Automatic reply from the server is wrong", False),
    ],
)
def test_autoresponder_subjects_without_headers(subject, automatic):
    parsed = parse_message(raw_message(subject=subject))
    assert parsed.is_auto_reply is automatic


def test_nul_bytes_and_raw_8bit_never_reach_the_database_as_such(vivant):
    raw = (
        b"From: kari@kunde.dk\r\nSubject: Nul\x00 \xff\xfe here\r\nMessage-ID: <nul@kunde.dk>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nbody with \x00 NUL and \xc3\x28 junk\r\n"
    )
    message = inbound_ingest(tenant=vivant["tenant"], raw=raw).message
    message.refresh_from_db()
    assert bytes(message.raw) == raw
    assert "\x00" not in message.subject and "\x00" not in message.summary["text"]
    assert "NUL" in message.case.description
