"""HTML mail bodies: sanitised for display (nh3), and read as plain text for comments."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

# What a sanitised body may keep. Images are left out: remote ones would tell the sender
# when an agent opens the mail, and inline ones are kept as attachments anyway.
ALLOWED_TAGS = (nh3.ALLOWED_TAGS - {"img"}) | {"font", "center"}
ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items() if tag != "img"},
    "a": {"href", "hreflang", "title"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign", "scope"},
}


def sanitize_html(html: str) -> str:
    """Markup safe to show inside a desk page: no scripts, styles, handlers, forms or images."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        clean_content_tags={"script", "style", "title", "head", "template", "noscript"},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
}  # fmt: skip
SKIP_TAGS = {"head", "script", "style", "title", "template", "noscript", "xml"}
SPACES = re.compile(r"[ \t\r\n\f]+")


class _TextWriter(HTMLParser):
    """Visible text with line breaks where blocks end; quoted blocks prefixed with "> "."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip = 0
        self.quote = 0
        self.pre = 0

    def _break(self) -> None:
        text = "".join(self.current)
        if not self.pre:
            text = SPACES.sub(" ", text).strip(" ")
        prefix = "> " * self.quote
        for line in text.split("\n"):
            self.lines.append(prefix + line if line or self.quote else line)
        self.current = []

    def _block(self) -> None:
        if self.current and "".join(self.current).strip():
            self._break()
        elif self.lines and self.lines[-1].strip("> "):
            self.lines.append("> " * self.quote)
        self.current = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag in SKIP_TAGS:
            self.skip += 1
        elif tag == "br":
            self._break()
        elif tag in BLOCK_TAGS:
            self._block()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "li":
                self.current.append("- ")
        elif tag in ("td", "th"):
            self.current.append(" ")

    def handle_startendtag(self, tag, attrs) -> None:
        if tag == "br":
            self._break()
        elif tag == "hr":
            self._block()

    def handle_endtag(self, tag) -> None:
        if tag in SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            if tag == "blockquote" and self.current and "".join(self.current).strip():
                self._break()
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            self._block()
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data) -> None:
        if not self.skip:
            self.current.append(data)

    def text(self) -> str:
        self.close()
        if self.current:
            self._break()
        lines = [line.rstrip() for line in self.lines]
        text = "\n".join(lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body (entities decoded, &nbsp; kept as U+00A0)."""
    writer = _TextWriter()
    try:
        writer.feed(html)
        return writer.text()
    except Exception:  # pragma: no cover - html.parser is lenient; never lose the body
        return SPACES.sub(" ", re.sub(r"<[^>]*>", " ", html)).strip()
