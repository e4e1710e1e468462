"""RFC 822 bytes to the facts the desk acts on. Pure: no Django models, no I/O.

`parse_message(raw)` never raises. It parses with Python's `email` package (the modern
policy first, the lenient compat32 policy when that fails), decodes RFC 2047/2231 headers
and undeclared 8-bit text, picks the text body (plain text preferred, else sanitised
HTML read as text), trims quoted history and signatures, and lists every file-like part.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from tickets.mail.charsets import decode_bytes, decode_header
from tickets.mail.classify import Classification, classify
from tickets.mail.html import html_to_text, sanitize_html
from tickets.mail.trim import trim_reply

MAX_MESSAGE_BYTES = 25 * 1024 * 1024  # larger mail is quarantined as oversized, not used
MAX_DEPTH = 40  # MIME nesting deeper than this is treated as malformed
MAX_PARTS = 500
BODY_TYPES = frozenset({"text/plain", "text/html"})
MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass
class MailFile:
    """A file-like part: an attachment, an inline image, an attached message."""

    index: int  # position among the message's file parts (stable for a given raw message)
    filename: str
    content_type: str  # as declared
    data: bytes
    disposition: str  # "attachment", "inline" or ""
    content_id: str
    counted: bool  # a top-level, non-inline attachment (the manifest's attachment_count)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ParsedMail:
    size: int
    sha256: str
    message_id: str = ""
    sender: str = ""
    sender_name: str = ""
    subject: str | None = None
    date: datetime | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""  # the whole text body
    body: str = ""  # the new text: quoted history and signature trimmed
    html: str = ""  # sanitised HTML body, when the mail had one
    has_html: bool = False
    files: list[MailFile] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    policy: str = "default"
    classification: Classification = field(default_factory=Classification)

    @property
    def attachment_count(self) -> int:
        return sum(1 for part in self.files if part.counted)

    @property
    def attachments(self) -> list[MailFile]:
        return [part for part in self.files if part.counted]

    @property
    def oversized(self) -> bool:
        return self.size > MAX_MESSAGE_BYTES

    @property
    def is_auto_reply(self) -> bool:
        return self.classification.is_auto_reply

    @property
    def is_bounce(self) -> bool:
        return self.classification.is_bounce

    @property
    def malformed(self) -> bool:
        """Parsing problems left nothing to act on: no headers, or no text and no files."""
        if not self.headers:
            return True
        return bool(self.defects) and not (self.text.strip() or self.files)

    def header(self, name: str) -> str:
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), "")

    def summary(self) -> dict:
        """What the desk stores next to the raw bytes (JSON-safe)."""
        return {
            "from": self.sender,
            "from_name": self.sender_name,
            "subject": self.subject,
            "date": self.date.isoformat() if self.date else None,
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": self.references[-20:],
            "headers": [[k, v[:2000]] for k, v in self.headers[:200]],
            "text": self.text,
            "body": self.body,
            "html": self.html,
            "has_html": self.has_html,
            "files": [
                {
                    "index": part.index,
                    "filename": part.filename,
                    "content_type": part.content_type,
                    "size": part.size,
                    "disposition": part.disposition,
                    "counted": part.counted,
                }
                for part in self.files
            ],
            "attachment_count": self.attachment_count,
            "defects": self.defects,
            "policy": self.policy,
            "classification": self.classification.as_dict(),
        }


# --- headers -------------------------------------------------------------------------------


def _raw_headers(message: Message) -> list[tuple[str, str]]:
    try:
        return [(str(name), str(value)) for name, value in message.raw_items()]
    except Exception:  # pragma: no cover - raw_items only reads a list
        return []


def _first_mailbox(raw_value: str, hints: list[str]) -> tuple[str, str]:
    """(addr-spec, display name) of the first mailbox; ("", "") when there is none."""
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", raw_value)
    for name, address in getaddresses([unfolded]):
        address = address.strip()
        if address:
            return decode_header(address, hints).strip(), decode_header(name, hints).strip()
    return "", ""


def _message_ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(value or "")


def _charset_hints(message: Message) -> list[str]:
    hints: list[str] = []
    try:
        for part in message.walk():
            charset = part.get_param("charset")
            if isinstance(charset, tuple):  # RFC 2231 form
                charset = charset[2]
            if charset and str(charset).lower() not in hints:
                hints.append(str(charset).lower())
    except Exception:  # noqa: S110 - hints are optional
        pass
    return hints


# --- body and files ------------------------------------------------------------------------


def _filename(part: Message, hints: list[str]) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        name = ""
    if isinstance(name, tuple):
        name = email.utils.collapse_rfc2231_value(name)
    return decode_header(str(name), hints) if name else ""


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        if isinstance(payload, str):
            return payload.encode("utf-8", "surrogateescape")
        if isinstance(payload, list):  # an attached message: its bytes as sent
            try:
                return payload[0].as_bytes() if payload else b""
            except Exception:
                return str(payload[0]).encode("utf-8", "surrogateescape") if payload else b""
        return b""
    return data


def _message_bytes(part: Message) -> bytes:
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        try:
            return payload[0].as_bytes(policy=email.policy.compat32)
        except Exception:
            return str(payload[0]).encode("utf-8", "surrogateescape")
    return _payload_bytes(part)


def _unflow(text: str, delsp: bool) -> str:
    """RFC 3676 format=flowed: soft line breaks (a trailing space) joined again."""
    out: list[str] = []
    for line in text.split("\n"):
        if out and out[-1].endswith(" ") and out[-1] != "-- ":
            previous = out.pop()
            depth_prev = len(previous) - len(previous.lstrip(">"))
            depth = len(line) - len(line.lstrip(">"))
            if depth_prev == depth:
                content = line[depth:]
                content = content[1:] if content.startswith(" ") else content
                out.append((previous[:-1] if delsp else previous) + content)
                continue
            out.append(previous)
        out.append(line)
    return "\n".join(out)


class _Walker:
    def __init__(self, hints: list[str]) -> None:
        self.hints = hints
        self.files: list[MailFile] = []
        self.html_parts: list[str] = []
        self.has_html = False
        self.parts = 0
        self.too_deep = False

    def _text(self, part: Message) -> str:
        data = _payload_bytes(part)
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        text = decode_bytes(data, charset, self.hints).replace("\r\n", "\n").replace("\r", "\n")
        try:
            if (part.get_param("format") or "").lower() == "flowed":
                text = _unflow(text, (part.get_param("delsp") or "").lower() == "yes")
        except Exception:  # noqa: S110 - unflowing is cosmetic
            pass
        return text

    def _file(self, part: Message, ctype: str, disposition: str, counted: bool) -> None:
        data = _message_bytes(part) if ctype.startswith("message/") else _payload_bytes(part)
        self.files.append(
            MailFile(
                index=len(self.files),
                filename=_filename(part, self.hints),
                content_type=ctype,
                data=data,
                disposition=disposition,
                content_id=(part.get("content-id") or "").strip(),
                counted=counted,
            )
        )

    def walk(self, part: Message, depth: int = 0, related: bool = False) -> tuple[str, bool]:
        """(text of this part, whether it came from text/plain)."""
        self.parts += 1
        if depth > MAX_DEPTH or self.parts > MAX_PARTS:
            self.too_deep = True
            return "", False
        try:
            ctype = part.get_content_type()
        except Exception:
            ctype = "text/plain"
        disposition = _disposition(part)
        if part.is_multipart() and not ctype.startswith("message/"):
            children = [c for c in (part.get_payload() or []) if isinstance(c, Message)]
            if ctype == "multipart/alternative":
                results = [self.walk(child, depth + 1, related) for child in children]
                plain = [text for text, is_plain in results if is_plain and text.strip()]
                if plain:
                    return plain[0], True
                other = [text for text, _is_plain in results if text.strip()]
                return (other[-1] if other else ""), False
            is_related = ctype == "multipart/related"
            texts, all_plain = [], True
            for child in children:
                text, is_plain = self.walk(child, depth + 1, related or is_related)
                if text.strip():
                    texts.append(text.strip("\n"))
                    all_plain = all_plain and is_plain
            return "\n\n".join(texts), bool(texts) and all_plain
        filename = _filename(part, self.hints)
        if (
            ctype in BODY_TYPES
            and disposition != "attachment"
            and (not filename or disposition == "inline")
        ):
            if ctype == "text/plain":
                return self._text(part), True
            raw_html = self._text(part)
            self.has_html = True
            clean = sanitize_html(raw_html)
            self.html_parts.append(clean)
            return html_to_text(clean), False
        if disposition == "attachment":
            counted = True
        elif disposition == "inline":
            counted = False
        else:
            has_cid = bool(part.get("content-id"))
            counted = bool(filename) or not (has_cid and related)
        self._file(part, ctype, disposition, counted)
        return "", False


def _clean(text: str) -> str:
    """Storable text: no NUL characters and no lone surrogates (PostgreSQL refuses both)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _parse_with(raw: bytes, policy) -> Message:
    return email.message_from_bytes(raw, policy=policy)


def parse_message(raw: bytes) -> ParsedMail:
    """Everything the desk needs from one message. Never raises."""
    parsed = ParsedMail(size=len(raw), sha256=hashlib.sha256(raw).hexdigest())
    message = None
    for name, policy in (("default", email.policy.default), ("compat32", email.policy.compat32)):
        try:
            message = _parse_with(raw, policy)
            walker = _Walker(_charset_hints(message))
            text, _is_plain = walker.walk(message)
            parsed.policy = name
            break
        except Exception as exc:  # the modern policy raises on some broken headers
            parsed.defects.append(f"{name} policy: {type(exc).__name__}: {exc}"[:300])
            message = None
    if message is None:
        return parsed
    hints = walker.hints
    parsed.defects += [type(defect).__name__ for defect in getattr(message, "defects", [])]
    for part in message.walk() if walker.parts < MAX_PARTS else ():
        if part is not message:
            parsed.defects += [type(defect).__name__ for defect in getattr(part, "defects", [])]
    if walker.too_deep:
        parsed.defects.append("TooDeeplyNested")

    raw_headers = _raw_headers(message)
    parsed.headers = [(name, decode_header(value, hints)) for name, value in raw_headers]
    raw_by_name: dict[str, str] = {}
    for name, value in raw_headers:
        raw_by_name.setdefault(name.lower(), value)
    if "from" in raw_by_name:
        parsed.sender, parsed.sender_name = _first_mailbox(raw_by_name["from"], hints)
    if "subject" in raw_by_name:
        parsed.subject = decode_header(raw_by_name["subject"], hints)
    parsed.message_id = next(iter(_message_ids(raw_by_name.get("message-id", ""))), "")[:255]
    parsed.in_reply_to = _message_ids(raw_by_name.get("in-reply-to", ""))
    parsed.references = _message_ids(raw_by_name.get("references", ""))
    try:
        parsed.date = parsedate_to_datetime(raw_by_name["date"]) if "date" in raw_by_name else None
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed.date = None
    if parsed.date is not None and parsed.date.tzinfo is None:
        parsed.date = None

    parsed.text = _clean(text).strip("\n")
    parsed.body = trim_reply(parsed.text)
    parsed.files = walker.files
    for part in parsed.files:
        part.filename = _clean(part.filename)
        part.content_id = _clean(part.content_id)
    parsed.has_html = walker.has_html
    parsed.html = _clean("\n<hr>\n".join(walker.html_parts))
    parsed.classification = classify(message, parsed)
    parsed.headers = [(_clean(name), _clean(value)) for name, value in parsed.headers]
    parsed.sender, parsed.sender_name = _clean(parsed.sender), _clean(parsed.sender_name)
    parsed.subject = _clean(parsed.subject) if parsed.subject is not None else None
    parsed.message_id = _clean(parsed.message_id)
    parsed.in_reply_to = [_clean(value) for value in parsed.in_reply_to]
    parsed.references = [_clean(value) for value in parsed.references]
    return parsed
