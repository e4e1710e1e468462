"""Trimming a reply down to its new text: quoted history first, then the signature.

Talon-like line heuristics (mailgun/talon's fixtures are in the test corpus):
- lines quoted with ">" go, wherever they are (quote above or below the reply);
- an attribution line ("On … wrote:", "Am … schrieb:", "Den … skrev:", "… написал:"),
  possibly wrapped over three lines, goes with the quote it introduces; when unquoted
  history follows it (Yahoo, Outlook), everything from it on goes;
- "-----Original Message-----" separators and Outlook header blocks ("From: / Sent: /
  To: / Subject:" and their Danish, Norwegian, Swedish, German, French… forms) cut
  everything below them;
- forwarded messages are kept: the customer forwards them for the desk to read;
- the signature is what follows the "-- " line, or a mobile footer ("Sent from my
  iPhone", "Sendt fra min iPhone", "Skickat från min iPhone") near the end.

Nothing here ever returns less than something: when trimming would leave no text, the
untrimmed text is returned.
"""

from __future__ import annotations

import re

QUOTED = re.compile(r"^\s*>")
ATTRIBUTION_VERB = (
    r"(wrote|writes|schrieb|a écrit|escribió|ha scritto|schreef|skrev|skriver|kirjoitti|"
    r"napisał\(a\)|napisał|napisała|написал\(а\)|написал|написала|escreveu|napsal|"
    r"napísal|írta|yazdı|έγραψε|写道|が書きました)"
)
ATTRIBUTION = re.compile(rf"^.{{0,300}}{ATTRIBUTION_VERB}.{{0,150}}:\s*$", re.IGNORECASE)
SEPARATOR = re.compile(
    r"^\s*[-_=*]{2,}\s*("
    r"original message|original-nachricht|ursprüngliche nachricht|oprindelig meddelelse|"
    r"opprinnelig melding|opprinnelig e-post|ursprungligt meddelande|originalmeddelande|"
    r"message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht|"
    r"alkuperäinen viesti|wiadomość oryginalna|исходное сообщение|původní zpráva|"
    r"reply message|mensagem original"
    r")\s*[-_=*]{2,}\s*$",
    re.IGNORECASE,
)
REPLY_ABOVE = re.compile(r"^\W*(please )?(type|write) your reply above this line\W*$", re.I)
HEADER_FROM = re.compile(
    r"^\s*[*_]?(from|von|fra|från|de|van|od|lähettäjä|da|от|feladó|afsender|avsändare)"
    r"[*_]?\s?[*_]?:",
    re.IGNORECASE,
)
HEADER_OTHER = re.compile(
    r"^\s*[*_]?(sent|date|gesendet|datum|sendt|skickat|envoyé|enviado|verzonden|wysłano|"
    r"lähetetty|data|отправлено|dato|to|an|til|till|à|a|para|aan|do|vastaanottaja|кому|"
    r"cc|kopi|kopia|subject|betreff|emne|ämne|objet|asunto|onderwerp|temat|aihe|oggetto|"
    r"тема|tárgy|sendt til)[*_]?\s?[*_]?:",
    re.IGNORECASE,
)
SIGNATURE_DASHES = re.compile(r"^-- ?$")
MOBILE_FOOTER = re.compile(
    r"^\s*("
    r"sent from my [\w -]{2,30}|sent from (mail|outlook|yahoo mail|gmail|samsung)\b.*|"
    r"sent with [\w ]{2,30}|get outlook for \w+|"
    r"sendt fra min [\w -]{2,30}|sendt fra (outlook|mail|e-post)\b.*|"
    r"skickat från min [\w -]{2,30}|skickat från (outlook|e-post|mail)\b.*|"
    r"von meinem [\w -]{2,30} gesendet|gesendet von (meinem )?[\w -]{2,30}|"
    r"envoyé de mon [\w -]{2,30}|enviado desde mi [\w -]{2,30}|verzonden vanaf mijn [\w -]{2,30}|"
    r"inviato da(l mio)? [\w -]{2,30}|wysłane z [\w -]{2,30}"
    r")\s*$",
    re.IGNORECASE,
)
MAX_SIGNATURE_LINES = 15  # a "--" without the space counts only this close to the end


def _attribution_span(lines: list[str], i: int) -> int:
    """How many lines (1–3) from i form an attribution line; 0 when none does."""
    first = lines[i]
    if QUOTED.match(first) or not re.search(r"[\d@]", first):
        return 0
    joined = ""
    for span in range(1, 4):
        if i + span > len(lines):
            return 0
        line = lines[i + span - 1]
        if span > 1 and (not line.strip() or QUOTED.match(line)):
            return 0
        joined = f"{joined} {line.strip()}" if joined else line.strip()
        if line.rstrip().endswith(":") and ATTRIBUTION.match(joined):
            return span
        if len(joined) > 400:
            return 0
    return 0


def _header_block(lines: list[str], i: int) -> bool:
    """An unquoted "From: / Sent: / To: / Subject:" block starting at line i."""
    if not HEADER_FROM.match(lines[i]):
        return False
    window = [line for line in lines[i + 1 : i + 9] if line.strip()][:5]
    needed = 1 if "@" in lines[i] else 2
    return sum(1 for line in window if HEADER_OTHER.match(line)) >= needed


def _next_content(lines: list[str], start: int) -> int | None:
    for j in range(start, len(lines)):
        if lines[j].strip():
            return j
    return None


def _tidy(lines: list[str]) -> str:
    """Trailing blanks off every line but the signature delimiter "-- "; no blank runs."""
    text = "\n".join(line if line == "-- " else line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def strip_quotation(text: str) -> str:
    """The text without quoted history (signature kept)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    keep = [True] * len(lines)
    cut = len(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        if SEPARATOR.match(line) or REPLY_ABOVE.match(line) or _header_block(lines, i):
            cut = i
            break
        span = _attribution_span(lines, i)
        if span:
            following = _next_content(lines, i + span)
            if following is None or QUOTED.match(lines[following]):
                for j in range(i, i + span):
                    keep[j] = False
                i += span
                continue
            cut = i
            break
        if QUOTED.match(line):
            keep[i] = False
        i += 1
    trimmed = _tidy([line for index, line in enumerate(lines[:cut]) if keep[index]])
    return trimmed if trimmed.strip() else _tidy(lines)


def strip_signature(text: str) -> str:
    """The text without its signature block (or mobile footer)."""
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        if SIGNATURE_DASHES.match(line) and (
            line == "-- " or len(lines) - i <= MAX_SIGNATURE_LINES
        ):
            trimmed = _tidy(lines[:i])
            if trimmed.strip():
                return trimmed
    content = [i for i, line in enumerate(lines) if line.strip()]
    for position, i in enumerate(content):
        if MOBILE_FOOTER.match(lines[i]) and len(content) - position <= 3 and position > 0:
            return _tidy(lines[:i])
    return _tidy(lines)


def trim_reply(text: str) -> str:
    """The new text of a reply: quoted history and signature removed."""
    if not text.strip():
        return ""
    without_quotes = strip_quotation(text)
    trimmed = strip_signature(without_quotes)
    return trimmed if trimmed.strip() else without_quotes
