"""The guide's Markdown flavour (app/core/markdown.py renders): anchors and a table of contents."""

from __future__ import annotations

from ..core import markdown

ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "sub",
    "sup",
    "kbd",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
    "abbr": {"title"},
}
HANDBOOK = markdown.Flavour.of(ALLOWED_TAGS, ALLOWED_ATTRIBUTES, strikethrough=True, anchor_fallback="abschnitt")


def render_markdown(text: str) -> markdown.Rendered:
    return markdown.render_markdown(text or "", HANDBOOK)


def plain_text(text: str) -> str:
    """For the search index and snippets."""
    return markdown.plain_text(text or "", HANDBOOK)
