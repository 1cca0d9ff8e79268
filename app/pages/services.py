"""Reading, rendering and editing the public pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..core import markdown
from ..core.audit import audit_record
from ..extensions import db
from .models import Page

CONTENT_DIR = Path(__file__).parent / "content"

#: slug -> (URL path, label for staff). The order is the admin list order.
PAGES = {
    "start": _l("Startseite (Einleitung)"),
    "leichte-sprache": _l("Leichte Sprache"),
    "angebote": _l("Angebote (Videokonferenzen, Team-Chat)"),
    "barrierefreiheit": _l("Erklärung zur Barrierefreiheit"),
    "datenschutz": _l("Datenschutzerklärung"),
}

#: The pages' Markdown (app/core/markdown.py renders): a small set of tags, phone links.
PAGE = markdown.Flavour.of(
    {
        "p",
        "h2",
        "h3",
        "h4",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "a",
        "br",
        "blockquote",
        "code",
        "pre",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "hr",
    },
    {"a": {"href", "title"}, "th": {"scope"}},
    url_schemes=("http", "https", "mailto", "tel"),
)


def render_markdown(text: str) -> Markup:
    """Markdown -> safe HTML (no raw HTML, only a small set of tags, safe links)."""
    return markdown.render_markdown(text or "", PAGE).html


@dataclass
class PageText:
    slug: str
    title: str
    body: str
    updated_at: object = None
    lang: str = "de"  # the language of title and body
    untranslated: bool = False  # the English UI shows the German text: there is no English version

    @property
    def html(self) -> Markup:
        return render_markdown(self.body)


def load_default(slug: str, lang: str = "de") -> tuple[str, str]:
    """The shipped text: first line ``# Title``, the rest is the body. English: ``<slug>.en.md`` or ("", "")."""
    path = CONTENT_DIR / (f"{slug}.md" if lang == "de" else f"{slug}.{lang}.md")
    if lang != "de" and not path.exists():
        return "", ""
    raw = path.read_text(encoding="utf-8")
    first, _, rest = raw.partition("\n")
    return first.lstrip("# ").strip(), rest.strip() + "\n"


def _english() -> bool:
    return str(get_locale() or "de").startswith("en")


def _text(slug, title, body, title_en, body_en, updated_at=None, lang=None) -> PageText:
    """The version in the UI language; in English the German one (marked) when there is no English one."""
    if (lang or ("en" if _english() else "de")) == "de":
        return PageText(slug, title, body, updated_at)
    if body_en:
        return PageText(slug, title_en or title, body_en, updated_at, lang="en")
    return PageText(slug, title, body, updated_at, untranslated=True)


def get_page(slug: str, lang: str | None = None) -> PageText:
    """The page in ``lang`` (default: the UI language); staff edit the German text (``lang="de"``)."""
    if slug not in PAGES:
        raise KeyError(slug)
    row = db.session.scalar(sa.select(Page).where(Page.slug == slug))
    if row is not None:
        return _text(row.slug, row.title, row.body, row.title_en, row.body_en, row.updated_at, lang=lang)
    return _text(slug, *load_default(slug), *load_default(slug, "en"), lang=lang)


def get_or_create(slug: str) -> Page:
    row = db.session.scalar(sa.select(Page).where(Page.slug == slug))
    if row is None:
        title, body = load_default(slug)
        title_en, body_en = load_default(slug, "en")
        row = Page(slug=slug, title=title, body=body, title_en=title_en, body_en=body_en)
        db.session.add(row)
        db.session.flush()
    return row


def update_page(slug: str, *, title: str, body: str, by) -> Page:
    row = get_or_create(slug)
    row.title = title.strip()
    row.body = body.replace("\r\n", "\n")
    row.edited_by_staff = True
    row.updated_by_id = getattr(by, "id", None)
    audit_record("page.updated", actor=by, slug=slug)
    db.session.commit()
    return row


def reset_page(slug: str, *, by) -> Page:
    """Back to the shipped text (and to being updated by content-sync)."""
    row = get_or_create(slug)
    row.title, row.body = load_default(slug)
    row.title_en, row.body_en = load_default(slug, "en")
    row.edited_by_staff = False
    row.updated_by_id = getattr(by, "id", None)
    audit_record("page.reset", actor=by, slug=slug)
    db.session.commit()
    return row


def sync_defaults() -> str:
    """content-sync: create missing pages, refresh untouched ones, keep staff edits."""
    created = updated = kept = 0
    for slug in PAGES:
        title, body = load_default(slug)
        title_en, body_en = load_default(slug, "en")
        row = db.session.scalar(sa.select(Page).where(Page.slug == slug))
        if row is None:
            db.session.add(Page(slug=slug, title=title, body=body, title_en=title_en, body_en=body_en))
            created += 1
        elif row.edited_by_staff:
            kept += 1
        elif (row.title, row.body, row.title_en, row.body_en) != (title, body, title_en, body_en):
            row.title, row.body, row.title_en, row.body_en = title, body, title_en, body_en
            updated += 1
    db.session.commit()
    return f"{created} neu, {updated} aktualisiert, {kept} von Hand bearbeitet (unverändert)"
