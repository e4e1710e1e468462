"""Inbound mail, pure functions: parsing, classification, trimming, sanitising."""

from .charsets import decode_bytes, decode_header
from .classify import Classification, classify
from .html import html_to_text, sanitize_html
from .parse import MAX_MESSAGE_BYTES, MailFile, ParsedMail, parse_message
from .trim import strip_quotation, strip_signature, trim_reply

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
