"""The Danish, Norwegian and Swedish catalogues are complete and their .mo files current."""

import ast
import gettext
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def po_entries(path: Path) -> dict[str, list[str]]:
    """msgid -> msgstr forms, from a .po file (enough of the format for our catalogues)."""
    entries: dict[str, list[str]] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        current, fields = None, {}
        for line in lines:
            if line.startswith(("msgid ", "msgid_plural ", "msgstr")):
                current, _, literal = line.partition(" ")
                fields[current] = ast.literal_eval(literal)
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if fields.get("msgid") and "#, fuzzy" in block:
            entries.setdefault("__fuzzy__", []).append(fields["msgid"])
        elif fields.get("msgid"):
            entries[fields["msgid"]] = [
                v for k, v in sorted(fields.items()) if k.startswith("msgstr")
            ]
    return entries


@pytest.mark.parametrize("language", ["da", "nb", "sv"])
def test_catalogue_is_complete_and_compiled(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    entries = po_entries(po)
    assert "__fuzzy__" not in entries, entries.get("__fuzzy__")
    missing = [msgid for msgid, forms in entries.items() if not all(forms)]
    assert missing == [], f"untranslated in {language}: {missing[:5]}"
    compiled = gettext.GNUTranslations((po.with_suffix(".mo")).open("rb"))
    stale = [m for m, forms in entries.items() if compiled.gettext(m) == m and forms[0] != m]
    assert stale == [], f"{language} .mo is older than its .po; run `make messages`: {stale[:5]}"
    assert len(entries) > 250
