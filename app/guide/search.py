"""Full-text search over published pages – one small interface, two engines.

- SQLite: an FTS5 virtual table ``content_search`` (unicode61 tokenizer,
  diacritics folded, prefix queries).
- PostgreSQL: a table ``content_search`` with a ``tsvector`` column and a GIN
  index (German or English stemming, prefix queries).

Both are created by the migration 0200 (they are not models: see
``UNMANAGED_TABLES``). The index holds only *published* text; it is updated
whenever a page is published or withdrawn, and rebuilt by ``content-sync``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from markupsafe import Markup, escape

from ..extensions import db
from .models import ContentPage
from .rendering import plain_text

TABLE = "content_search"
#: Tables (and their FTS5 shadow tables, which share the prefix) that no model describes.
UNMANAGED_TABLES = (TABLE,)
_START, _STOP = "\u2063[", "]\u2063"
_CONFIGS = {"de": "german", "en": "english"}
MAX_TERMS = 8


@dataclass
class Hit:
    page_id: int
    rank: float
    snippet: Markup


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def terms(query: str) -> list[str]:
    """Words of a user query; everything that could be query syntax is dropped."""
    return re.findall(r"\w+", (query or "").lower())[:MAX_TERMS]


def _documents(page) -> list[tuple[str, str, str, str]]:
    docs = []
    if page.is_published and page.body:
        docs.append(("de", page.title, page.summary, plain_text(page.body)))
    if page.is_published and page.body_en:
        docs.append(("en", page.title_en or page.title, page.summary_en, plain_text(page.body_en)))
    return docs


def remove_page(page_id: int) -> None:
    db.session.execute(sa.text(f"DELETE FROM {TABLE} WHERE page_id = :id"), {"id": page_id})


def index_page(page) -> None:
    """(Re)index one page: its published German and English text, or nothing."""
    remove_page(page.id)
    postgres = _dialect() == "postgresql"
    for lang, title, summary, body in _documents(page):
        params = {
            "id": page.id,
            "lang": lang,
            "title": title,
            "summary": summary or "",
            "body": body,
            "cfg": _CONFIGS[lang],
        }
        if postgres:
            db.session.execute(
                sa.text(
                    f"INSERT INTO {TABLE} (page_id, lang, title, summary, body, document) VALUES "
                    "(:id, :lang, :title, :summary, :body, "
                    "setweight(to_tsvector(CAST(:cfg AS regconfig), :title), 'A') || "
                    "setweight(to_tsvector(CAST(:cfg AS regconfig), :summary), 'B') || "
                    "setweight(to_tsvector(CAST(:cfg AS regconfig), :body), 'C'))"
                ),
                params,
            )
        else:
            db.session.execute(
                sa.text(
                    f"INSERT INTO {TABLE} (page_id, lang, title, summary, body) "
                    "VALUES (:id, :lang, :title, :summary, :body)"
                ),
                params,
            )


def clear() -> None:
    db.session.execute(sa.text(f"DELETE FROM {TABLE}"))


def rebuild() -> int:
    clear()
    pages = db.session.scalars(sa.select(ContentPage).where(ContentPage.is_published)).all()
    for page in pages:
        index_page(page)
    return len(pages)


def search(query: str, lang: str = "de", limit: int = 20) -> list[Hit]:
    words = terms(query)
    if not words:
        return []
    lang = lang if lang in _CONFIGS else "de"
    if _dialect() == "postgresql":
        rows = db.session.execute(
            sa.text(
                "SELECT page_id, ts_rank(document, q) AS rank, "
                f"ts_headline(CAST(:cfg AS regconfig), body, q, "
                f"'StartSel={_START}, StopSel={_STOP}, MaxWords=28, MinWords=12, MaxFragments=1') AS snippet "
                f"FROM {TABLE}, to_tsquery(CAST(:cfg AS regconfig), :q) AS q "
                "WHERE lang = :lang AND document @@ q ORDER BY rank DESC, page_id LIMIT :limit"
            ),
            {"cfg": _CONFIGS[lang], "q": " & ".join(f"{w}:*" for w in words), "lang": lang, "limit": limit},
        )
    else:
        rows = db.session.execute(
            sa.text(
                f"SELECT page_id, bm25({TABLE}, 0, 0, 10.0, 4.0, 1.0) AS rank, "
                f"snippet({TABLE}, 4, '{_START}', '{_STOP}', '…', 24) AS snippet "
                f"FROM {TABLE} WHERE {TABLE} MATCH :q AND lang = :lang ORDER BY rank, page_id LIMIT :limit"
            ),
            {"q": " ".join(f'"{w}"*' for w in words), "lang": lang, "limit": limit},
        )
    return [Hit(row.page_id, float(row.rank), _highlight(row.snippet)) for row in rows]


def _highlight(snippet: str | None) -> Markup:
    text = str(escape(snippet or ""))
    return Markup(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))
