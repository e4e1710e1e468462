"""Inbound mail, pure functions: parsing, classification, trimming, sanitising."""

from tickets.mail.charsets import decode_bytes, decode_header
from tickets.mail.classify import Classification, classify
from tickets.mail.html import html_to_text, sanitize_html
from tickets.mail.parse import MAX_MESSAGE_BYTES, MailFile, ParsedMail, parse_message
from tickets.mail.trim import strip_quotation, strip_signature, trim_reply

__all__ = [
    "MAX_MESSAGE_BYTES",
    "Classification",
    "MailFile",
    "ParsedMail",
    "classify",
    "decode_bytes",
    "decode_header",
    "html_to_text",
    "parse_message",
    "sanitize_html",
    "strip_quotation",
    "strip_signature",
    "trim_reply",
]
