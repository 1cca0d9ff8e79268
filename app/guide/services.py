"""Reads and writes of guide/knowledge content (views stay thin)."""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so
import yaml
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.sources import SourceError, localized_sources, parse_reviewed, parse_sources
from ..extensions import db
from ..privacy import services as privacy
from . import search
from .models import KINDS, ContentPage, ContentRevision

CONTENT_DIR = Path(__file__).parent / "content"
#: Folder of the shipped files per kind.
FOLDERS = {"chapter": "chapters", "article": "articles", "template": "templates"}

#: The guide chapters, in reading order; the checklist (app/privacy/checklist.yaml) links them by these ids.
CHAPTER_IDS = (
    "beitritt",
    "datensparsamkeit",
    "besondere-kategorien",
    "weitergabe",
    "mitgliederlisten",
    "veroeffentlichung",
    "rundmails",
    "private-geraete",
    "loeschfristen",
    "auskunft",
    "minderjaehrige",
    "datenpanne",
    "online-werkzeuge",
    "informationspflichten",
    "datenschutzbeauftragter",
    "verarbeitungsverzeichnis",
    "sicherheit",
    "website",
)


# --- reading ---------------------------------------------------------------------------


def ui_lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "de"


@dataclass
class Localized:
    title: str
    summary: str
    body: str
    lang: str  # the language actually shown
    fallback: bool  # English wanted but only German available
    reviewed_on: date | None = None  # "Stand"
    sources: list = field(default_factory=list)  # [{label, url}] in the language shown


def localized(page_or_revision, lang: str | None = None) -> Localized:
    lang = lang or ui_lang()
    p = page_or_revision
    dated = {"reviewed_on": p.reviewed_on}
    if lang == "en" and p.body_en:
        return Localized(
            p.title_en or p.title,
            p.summary_en or p.summary,
            p.body_en,
            "en",
            False,
            **dated,
            sources=localized_sources(p.sources, english=True),
        )
    return Localized(
        p.title, p.summary, p.body, "de", lang == "en", **dated, sources=localized_sources(p.sources, english=False)
    )


def published(kind: str) -> list[ContentPage]:
    return list(
        db.session.scalars(
            sa.select(ContentPage)
            .where(ContentPage.kind == kind, ContentPage.is_published)
            .order_by(ContentPage.position, ContentPage.title)
        )
    )


def articles_by_category(category: str | None = None) -> list[tuple[str, object, list[ContentPage]]]:
    """Published knowledge articles grouped by category (in ARTICLE_CATEGORIES order, then the rest)."""
    groups: dict[str, list[ContentPage]] = {}
    for page in published("article"):
        key = page.category if page.category in ARTICLE_CATEGORIES else ""
        if category is None or key == category:
            groups.setdefault(key, []).append(page)
    order = [*ARTICLE_CATEGORIES, ""]
    return [(key, ARTICLE_CATEGORIES.get(key, _l("Weitere Themen")), groups[key]) for key in order if key in groups]


def related_checklist_items(page: ContentPage) -> list:
    """The current checklist items an article links to (unknown keys are left out)."""
    keys = (page.related or {}).get("checklist") or []
    items = {item.key: item for item in privacy.current_items()}
    return [items[key] for key in keys if key in items]


def published_page(kind: str, slug: str) -> ContentPage | None:
    return db.session.scalar(
        sa.select(ContentPage).where(ContentPage.kind == kind, ContentPage.slug == slug, ContentPage.is_published)
    )


def run_search(query: str, lang: str | None = None, limit: int = 20):
    """[(page, snippet)] for published pages."""
    hits = search.search(query, lang or ui_lang(), limit)
    if not hits:
        return []
    pages = {
        p.id: p
        for p in db.session.scalars(
            sa.select(ContentPage).where(ContentPage.id.in_([h.page_id for h in hits]), ContentPage.is_published)
        )
    }
    return [(pages[h.page_id], h.snippet) for h in hits if h.page_id in pages]


# --- checklist links (app.privacy's public reads) ---------------------------------------------


def checklist_items_for(chapter_id: str) -> list:
    return list(privacy.items_for_chapter(chapter_id))


@dataclass(frozen=True)
class PanelLink:
    """A published chapter or template as the workspace panel shows it: slug, title and summary only."""

    kind: str
    slug: str
    title: str
    summary: str


def panel_links(club, limit: int = 5) -> dict:
    """The guide panel's content in one light query (no page bodies): the chapters that fit the club's open
    self-check items (at most ``limit``), how many chapters there are, and the templates. English titles
    and summaries where the page has an English text, as ``localized`` decides."""
    english = ui_lang() == "en"
    has_english = sa.func.length(sa.func.coalesce(ContentPage.body_en, "")) > 0
    rows = db.session.execute(
        sa.select(
            ContentPage.kind,
            ContentPage.slug,
            ContentPage.title,
            ContentPage.title_en,
            ContentPage.summary,
            ContentPage.summary_en,
            has_english,
        )
        .where(ContentPage.kind.in_(("chapter", "template")), ContentPage.is_published)
        .order_by(ContentPage.position, ContentPage.title)
    ).all()
    chapters, templates = {}, []
    for kind, slug, title, title_en, summary, summary_en, in_english in rows:
        if english and in_english:
            title, summary = title_en or title, summary_en or summary
        link = PanelLink(kind, slug, title, summary or "")
        if kind == "chapter":
            chapters[slug] = link
        else:
            templates.append(link)
    wanted = dict.fromkeys(privacy.open_chapter_ids(club))
    return {
        "suggestions": [chapters[slug] for slug in wanted if slug in chapters][:limit],
        "chapter_count": len(chapters),
        "templates": templates,
    }


# --- writing -----------------------------------------------------------------------------


def _next_number(page: ContentPage) -> int:
    latest = page.latest_revision
    return (latest.number + 1) if latest else 1


def add_revision(
    page: ContentPage, data: dict, *, author=None, note: str = "", source: str = "staff"
) -> ContentRevision:
    """A new revision of ``page``; "Stand" and sources stay those of the page unless ``data`` brings its own."""
    revision = ContentRevision(
        page=page,
        number=_next_number(page),
        note=note or "",
        source=source,
        author_id=author.id if author is not None else None,
        reviewed_on=data.get("reviewed_on", page.reviewed_on),
        sources=data.get("sources", page.sources),
        **{
            field: (data.get(field) or "").strip()
            if field.startswith("title") or field.startswith("summary")
            else (data.get(field) or "")
            for field in ContentRevision.FIELDS
        },
    )
    db.session.add(revision)
    if source == "staff":
        page.staff_edited = True
    db.session.flush()
    return revision


def publish_revision(page: ContentPage, revision: ContentRevision, *, index: bool = True) -> None:
    for name in (*ContentRevision.FIELDS, "reviewed_on", "sources"):
        setattr(page, name, getattr(revision, name))
    now = utcnow()
    revision.published_at = now
    page.published_at = now
    page.published_number = revision.number
    page.is_published = True
    db.session.flush()
    if index:
        search.index_page(page)


def save(page: ContentPage, data: dict, *, author, publish: bool, note: str = "") -> ContentRevision:
    """Staff save: always a new revision; published only when asked to."""
    revision = add_revision(page, data, author=author, note=note, source="staff")
    if publish:
        publish_revision(page, revision)
    return revision


def withdraw(page: ContentPage) -> None:
    page.is_published = False
    page.staff_edited = True  # a later load of shipped content must not publish it again
    db.session.flush()
    search.remove_page(page.id)


def create_page(kind: str, slug: str, position: int = 0) -> ContentPage:
    if kind not in KINDS:
        raise ValueError(kind)
    page = ContentPage(kind=kind, slug=slug, position=position)
    db.session.add(page)
    db.session.flush()
    return page


def staff_create(kind: str, slug: str, position: int, data: dict, *, by, publish: bool, note: str = "") -> ContentPage:
    """A new page from the editor (a draft, or published at once); recorded in the audit log."""
    page = create_page(kind, slug, position)
    save(page, data, author=by, publish=publish, note=note)
    audit_record("content.created", actor=by, page=f"{page.kind}:{page.slug}", published=publish)
    db.session.commit()
    return page


def staff_save(page: ContentPage, data: dict, *, by, publish: bool, note: str = "") -> ContentRevision:
    revision = save(page, data, author=by, publish=publish, note=note)
    audit_record(
        "content.published" if publish else "content.draft_saved",
        actor=by,
        page=f"{page.kind}:{page.slug}",
        revision=revision.number,
    )
    db.session.commit()
    return revision


def staff_withdraw(page: ContentPage, *, by) -> None:
    withdraw(page)
    audit_record("content.withdrawn", actor=by, page=f"{page.kind}:{page.slug}")
    db.session.commit()


def all_pages() -> list[ContentPage]:
    """Every page with its revisions, for the editor's list."""
    return list(
        db.session.scalars(
            sa.select(ContentPage)
            .options(so.selectinload(ContentPage.revisions))
            .order_by(ContentPage.kind, ContentPage.position, ContentPage.slug)
        )
    )


def page_exists(kind: str, slug: str) -> bool:
    return (
        db.session.scalar(sa.select(ContentPage.id).where(ContentPage.kind == kind, ContentPage.slug == slug))
        is not None
    )


def working_copy(page: ContentPage):
    """What the editor starts from: the pending draft, else the published text."""
    return page.draft or page


def diff_lines(old: ContentRevision | None, new: ContentRevision) -> list[tuple[str, str]]:
    """[(op, line)] with op in ' ', '+', '-' (difflib)."""
    before = old.as_text().splitlines() if old else []
    after = new.as_text().splitlines()
    result = []
    for line in difflib.unified_diff(before, after, lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            result.append(("@", line))
        else:
            result.append((line[:1] or " ", line[1:]))
    return result


# --- shipped content ------------------------------------------------------------------


def _read(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n"):
        _, front, body = text.split("---\n", 2)
        return yaml.safe_load(front) or {}, body.strip() + "\n"
    return {}, text.strip() + "\n"


class ShippedContentError(ValueError):
    """A shipped content file lacks what every legal text must carry."""


#: Categories of knowledge articles (front matter ``category``), in the order of the /wissen/ page.
ARTICLE_CATEGORIES = {
    "datenschutz": _l("Datenschutz"),
    "sicherheit": _l("Sicherheit im Netz"),
    "social-media": _l("Social Media"),
    "werkzeuge": _l("Werkzeuge"),
    "vereinsorganisation": _l("Vereinsorganisation"),
}


def _related(meta: dict, where: str) -> dict | None:
    """``checklist: [item keys]`` and ``workshops: [workshop topics]`` from an article's front matter."""
    related = {}
    for key in ("checklist", "workshops"):
        value = meta.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ShippedContentError(f"{where}: „{key}“ muss eine Liste von Schlüsseln sein.")
        if value:
            related[key] = value
    return related or None


def shipped_content() -> list[tuple[str, str, dict, str]]:
    """[(kind, slug, data, hash)] from the files in ``content/``.

    Every file's front matter must carry ``reviewed`` (the "Stand" date) and
    ``sources`` (at least one ``{label, url?, label_en?}``, see app.core.sources).
    """
    items = []
    for kind, folder in FOLDERS.items():
        for path in sorted((CONTENT_DIR / folder).glob("*.md")):
            if path.name.endswith(".en.md"):
                continue
            slug = path.stem
            meta, body = _read(path)
            en_path = path.with_name(f"{slug}.en.md")
            meta_en, body_en = _read(en_path) if en_path.exists() else ({}, "")
            try:
                reviewed_on, sources = parse_reviewed(meta.get("reviewed")), parse_sources(meta.get("sources"))
            except SourceError as exc:
                raise ShippedContentError(f"{folder}/{path.name}: {exc}") from None
            data = {
                "title": meta.get("title", slug),
                "summary": meta.get("summary", ""),
                "body": body,
                "title_en": meta_en.get("title", ""),
                "summary_en": meta_en.get("summary", ""),
                "body_en": body_en,
                "position": int(meta.get("position", 0)),
                "reviewed_on": reviewed_on,
                "sources": sources,
            }
            if kind == "article":
                category = meta.get("category")
                if category not in ARTICLE_CATEGORIES:
                    raise ShippedContentError(
                        f"{folder}/{path.name}: „category“ muss eine von {', '.join(ARTICLE_CATEGORIES)} sein."
                    )
                data["category"] = category
                data["related"] = _related(meta, f"{folder}/{path.name}")
            digest = hashlib.sha256(repr(sorted(data.items())).encode()).hexdigest()
            items.append((kind, slug, data, digest))
    return items


def sync_shipped_content() -> str:
    """Load the shipped files: new pages are created, untouched ones updated,
    pages staff have edited are never overwritten. Idempotent."""
    created = updated = kept = 0
    existing = {(p.kind, p.slug): p for p in db.session.scalars(sa.select(ContentPage))}
    for kind, slug, data, digest in shipped_content():
        page = existing.get((kind, slug))
        if page is None:
            page = create_page(kind, slug, data["position"])
            created += 1
        elif page.staff_edited:
            kept += 1
            continue
        elif page.source_hash == digest:
            continue
        else:
            updated += 1
        page.position = data["position"]
        page.category, page.related = data.get("category"), data.get("related")
        revision = add_revision(page, data, source="shipped", note="Mitgelieferter Inhalt")
        publish_revision(page, revision, index=False)  # the index is rebuilt below
        page.source_hash = digest
    db.session.flush()
    indexed = search.rebuild()
    db.session.commit()
    return (
        f"{created} neu, {updated} aktualisiert, {kept} von der Redaktion bearbeitet (unverändert), "
        f"{indexed} im Suchindex"
    )


# --- review dates ("Stand"): which texts are due for review, marked as reviewed by staff ---------------

REVIEWED_KINDS = ("chapter", "article")


def review_entries() -> list[ContentPage]:
    """Published chapters and articles (the texts with a legal "Stand"), for the staff review list."""
    return list(
        db.session.scalars(
            sa.select(ContentPage)
            .where(ContentPage.kind.in_(REVIEWED_KINDS), ContentPage.is_published.is_(True))
            .order_by(ContentPage.kind, ContentPage.position, ContentPage.slug)
        )
    )


def mark_reviewed(kind: str, slug: str, on: date) -> tuple[ContentPage, date | None]:
    """Set the "Stand" users see to ``on``; returns the page and the date before (the caller audits, commits).

    Raises ``LookupError`` for an unknown or unpublished page.
    """
    page = published_page(kind, slug) if kind in REVIEWED_KINDS else None
    if page is None:
        raise LookupError(f"{kind}:{slug}")
    before = page.reviewed_on
    page.reviewed_on = on
    return page, before
