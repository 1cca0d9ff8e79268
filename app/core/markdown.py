"""Markdown → safe HTML, one renderer for every domain (guide chapters, public pages).

markdown-it-py renders (raw HTML off), nh3 sanitises what comes out, so a ``<script>`` or a
``javascript:`` link typed by anyone never reaches a page. What differs between domains is a
:class:`Flavour`: the allowed tags and attributes, link schemes, strikethrough, heading anchors
with a table of contents. The page title is the only h1: a ``# heading`` in a body becomes h2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.anchors import anchors_plugin

from .text import slugify


@dataclass(frozen=True)
class Flavour:
    tags: frozenset[str]
    attributes: tuple[tuple[str, frozenset[str]], ...] = ()
    url_schemes: frozenset[str] = frozenset({"http", "https", "mailto"})
    strikethrough: bool = False
    #: ids on the headings (and a table of contents of h2/h3); a heading without letters gets this id
    anchor_fallback: str | None = None

    @classmethod
    def of(cls, tags, attributes: dict | None = None, url_schemes=("http", "https", "mailto"), **options):
        return cls(
            frozenset(tags),
            tuple(sorted((tag, frozenset(names)) for tag, names in (attributes or {}).items())),
            frozenset(url_schemes),
            **options,
        )


@dataclass(frozen=True)
class Rendered:
    html: Markup
    toc: tuple[tuple[int, str, str], ...] = ()  # (level, anchor, text)


@lru_cache(maxsize=8)
def _parser(flavour: Flavour) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"] if flavour.strikethrough else ["table"])
    if flavour.anchor_fallback is not None:
        md.use(
            anchors_plugin,
            min_level=1,
            max_level=3,
            slug_func=lambda text: slugify(text, fallback=flavour.anchor_fallback),
        )
    return md


def _demote_h1(tokens) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and token.tag == "h1":
            token.tag = "h2"


@lru_cache(maxsize=512)  # a pure function of the text; pages are rendered on every view
def render_markdown(text: str, flavour: Flavour) -> Rendered:
    md = _parser(flavour)
    env: dict = {}
    tokens = md.parse(text or "", env)
    _demote_h1(tokens)
    toc = []
    if flavour.anchor_fallback is not None:
        for index, token in enumerate(tokens):
            if token.type == "heading_open" and token.tag in ("h2", "h3") and token.attrs.get("id"):
                toc.append((int(token.tag[1]), str(token.attrs["id"]), tokens[index + 1].content))
    raw = md.renderer.render(tokens, md.options, env)
    clean = nh3.clean(
        raw,
        tags=set(flavour.tags),
        attributes={tag: set(names) for tag, names in flavour.attributes},
        url_schemes=set(flavour.url_schemes),
        link_rel="noopener noreferrer",
    )
    return Rendered(Markup(clean), tuple(toc))


@lru_cache(maxsize=512)
def plain_text(text: str, flavour: Flavour) -> str:
    """Markdown as plain text (for a search index and snippets)."""
    stripped = nh3.clean(str(render_markdown(text, flavour).html), tags=set())
    stripped = stripped.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    return re.sub(r"\s+", " ", stripped).strip()
