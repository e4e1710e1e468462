"""Turning mail bytes into text: declared charsets with their real-world aliases, and a
careful guess where the sender declared nothing (raw 8-bit headers, bodies without a
charset). Never raises: an undecodable byte becomes U+FFFD."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Iterable

# Labels mail clients write that Python's codecs do not know (or know as a narrower set).
ALIASES = {
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-8-e": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "euc-jp": "euc_jis_2004",
    "big5": "big5hkscs",
    "unicode-1-1-utf-7": "utf-7",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "iso-8859-1": "cp1252",  # what senders labelled latin-1 mostly is (smart quotes, €)
    "latin1": "cp1252",
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
}
# Labels that say "I don't know": guess instead.
UNKNOWN_LABELS = {"", "unknown-8bit", "x-unknown", "unknown", "x-user-defined", "default"}
ISO_2022_JP = {"iso-2022-jp", "iso2022jp", "iso-2022-jp-ms", "csiso2022jp", "iso2022_jp"}


def codec_for(label: str | None) -> str | None:
    """A Python codec name for a MIME charset label, or None when unusable."""
    label = (label or "").strip().strip("\"'").lower()
    if label in UNKNOWN_LABELS:
        return None
    label = ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _iso2022jp_via_cp932(data: bytes) -> str:
    """ISO-2022-JP with vendor extensions (NEC row 13: №, ①, ㈱…) that Python's
    iso2022_jp codecs refuse: re-encode the JIS rows as Shift_JIS and read as cp932."""
    out = bytearray()
    mode = "ascii"
    i = 0
    while i < len(data):
        if data[i] == 0x1B:
            seq = data[i + 1 : i + 3]
            if seq in (b"$@", b"$B"):
                mode, i = "jis", i + 3
                continue
            if seq in (b"(B", b"(J"):
                mode, i = "ascii", i + 3
                continue
            if seq == b"(I":
                mode, i = "kana", i + 3
                continue
            if data[i + 1 : i + 4] == b"$(D":
                mode, i = "jis", i + 4
                continue
        byte = data[i]
        if mode == "jis" and byte > 0x20 and i + 1 < len(data):
            j1, j2 = byte, data[i + 1]
            s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
            s2 = (j2 + 0x1F + (j2 >= 0x60)) if j1 % 2 else j2 + 0x7E
            out += bytes((s1 & 0xFF, s2 & 0xFF))
            i += 2
            continue
        if mode == "kana" and 0x21 <= byte <= 0x5F:
            out.append(byte + 0x80)
        else:
            out.append(byte)
        i += 1
    return out.decode("cp932", errors="replace")


# Letter frequencies of Russian text (per cent): the right 8-bit table reads as common letters.
CYRILLIC_FREQUENCY = dict(
    zip(
        "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё",
        (
            10.97,
            8.45,
            8.01,
            7.35,
            6.70,
            6.26,
            5.47,
            4.73,
            4.54,
            4.40,
            3.49,
            3.21,
            2.98,
            2.81,
            2.62,
            2.01,
            1.90,
            1.74,
            1.70,
            1.65,
            1.59,
            1.44,
            1.21,
            0.97,
            0.94,
            0.73,
            0.64,
            0.48,
            0.36,
            0.32,
            0.26,
            0.04,
            0.04,
        ),
        strict=True,
    )
)


def _cyrillic_score(text: str) -> float:
    letters = [CYRILLIC_FREQUENCY.get(ch.lower(), 0.0) for ch in text if not ch.isascii()]
    return sum(letters) / len(letters) if letters else 0.0


def guess_decode(data: bytes, hints: Iterable[str | None] = ()) -> str:
    """Text of bytes whose charset is not declared (or declared wrongly)."""
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for hint in hints:
        codec = codec_for(hint)
        if codec and codec not in ("ascii", "utf-8"):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue
    high = [b for b in data if b >= 0x80]
    latin = sum(1 for b in data if 65 <= b <= 90 or 97 <= b <= 122)
    if len(high) > latin and sum(1 for b in high if b >= 0xC0) > 0.7 * len(high):
        # Whole words of upper-half letters: a Cyrillic 8-bit table, not Western accents.
        candidates = [data.decode(c, errors="replace") for c in ("koi8_r", "cp1251")]
        return max(candidates, key=_cyrillic_score)
    return data.decode("cp1252", errors="replace").replace("\x81", "\ufffd")


def decode_bytes(data: bytes, charset: str | None, hints: Iterable[str | None] = ()) -> str:
    """Bytes in a declared charset; falls back to a guess when the label lies or is unknown."""
    label = (charset or "").strip().strip("\"'").lower()
    if label in ISO_2022_JP:
        try:
            return data.decode("iso2022_jp")
        except UnicodeDecodeError:
            return _iso2022jp_via_cp932(data)
    codec = codec_for(label)
    if codec is None or codec == "ascii":
        return guess_decode(data, hints)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    if codec != "utf-8":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return data.decode(codec, errors="replace")


# --- headers -------------------------------------------------------------------------------

ENCODED_WORD = re.compile(
    rb"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=",
)
FOLD = re.compile(rb"\r?\n(?=[ \t])")
ONLY_SPACE = re.compile(rb"^[ \t\r\n]*$")


def _word_bytes(encoding: bytes, text: bytes) -> bytes:
    if encoding in (b"b", b"B"):
        text = text.rstrip(b"=")
        if len(text) % 4 == 1:  # a stray character: drop it rather than the word
            text = text[:-1]
        try:
            return base64.b64decode(text + b"=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return b""
    out = bytearray()
    i = 0
    text = text.replace(b"_", b" ")
    while i < len(text):
        if text[i : i + 1] == b"=" and re.fullmatch(rb"[0-9A-Fa-f]{2}", text[i + 1 : i + 3]):
            out.append(int(text[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(text[i])
            i += 1
    return bytes(out)


def header_to_bytes(value: str) -> bytes:
    """A header value as the parser kept it (8-bit bytes as surrogates) back to bytes."""
    return value.encode("utf-8", "surrogateescape")


def decode_header(value: str | bytes | None, hints: Iterable[str | None] = ()) -> str:
    """An RFC 5322 header value unfolded and RFC 2047-decoded; raw 8-bit text guessed.

    Whitespace between adjacent encoded words disappears (RFC 2047 §6.2); adjacent words in
    one charset are joined before decoding, so a character split across words survives.
    Any other whitespace is kept as sent.
    """
    if value is None:
        return ""
    raw = header_to_bytes(value) if isinstance(value, str) else value
    raw = FOLD.sub(b"", raw).strip(b"\r\n")
    hints = list(hints)
    pieces: list[tuple[str | None, bytes]] = []  # (charset or None for plain text, bytes)
    position = 0
    for match in ENCODED_WORD.finditer(raw):
        gap = raw[position : match.start()]
        if gap and not (pieces and pieces[-1][0] is not None and ONLY_SPACE.match(gap)):
            pieces.append((None, gap))
        charset = match.group(1).decode("ascii", "replace").lower()
        data = _word_bytes(match.group(2), match.group(3))
        if pieces and pieces[-1][0] == charset:
            pieces[-1] = (charset, pieces[-1][1] + data)
        else:
            pieces.append((charset, data))
        position = match.end()
    if position < len(raw):
        pieces.append((None, raw[position:]))
    hints += [charset for charset, _data in pieces if charset]
    text = "".join(
        guess_decode(data, hints) if charset is None else decode_bytes(data, charset, hints)
        for charset, data in pieces
    )
    return text.replace("\r", "").replace("\n", "")
