"""Knowledge articles: categories, the new articles (dated, sourced, in both languages) and their links to
checklist items and workshops."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from app.core.db import utcnow
from app.extensions import db
from app.guide import services
from tests.helpers import text

ARTICLES = Path(__file__).resolve().parents[2] / "app" / "guide" / "content" / "articles"
NEW = (
    "passwoerter-2fa",
    "phishing",
    "social-media-verein",
    "videokonferenzen-moderieren",
    "mattermost-einstieg",
    "online-mitgliederversammlung",
    "vereinssoftware-auswaehlen",
    "datensicherung",
    "open-source-alternativen",
    "barrierefreie-dokumente",
    "newsletter-einwilligung",
    "website-cookies",
)


def _front(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n", 2)[1])


def _checklist_keys() -> set[str]:
    data = yaml.safe_load((ARTICLES.parents[2] / "privacy" / "checklist.yaml").read_text(encoding="utf-8"))
    keys = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("id"), str):
                keys.add(node["id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return keys


def test_twelve_new_articles_with_category_date_sources_links_and_english_version():
    from app.workshops.models import TOPICS

    checklist = _checklist_keys()
    assert len(NEW) >= 12
    for slug in NEW:
        meta = _front(ARTICLES / f"{slug}.md")
        assert meta["category"] in services.ARTICLE_CATEGORIES, slug
        assert meta["reviewed"] and meta["sources"], slug
        assert meta.get("checklist") or meta.get("workshops"), slug
        assert set(meta.get("checklist") or ()) <= checklist, slug
        assert set(meta.get("workshops") or ()) <= set(TOPICS), slug
        english = _front(ARTICLES / f"{slug}.en.md")
        assert english["title"] and english["summary"], slug
    categories = {_front(path)["category"] for path in ARTICLES.glob("*.md") if not path.name.endswith(".en.md")}
    assert categories == set(services.ARTICLE_CATEGORIES)  # every category has articles


def test_an_article_without_a_known_category_is_rejected(app, tmp_path, monkeypatch):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "x.md").write_text(
        "---\ntitle: X\ncategory: kochen\nreviewed: 2026-12-02\nsources:\n  - label: Quelle\n---\nText\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(services, "CONTENT_DIR", tmp_path)
    with pytest.raises(services.ShippedContentError, match="category"):
        services.shipped_content()


def test_the_knowledge_index_groups_by_category_and_filters(synced, client):
    body = text(client.get("/wissen/"))
    for label in ("Datenschutz", "Sicherheit im Netz", "Social Media", "Werkzeuge", "Vereinsorganisation"):
        assert f">{label}</h2>" in body
    assert body.index("Sicherheit im Netz</h2>") < body.index("Social Media</h2>")
    security = text(client.get("/wissen/?kategorie=sicherheit"))
    assert "Phishing erkennen" in security and "Barrierefreie Dokumente" not in security
    assert client.get("/wissen/?kategorie=kochen").status_code == 400


def test_an_article_links_its_checklist_items_and_workshops(synced, client, make_user, roles, client_for):
    from app.privacy.content import sync
    from app.workshops.models import Workshop

    sync()

    staff = make_user(staff=True)
    db.session.add(
        Workshop(
            title="Sicher im Netz für Vorstände",
            topic="online-sicherheit",
            starts_at=utcnow() + timedelta(days=10),
            registration_deadline=utcnow() + timedelta(days=9),
            created_by_id=staff.id,
        )
    )
    db.session.commit()
    body = text(client.get("/wissen/passwoerter-2fa"))
    assert "Stand:" in body and "Quellen" in body
    assert "Dazu im Datenschutz-Selbstcheck" in body and 'id="check-sec-accounts"' in body
    assert "Passende Workshops" in body and "Sicher im Netz für Vorstände" in body
    assert 'href="/wissen/?kategorie=sicherheit"' in body
    member = text(client_for(roles.member).get("/wissen/passwoerter-2fa"))
    with synced.test_request_context():
        from flask import url_for

        own = url_for("privacy.item", slug=roles.club.slug, key="sec-accounts")
    assert f'href="{own}"' in member and own not in body


def test_the_english_ui_shows_the_english_article(synced, client):
    client.post("/sprache", data={"lang": "en", "next": "/wissen/phishing"})
    body = text(client.get("/wissen/phishing"))
    assert "Recognising phishing and reacting well" in body and "Phishing erkennen" not in body


@pytest.mark.browser
def test_knowledge_pages_are_accessible(synced, live_server, page):
    from tests.browser import assert_accessible

    page.goto(f"{live_server.url}/wissen/")
    assert_accessible(page)
    page.get_by_role("link", name="Sicherheit im Netz", exact=True).click()
    page.get_by_role("link", name="Passwörter und Zwei-Faktor-Anmeldung").click()
    assert_accessible(page)
