"""Text helpers: characters that do not belong in a single line, and slugs (one place for both).

Characters that do not belong in a single line of text (names, titles, mail headers): line breaks
of every kind (``\\n``, ``\\r``, ``\\x0b``, ``\\x0c``, ``\\x1c``–``\\x1e``,
``\\x85``, U+2028, U+2029), every other control character (Unicode category Cc,
NUL included) and the invisible format characters (Cf: bidi overrides, zero-width
space, soft hyphen, BOM …) – except the zero-width (non-)joiner, which emoji
sequences and some scripts need.
"""

from __future__ import annotations

import re
import unicodedata

#: Format characters that are part of ordinary text.
ALLOWED_FORMAT = frozenset({"\u200c", "\u200d"})
_REFUSED_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


def is_control(char: str) -> bool:
    category = unicodedata.category(char)
    return category in _REFUSED_CATEGORIES or (category == "Cf" and char not in ALLOWED_FORMAT)


def has_control(value: str) -> bool:
    return any(is_control(char) for char in value)


#: Something that looks like the start of an HTML tag ("<b", "</", "<!", "<?"): plain-text fields refuse it.
_HTML_TAG = re.compile(r"<\s*[a-zA-Z!/?]")


def looks_like_html(value: str) -> bool:
    return bool(_HTML_TAG.search(value))


#: German umlauts and ß spelled out before other accents are dropped ("Größe" -> "Groesse").
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ẞ": "SS"})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def ascii_fold(text: str) -> str:
    """Plain ASCII letters: umlauts spelled out, other accents and characters without one dropped."""
    return unicodedata.normalize("NFKD", text.translate(UMLAUTS)).encode("ascii", "ignore").decode("ascii")


def slugify(text: str, *, fallback: str = "", max_length: int | None = None) -> str:
    """Lower-case ``a-z``, ``0-9`` and single hyphens: club URLs, heading anchors ("Über die Größe" ->
    "ueber-die-groesse"); ``fallback`` when nothing is left."""
    slug = _NOT_SLUG.sub("-", ascii_fold(text).lower()).strip("-")
    if max_length is not None:
        slug = slug[:max_length].rstrip("-")
    return slug or fallback


_SPACES = re.compile(r"\s+")


def single_line(value: str) -> str:
    """``value`` on one line: every control or line-break character becomes a space, runs of spaces one."""
    if not has_control(value) and "  " not in value:
        return value
    return _SPACES.sub(" ", "".join(" " if is_control(char) else char for char in value)).strip()
