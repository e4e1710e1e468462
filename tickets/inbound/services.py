"""Inbound e-mail: ingestion (mail → comment, case or quarantine) and the quarantine review.

Services write, selectors read; the management command, the HTTP endpoint, the quarantine
pages and their API only call these.

- Every message is stored byte for byte before anything else happens (`InboundMessage`),
  once per tenant: the same Message-ID (or, without one, the same bytes) again is a
  duplicate and changes nothing.
- A reply — the case tag `[VIV-000123]` in the subject, or an `In-Reply-To`/`References`
  id `<case-…@…>` of the desk's own notifications — from a contact of the case's customer
  becomes a comment (resuming a paused clock); a reply to a resolved case reopens it; a
  reply to a closed case files a follow-up case.
- Other mail from a known contact files a case for the contact's organisation.
- Comments and cases carry the new text only (quoted history and signature trimmed, HTML
  read as text after nh3 sanitising); the whole message stays stored. Attachments are
  checked by content (`tickets.filing`); a refused one is named in the text, never dropped
  silently, and stays in the stored message.
- Everything else goes to the quarantine, with its reason, and is never answered: automatic
  replies, bounces, bulk mail, malformed or oversized mail, unknown senders (noting the
  customer whose mail domain they write from), staff, and mail the case rules refuse.
- Tenant admins review the quarantine: assign to a customer (creating the contact), attach
  to an existing case, or discard (kept, marked discarded).
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from plans.models import Contact, CustomerOrganization, SeverityLevel
from plans.services import contact_create
from supportdesk.models import Role, Tenant, User
from tickets.cases import services
from tickets.cases.attachments import MAX_ATTACHMENTS, attachment_check
from tickets.mail import MAX_MESSAGE_BYTES, MailFile, ParsedMail, parse_message
from tickets.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    EventKind,
    InboundMessage,
    InboundReason,
    InboundSource,
    InboundStatus,
    OrganizationMailDomain,
)

# Above MAX_MESSAGE_BYTES a message is quarantined as oversized; up to this size it is still
# kept whole, beyond it only its first TRUNCATED_KEEP_BYTES (headers and the start).
KEEP_WHOLE_BYTES = 2 * MAX_MESSAGE_BYTES
TRUNCATED_KEEP_BYTES = 1024 * 1024
SUBJECT_MAX = 200
CASE_MESSAGE_ID = re.compile(
    r"^<case-(?:(?P<prefix>[A-Za-z]{2,8})-)?(?P<number>\d+)(?:-\d+)?@[^<>@\s]+>$"
)
REVIEWABLE = frozenset({InboundStatus.QUARANTINED, InboundStatus.DISCARDED})


class Outcome:
    COMMENT = "comment"
    REOPENED = "reopened"
    CASE = "case"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"


@dataclass
class IngestResult:
    message: InboundMessage
    outcome: str
    classification: dict = field(default_factory=dict)

    @property
    def duplicate(self) -> bool:
        return self.outcome == Outcome.DUPLICATE

    def as_dict(self) -> dict:
        message = self.message
        return {
            "outcome": self.outcome,
            "id": message.pk,
            "status": message.status,
            "reason": message.reason,
            "detail": message.detail,
            "case": message.case.number if message.case_id else None,
            "from": message.sender,
            "subject": message.subject,
            "message_id": message.message_id,
            "is_auto_reply": message.is_auto_reply,
            "is_bounce": message.is_bounce,
            "is_bulk": bool(self.classification.get("is_bulk")),
            "attachment_count": message.attachment_count,
        }

    def line(self) -> str:
        """One line for people: the command prints it."""
        return " ".join(self._words().split())

    def _words(self) -> str:
        message = self.message
        if self.outcome == Outcome.DUPLICATE:
            return _("duplicate: message %(id)s was received before (%(status)s)") % {
                "id": message.pk,
                "status": message.get_status_display(),
            }
        if self.outcome == Outcome.QUARANTINED:
            return _("quarantined (%(reason)s): message %(id)s. %(detail)s") % {
                "reason": message.reason,
                "id": message.pk,
                "detail": message.detail,
            }
        return _("%(outcome)s: case %(case)s, message %(id)s") % {
            "outcome": self.outcome,
            "case": message.case.number if message.case_id else "—",
            "id": message.pk,
        }


@dataclass
class _Route:
    status: str
    reason: str = ""
    detail: str = ""
    case: Case | None = None
    organization: CustomerOrganization | None = None
    outcome: str = Outcome.QUARANTINED


def _quarantine(reason: str, detail: str, **extra) -> _Route:
    return _Route(status=InboundStatus.QUARANTINED, reason=reason, detail=detail, **extra)


# --- pure helpers --------------------------------------------------------------------------


def referenced_case_numbers(*, tenant: Tenant, parsed: ParsedMail) -> list[str]:
    """Case numbers a message refers to: the subject's tag first, then the thread headers
    (In-Reply-To before References, newest reference first)."""
    numbers: list[str] = []
    prefix = re.escape(tenant.case_prefix)
    for match in re.finditer(rf"\[{prefix}-(\d{{1,12}})\]", parsed.subject or "", re.I):
        numbers.append(f"{tenant.case_prefix}-{int(match.group(1)):06d}")
    for message_id in [*parsed.in_reply_to, *reversed(parsed.references)]:
        match = CASE_MESSAGE_ID.match(message_id)
        if match is None:
            continue
        if match.group("prefix") and match.group("prefix").upper() != tenant.case_prefix:
            continue
        numbers.append(f"{tenant.case_prefix}-{int(match.group('number')):06d}")
    return list(dict.fromkeys(numbers))


def _safe_filename(part: MailFile) -> str:
    """A storage-safe name: no directories (`../../x`), no control characters."""
    name = part.filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().strip(".").strip()
    if part.content_type.startswith("message/") and name and "." not in name:
        name += ".eml"
    if not name:
        extension = (
            ".eml"
            if part.content_type.startswith("message/")
            else mimetypes.guess_extension(part.content_type) or ".bin"
        )
        name = f"attachment-{part.index + 1}{extension}"
    if len(name) > 150:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[:140]}.{extension[:8]}" if dot and len(extension) <= 8 else name[:150]
    return name


@dataclass
class _Files:
    accepted: list[SimpleUploadedFile]
    refused: list[dict]

    def note(self) -> str:
        if not self.refused:
            return ""
        names = "; ".join(f"{item['filename']} ({item['error']})" for item in self.refused)
        return _("Not attached (kept with the original e-mail): %(files)s") % {"files": names}


def _files(parsed: ParsedMail) -> _Files:
    """Every file part checked by content; refused ones are listed, never silently dropped."""
    accepted: list[SimpleUploadedFile] = []
    refused: list[dict] = []
    for part in parsed.files:
        name = _safe_filename(part)
        upload = SimpleUploadedFile(name, part.data, content_type=part.content_type)
        try:
            attachment_check(upload)
        except ValidationError as exc:
            refused.append({"index": part.index, "filename": name, "error": " ".join(exc.messages)})
            continue
        if len(accepted) >= MAX_ATTACHMENTS:
            refused.append(
                {
                    "index": part.index,
                    "filename": name,
                    "error": _("more than %(n)s files") % {"n": MAX_ATTACHMENTS},
                }
            )
            continue
        accepted.append(upload)
    return _Files(accepted, refused)


def _text_with_note(text: str, files: _Files) -> str:
    text = text.strip()
    if not text:
        text = (
            _("(The e-mail had no text; see the attachments.)")
            if files.accepted or files.refused
            else _("(The e-mail had no text.)")
        )
    note = files.note()
    return f"{text}\n\n{note}" if note else text


def _case_subject(parsed: ParsedMail) -> str:
    subject = " ".join((parsed.subject or "").split())
    if not subject:
        subject = _("E-mail from %(sender)s") % {"sender": parsed.sender or _("unknown sender")}
    return subject[:SUBJECT_MAX]


def _reply_text(parsed: ParsedMail) -> str:
    return parsed.body if parsed.body.strip() else parsed.text


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(str(m) for messages in exc.message_dict.values() for m in messages)
    return " ".join(exc.messages)


# --- selectors -----------------------------------------------------------------------------


def least_severe_level(*, tenant: Tenant) -> SeverityLevel | None:
    return SeverityLevel.objects.for_tenant(tenant).order_by("-rank").first()


def contact_by_address(*, tenant: Tenant, address: str) -> Contact | None:
    if not address:
        return None
    return (
        Contact.objects.for_tenant(tenant)
        .select_related("user", "organization")
        .filter(user__email__iexact=address.strip(), user__is_active=True)
        .first()
    )


def organization_for_domain(*, tenant: Tenant, address: str) -> CustomerOrganization | None:
    """The customer whose mail domain the address is at (sub-domains included)."""
    domain = address.rsplit("@", 1)[-1].strip().lower().rstrip(".") if "@" in address else ""
    labels = domain.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    if not candidates:
        return None
    match = (
        OrganizationMailDomain.objects.for_tenant(tenant)
        .select_related("organization")
        .filter(domain__in=candidates)
    )
    return max(match, key=lambda row: len(row.domain)).organization if match else None


def inbound_list(
    *, actor: User, status: str | None = None, reason: str | None = None
) -> QuerySet[InboundMessage]:
    """A tenant admin's view of received mail, newest first, without the raw bytes."""
    if not actor.is_authenticated or actor.role != Role.TENANT_ADMIN or not actor.tenant_id:
        return InboundMessage.objects.none()
    qs = (
        InboundMessage.objects.for_tenant(actor.tenant)
        .defer("raw", "summary")
        .select_related("case", "organization", "reviewed_by")
    )
    if status:
        qs = qs.filter(status=status)
    if reason:
        qs = qs.filter(reason=reason)
    return qs.order_by("-received_at", "-pk")


def inbound_get(*, actor: User, pk: int) -> InboundMessage:
    """One message of the admin's tenant; anything else raises DoesNotExist (→ 404)."""
    if not actor.is_authenticated or actor.role != Role.TENANT_ADMIN or not actor.tenant_id:
        raise InboundMessage.DoesNotExist
    return (
        InboundMessage.objects.for_tenant(actor.tenant)
        .select_related("case", "organization", "reviewed_by")
        .get(pk=pk)
    )


def inbound_file_part(*, message: InboundMessage, index: int) -> tuple[str, str, bytes]:
    """(filename, declared type, bytes) of one file part of a stored message."""
    parsed = parse_message(bytes(message.raw))
    for part in parsed.files:
        if part.index == index:
            return _safe_filename(part), part.content_type, part.data
    raise InboundMessage.DoesNotExist


def inbound_counts(*, actor: User) -> dict[str, int]:
    """Quarantined messages per reason, for the list's filters."""
    rows = (
        inbound_list(actor=actor, status=InboundStatus.QUARANTINED)
        .order_by()
        .values("reason")
        .annotate(n=Count("pk"))
    )
    return {row["reason"]: row["n"] for row in rows}


# --- ingestion -----------------------------------------------------------------------------


def _deliver_reply(
    *, case: Case, author: User, parsed: ParsedMail, files: _Files
) -> tuple[str, CaseEvent]:
    """The contact's mail on its case: a comment, or the reopening of a resolved case."""
    body = _text_with_note(_reply_text(parsed), files)
    if case.status == CaseStatus.RESOLVED:
        case = services.case_reopen(case=case, actor=author, body=body, attachments=files.accepted)
        event = case.events.filter(kind=EventKind.REOPENED).order_by("-created_at", "-pk").first()
        return Outcome.REOPENED, event
    event = services.case_reply(case=case, actor=author, body=body, attachments=files.accepted)
    return Outcome.COMMENT, event


def _file_case(
    *, tenant: Tenant, contact: Contact, parsed: ParsedMail, files: _Files, follow_up: str = ""
) -> Case:
    severity = least_severe_level(tenant=tenant)
    if severity is None:
        raise ValidationError(_("The desk has no severity levels to file a case with."))
    description = _text_with_note(_reply_text(parsed), files)
    if follow_up:
        description = _("Follow-up to the closed case %(number)s.") % {"number": follow_up} + (
            "\n\n" + description
        )
    return services.case_file(
        actor=contact.user,
        organization=contact.organization,
        requester=contact.user,
        severity=severity,
        subject=_case_subject(parsed),
        description=description,
        channel=Channel.EMAIL,
        attachments=files.accepted,
    )


def _route(*, tenant: Tenant, parsed: ParsedMail, truncated: bool, size: int) -> _Route:
    if truncated or size > MAX_MESSAGE_BYTES:
        return _quarantine(
            InboundReason.OVERSIZED,
            _("%(size)s MB; the desk takes mail up to %(limit)s MB.")
            % {
                "size": f"{size / 1024 / 1024:.1f}",
                "limit": MAX_MESSAGE_BYTES // (1024 * 1024),
            },
        )
    classification = parsed.classification
    signals = ", ".join(classification.signals)
    if classification.is_bounce:
        return _quarantine(InboundReason.BOUNCE, signals)
    if classification.is_auto_reply:
        return _quarantine(InboundReason.AUTO_REPLY, signals)
    if classification.is_bulk:
        return _quarantine(InboundReason.BULK, signals)
    if parsed.malformed:
        return _quarantine(
            InboundReason.MALFORMED,
            _("Nothing usable could be read: %(defects)s")
            % {"defects": ", ".join(parsed.defects) or _("no headers")},
        )
    sender = parsed.sender.strip()
    if "@" not in sender:
        return _quarantine(InboundReason.NO_SENDER, _("The message names no sender address."))
    staff = User.objects.for_tenant(tenant).staff().filter(email__iexact=sender).exists()
    if staff:
        return _quarantine(
            InboundReason.STAFF_SENDER,
            _("%(sender)s is on the desk's staff; staff answer in the queue.") % {"sender": sender},
        )
    contact = contact_by_address(tenant=tenant, address=sender)
    numbers = referenced_case_numbers(tenant=tenant, parsed=parsed)
    by_number = (
        {c.number: c for c in Case.objects.for_tenant(tenant).filter(number__in=numbers)}
        if numbers
        else {}
    )
    case = next((by_number[n] for n in numbers if n in by_number), None)  # first that exists
    files = _files(parsed)
    if case is not None:
        if contact is None or contact.organization_id != case.organization_id:
            return _quarantine(
                InboundReason.NOT_ON_CASE,
                _("%(sender)s is not a contact of %(customer)s, whose case %(number)s this is.")
                % {"sender": sender, "customer": case.organization, "number": case.number},
                case=case,
                organization=contact.organization if contact else case.organization,
            )
        try:
            with transaction.atomic():
                if case.status == CaseStatus.CLOSED:
                    new = _file_case(
                        tenant=tenant, contact=contact, parsed=parsed, files=files,
                        follow_up=case.number,
                    )  # fmt: skip
                    return _Route(
                        status=InboundStatus.PROCESSED,
                        case=new,
                        organization=contact.organization,
                        outcome=Outcome.CASE,
                        detail=_("A reply to the closed case %(number)s: filed as a new case.")
                        % {"number": case.number},
                    )
                outcome, _event = _deliver_reply(
                    case=case, author=contact.user, parsed=parsed, files=files
                )
        except ValidationError as exc:
            return _quarantine(
                InboundReason.REFUSED,
                _errors(exc),
                case=case,
                organization=contact.organization,
            )
        return _Route(
            status=InboundStatus.PROCESSED,
            case=case,
            organization=contact.organization,
            outcome=outcome,
            detail=files.note(),
        )
    if contact is not None:
        try:
            with transaction.atomic():
                new = _file_case(tenant=tenant, contact=contact, parsed=parsed, files=files)
        except ValidationError as exc:
            return _quarantine(
                InboundReason.REFUSED, _errors(exc), organization=contact.organization
            )
        return _Route(
            status=InboundStatus.PROCESSED,
            case=new,
            organization=contact.organization,
            outcome=Outcome.CASE,
            detail=files.note(),
        )
    organization = organization_for_domain(tenant=tenant, address=sender)
    if organization is not None:
        return _quarantine(
            InboundReason.UNKNOWN_AT_DOMAIN,
            _("%(sender)s is not a contact, but writes from %(customer)s's mail domain.")
            % {"sender": sender, "customer": organization},
            organization=organization,
        )
    return _quarantine(
        InboundReason.UNKNOWN_SENDER,
        _("%(sender)s is not a contact of any customer.") % {"sender": sender},
    )


def _existing(tenant: Tenant, parsed: ParsedMail) -> InboundMessage | None:
    qs = InboundMessage.objects.for_tenant(tenant).defer("raw")
    if parsed.message_id:
        return qs.filter(message_id=parsed.message_id).first()
    return qs.filter(message_id="", sha256=parsed.sha256).first()


def inbound_ingest(
    *,
    tenant: Tenant,
    raw: bytes,
    source: str = InboundSource.COMMAND,
    size: int | None = None,
    received_at: datetime | None = None,
) -> IngestResult:
    """Store one received message and act on it; see the module's docstring.

    `raw` is what arrived; a message larger than KEEP_WHOLE_BYTES keeps only its start
    (callers may pass just that start, with `size` the size that arrived). Raises
    ValidationError only for an empty message: there is nothing to keep.
    """
    if not raw or not raw.strip():
        raise ValidationError(_("The message is empty."))
    size = max(size or 0, len(raw))
    truncated = size > KEEP_WHOLE_BYTES
    if truncated:
        raw = raw[:TRUNCATED_KEEP_BYTES]
    parsed = parse_message(raw)
    existing = _existing(tenant, parsed)
    if existing is not None:
        return IngestResult(existing, Outcome.DUPLICATE, parsed.classification.as_dict())
    with translation.override(tenant.language):
        try:
            with transaction.atomic():
                message = InboundMessage.objects.create(
                    tenant=tenant,
                    raw=raw,
                    truncated=truncated,
                    size=size,
                    sha256=parsed.sha256,
                    message_id=parsed.message_id,
                    sender=parsed.sender[:320],
                    sender_name=parsed.sender_name[:200],
                    subject=(parsed.subject or "")[:500],
                    received_at=received_at or timezone.now(),
                    source=source,
                    status=InboundStatus.QUARANTINED,
                    is_auto_reply=parsed.is_auto_reply,
                    is_bounce=parsed.is_bounce,
                    attachment_count=parsed.attachment_count,
                    summary=parsed.summary(),
                )
                route = _route(tenant=tenant, parsed=parsed, truncated=truncated, size=size)
                message.status = route.status
                message.reason = route.reason
                message.detail = route.detail
                message.case = route.case
                message.organization = route.organization
                message.save(update_fields=["status", "reason", "detail", "case", "organization"])
        except IntegrityError:
            existing = _existing(tenant, parsed)
            if existing is None:
                raise
            return IngestResult(existing, Outcome.DUPLICATE, parsed.classification.as_dict())
    return IngestResult(message, route.outcome, parsed.classification.as_dict())


# --- quarantine review ---------------------------------------------------------------------


def _require_admin(actor: User, message: InboundMessage) -> None:
    if actor.role != Role.TENANT_ADMIN or actor.tenant_id != message.tenant_id:
        raise PermissionError("tenant admins only")


def _reviewable(message: InboundMessage) -> InboundMessage:
    message = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status not in REVIEWABLE:
        raise ValidationError(
            _("This message was handled already (%(status)s).")
            % {"status": message.get_status_display()}
        )
    return message


def _reviewed(message: InboundMessage, actor: User, status: str, **fields) -> InboundMessage:
    message.status = status
    message.reviewed_by = actor
    message.reviewed_at = timezone.now()
    for name, value in fields.items():
        setattr(message, name, value)
    message.save(update_fields=["status", "reviewed_by", "reviewed_at", *fields])
    return message


def _contact_for_assignment(
    *, organization: CustomerOrganization, address: str, name: str
) -> Contact:
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError({"email": _("Give a valid e-mail address.")}) from exc
    tenant = organization.tenant
    contact = contact_by_address(tenant=tenant, address=address)
    if contact is not None:
        if contact.organization_id != organization.pk:
            raise ValidationError(
                {
                    "organization": _("%(address)s is a contact of %(customer)s.")
                    % {"address": address, "customer": contact.organization}
                }
            )
        return contact
    if User.objects.filter(email__iexact=address).exists():
        raise ValidationError({"email": _("This address belongs to another user of the desk.")})
    first, _sep, last = name.strip().partition(" ")
    return contact_create(
        organization=organization, email=address, first_name=first[:150], last_name=last[:150]
    )


@transaction.atomic
def inbound_assign(
    *,
    message: InboundMessage,
    actor: User,
    organization: CustomerOrganization,
    email: str = "",
) -> Case:
    """File a quarantined message as a case of `organization`, for its sender (made a contact
    of that customer when new), with the message's text and attachments."""
    _require_admin(actor, message)
    if organization.tenant_id != message.tenant_id:
        raise ValidationError({"organization": _("Not found.")})
    message = _reviewable(message)
    tenant = message.tenant
    with translation.override(tenant.language):
        address = (email or message.sender).strip().lower()
        parsed = parse_message(bytes(message.raw))
        contact = _contact_for_assignment(
            organization=organization, address=address, name=message.sender_name
        )
        severity = least_severe_level(tenant=tenant)
        if severity is None:
            raise ValidationError(_("The desk has no severity levels to file a case with."))
        files = _files(parsed)
        case = services.case_file(
            actor=actor,
            organization=organization,
            requester=contact.user,
            severity=severity,
            subject=_case_subject(parsed),
            description=_text_with_note(_reply_text(parsed), files),
            channel=Channel.EMAIL,
            attachments=files.accepted,
            filed_at=max(message.received_at, contact.user.date_joined),
        )
        _reviewed(message, actor, InboundStatus.ASSIGNED, case=case, organization=organization)
    return case


@transaction.atomic
def inbound_attach(*, message: InboundMessage, actor: User, case: Case) -> CaseEvent:
    """Add a quarantined message to an existing case: as the sender's reply when the sender
    is a contact of the case's customer, otherwise as an internal note quoting the sender."""
    _require_admin(actor, message)
    if case.tenant_id != message.tenant_id:
        raise ValidationError({"case": _("Not found.")})
    message = _reviewable(message)
    with translation.override(message.tenant.language):
        parsed = parse_message(bytes(message.raw))
        files = _files(parsed)
        contact = contact_by_address(tenant=message.tenant, address=message.sender)
        if contact is not None and contact.organization_id == case.organization_id:
            _outcome, event = _deliver_reply(
                case=case, author=contact.user, parsed=parsed, files=files
            )
        else:
            heading = _("E-mail from %(sender)s: %(subject)s") % {
                "sender": message.sender or _("unknown sender"),
                "subject": message.subject or "—",
            }
            event = services.case_reply(
                case=case,
                actor=actor,
                body=f"{heading}\n\n{_text_with_note(_reply_text(parsed), files)}",
                public=False,
                attachments=files.accepted,
            )
        _reviewed(message, actor, InboundStatus.ASSIGNED, case=case)
    return event


@transaction.atomic
def inbound_discard(*, message: InboundMessage, actor: User) -> InboundMessage:
    """Set a quarantined message aside. It is kept (and may still be assigned later)."""
    _require_admin(actor, message)
    message = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != InboundStatus.QUARANTINED:
        raise ValidationError(_("Only a quarantined message can be discarded."))
    return _reviewed(message, actor, InboundStatus.DISCARDED)


# --- customers' mail domains ---------------------------------------------------------------

DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


@transaction.atomic
def mail_domain_add(*, organization: CustomerOrganization, domain: str) -> OrganizationMailDomain:
    """Recognise `domain` as the customer's own: unknown senders there are flagged as theirs."""
    domain = domain.strip().lstrip("@").rstrip(".").lower()
    if not DOMAIN.match(domain):
        raise ValidationError({"domain": _("Give a mail domain such as kunde.dk.")})
    taken = (
        OrganizationMailDomain.objects.for_tenant(organization.tenant)
        .filter(domain=domain)
        .select_related("organization")
        .first()
    )
    if taken is not None:
        raise ValidationError(
            {
                "domain": _("%(domain)s is mapped to %(customer)s already.")
                % {"domain": domain, "customer": taken.organization}
            }
        )
    return OrganizationMailDomain.objects.create(
        tenant=organization.tenant, organization=organization, domain=domain
    )


def mail_domain_remove(*, row: OrganizationMailDomain) -> None:
    row.delete()


def mail_domain_list(*, actor: User) -> QuerySet[OrganizationMailDomain]:
    if not actor.is_authenticated or actor.role != Role.TENANT_ADMIN or not actor.tenant_id:
        return OrganizationMailDomain.objects.none()
    return (
        OrganizationMailDomain.objects.for_tenant(actor.tenant)
        .select_related("organization")
        .order_by("organization__name", "domain")
    )
