"""Every message of the real-world corpus through the whole intake: parse, store, classify, act.

The permissively licensed messages are vendored in tests/data/email/; the AGPL (zammad) and
GPL (rt) ones are read from ../shared/corpus/email/ (or $EMAIL_CORPUS) when that folder
exists — skipped with a reason otherwise, and a failure under CI, where it always exists.

For each message: ingesting never raises; the stored raw bytes are the file's bytes; the
sender, decoded subject, auto-reply and bounce flags and the attachment count are those of
the manifest; and the message is classified as the manifest says — from a sender who is a
known contact, usable mail files a case with its attachments, while automatic replies and
bounces are quarantined and never become a case or a comment.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.factories import ContactFactory, OrganizationFactory, SeverityFactory, TenantFactory
from tickets.inbound.services import inbound_ingest
from tickets.mail import parse_message, strip_quotation
from tickets.models import Attachment, Case, CaseEvent, InboundMessage, InboundStatus

VENDORED = Path(__file__).resolve().parents[1] / "data" / "email"
SHARED = Path(
    os.environ.get(
        "EMAIL_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus" / "email"
    )
)
COPYLEFT = {"AGPL-3.0", "GPL-2.0"}


def _manifest(folder: Path) -> list[dict]:
    return json.loads((folder / "manifest.json").read_text("utf-8"))["messages"]


def _cases() -> list[pytest.param]:
    vendored = _manifest(VENDORED)
    params = [pytest.param(VENDORED, entry, id=entry["file"]) for entry in vendored]
    if (SHARED / "manifest.json").is_file():
        shared = [entry for entry in _manifest(SHARED) if entry["license"] in COPYLEFT]
        params += [pytest.param(SHARED, entry, id=entry["file"]) for entry in shared]
    else:
        params.append(pytest.param(None, None, id="copyleft-corpus"))
    return params


CASES = _cases()


def _read(folder: Path | None, entry: dict | None) -> bytes:
    if folder is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must see the shared e-mail corpus at {SHARED} (zammad and rt files)")
        pytest.skip(f"no shared corpus at {SHARED}: the AGPL/GPL messages are not vendored")
    raw = (folder / entry["file"]).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == entry["sha256"], "corpus file changed"
    return raw


def test_the_corpus_is_complete():
    """63 vendored messages; with the shared folder, all 86."""
    assert len(_manifest(VENDORED)) == 63
    assert all(entry["license"] not in COPYLEFT for entry in _manifest(VENDORED))
    if (SHARED / "manifest.json").is_file():
        assert len([c for c in CASES if c.values[0] is not None]) == 86


@pytest.mark.parametrize(("folder", "entry"), CASES)
def test_parse_matches_the_manifest(folder, entry):
    parsed = parse_message(_read(folder, entry))
    if "from" in entry:
        assert (parsed.sender or None) == entry["from"]
    if "subject" in entry:
        assert parsed.subject == entry["subject"]
    for key in ("is_auto_reply", "is_bounce", "attachment_count", "has_html"):
        if entry.get(key) is not None:
            assert getattr(parsed, key) == entry[key], key
    if "reply_first_line" in entry:
        first = next(line.strip() for line in parsed.body.splitlines() if line.strip())
        assert first == entry["reply_first_line"].strip()
    if "reply_text" in entry:  # talon's own expectation: quotations stripped, signature kept
        got = [line.rstrip() for line in strip_quotation(parsed.text).strip().splitlines()]
        assert got == [line.rstrip() for line in entry["reply_text"].strip().splitlines()]


@pytest.mark.django_db
@pytest.mark.parametrize(("folder", "entry"), CASES)
def test_ingest_keeps_and_classifies_every_message(folder, entry):
    raw = _read(folder, entry)
    tenant = TenantFactory(slug="corpus", case_prefix="COR")
    SeverityFactory(tenant=tenant, key="high", rank=1)
    SeverityFactory(tenant=tenant, key="low", rank=2)
    sender = entry.get("from")
    if sender:  # the sender is a known contact, so only the classification can stop it
        ContactFactory(organization=OrganizationFactory(tenant=tenant), user__email=sender.lower())

    result = inbound_ingest(tenant=tenant, raw=raw)

    message = InboundMessage.objects.get(pk=result.message.pk)
    assert bytes(message.raw) == raw, "stored bytes differ from the file"
    assert message.sha256 == entry["sha256"]
    assert message.sender == (sender or "")
    if "subject" in entry:
        assert message.subject == (entry["subject"] or "")
    if entry.get("is_auto_reply") is not None:
        assert message.is_auto_reply is entry["is_auto_reply"]
    if entry.get("is_bounce") is not None:
        assert message.is_bounce is entry["is_bounce"]

    if entry.get("is_auto_reply") or entry.get("is_bounce"):
        assert message.status == InboundStatus.QUARANTINED
        assert message.reason == ("bounce" if entry.get("is_bounce") else message.reason)
        assert message.reason in ("auto_reply", "bounce")
        assert message.case_id is None
        assert not Case.objects.exists() and not CaseEvent.objects.exists()
    elif entry.get("is_auto_reply") is False:
        assert message.reason not in ("auto_reply", "bounce")
        if sender and message.reason not in ("bulk", "malformed"):
            assert message.status == InboundStatus.PROCESSED, message.detail
            assert message.case is not None
            files = message.summary["files"]
            stored = Attachment.objects.filter(case=message.case).count()
            refused = len(files) - stored
            assert refused >= 0
            if refused:  # never silently dropped: named in the description
                assert "Not attached" in message.case.description
        elif not sender:
            assert message.status == InboundStatus.QUARANTINED
    if entry.get("attachment_count") is not None:
        assert message.attachment_count == entry["attachment_count"]

    again = inbound_ingest(tenant=tenant, raw=raw)
    assert again.duplicate and again.message.pk == message.pk
    assert InboundMessage.objects.count() == 1
