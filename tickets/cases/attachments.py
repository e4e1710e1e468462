"""Attachment checks: type by content (magic bytes), not by name; sizes bounded."""

from __future__ import annotations

from dataclasses import dataclass

import puremagic
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10

# What a customer may attach: images, PDF, and plain-text logs.
ALLOWED_BY_MAGIC = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
}


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    content_type: str


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(head) - 3
    return True


def attachment_check(upload: UploadedFile) -> CheckedFile:
    """The file's real type, or a ValidationError saying why it is refused."""
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)s MB.")
            % {"name": upload.name, "limit": MAX_ATTACHMENT_BYTES // (1024 * 1024)}
        )
    head = upload.read(8192)
    upload.seek(0)
    try:
        mime = puremagic.from_string(head, mime=True) if head else ""
    except puremagic.PureError:
        mime = ""
    if mime in ALLOWED_BY_MAGIC:
        return CheckedFile(upload, mime)
    if head and not mime and _looks_like_text(head):
        return CheckedFile(upload, "text/plain")
    raise ValidationError(
        _("%(name)s is not an image, a PDF or a text log.") % {"name": upload.name}
    )


def attachments_check(uploads: list[UploadedFile]) -> list[CheckedFile]:
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(_("At most %(n)s files per message.") % {"n": MAX_ATTACHMENTS})
    return [attachment_check(upload) for upload in uploads]
