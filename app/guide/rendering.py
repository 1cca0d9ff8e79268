"""Markdown → safe HTML with heading anchors and a table of contents.

markdown-it-py renders (raw HTML off), nh3 sanitises what comes out, so a
``<script>`` or a ``javascript:`` link typed by anyone never reaches a page.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.anchors import anchors_plugin

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def slugify(text: str) -> str:
    text = text.translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "abschnitt"


ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol",
    "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul", "sub", "sup", "kbd",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"}, "ol": {"start"}, "abbr": {"title"},
}


@dataclass(frozen=True)
class Rendered:
    html: Markup
    toc: tuple[tuple[int, str, str], ...] = ()  # (level, anchor, text)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(anchors_plugin, min_level=1, max_level=3, slug_func=slugify)
    return md


_MD = _parser()


def _demote_h1(tokens) -> None:
    """The page title is the only h1; a ``# heading`` in the body becomes h2."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and token.tag == "h1":
            token.tag = "h2"


@lru_cache(maxsize=512)  # pure function of the text; pages are rendered on every view
def render_markdown(text: str) -> Rendered:
    env: dict = {}
    tokens = _MD.parse(text or "", env)
    _demote_h1(tokens)
    toc = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in ("h2", "h3") and token.attrs.get("id"):
            toc.append((int(token.tag[1]), str(token.attrs["id"]), tokens[index + 1].content))
    raw = _MD.renderer.render(tokens, _MD.options, env)
    clean = nh3.clean(
        raw, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Rendered(Markup(clean), tuple(toc))


@lru_cache(maxsize=512)
def plain_text(text: str) -> str:
    """Markdown as plain text (for the search index and snippets)."""
    html = render_markdown(text).html
    stripped = nh3.clean(str(html), tags=set())
    stripped = stripped.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    return re.sub(r"\s+", " ", stripped).strip()
