"""Guide ↔ checklist (issue 3): chapters list their checklist items, the panel suggests chapters."""

import pytest

from app.guide import services
from tests.conftest import HX


@pytest.fixture
def checklist(synced):
    from app.privacy.content import sync

    sync()
    return synced


def test_every_chapter_the_checklist_links_exists(checklist, client):
    from app.privacy.services import current_items

    linked = {chapter for item in current_items() for chapter in (item.chapters or [])}
    assert linked, "checklist has no guide links"
    assert linked <= set(services.CHAPTER_IDS)
    for chapter_id in linked:
        assert client.get(f"/leitfaden/{chapter_id}").status_code == 200


def test_chapter_lists_the_checklist_items_that_explain_it(checklist, client, roles, client_for):
    from app.privacy.services import items_for_chapter

    items = items_for_chapter("rundmails")
    assert items
    public = client.get("/leitfaden/rundmails").get_data(as_text=True)
    for item in items:
        assert f'id="check-{item.key}"' in public
        assert str(item.question).split("?")[0][:40] in public.replace("&#34;", '"').replace("&#39;", "'")
    assert "Melden Sie sich an" in public

    member = client_for(roles.member).get("/leitfaden/rundmails").get_data(as_text=True)
    assert f'href="/c/{roles.club.slug}/datenschutz/punkt/{items[0].key}"' in member
    assert roles.other_club.slug not in member


def test_checklist_links_back_to_the_guide(checklist, roles, client_for):
    from app.privacy.services import items_for_chapter

    item = items_for_chapter("loeschfristen")[0]
    text = client_for(roles.board).get(f"/c/{roles.club.slug}/datenschutz/punkt/{item.key}").get_data(as_text=True)
    assert 'href="/leitfaden/loeschfristen"' in text


def test_panel_suggests_chapters_for_open_items(checklist, roles, client_for):
    from app.privacy.services import open_chapter_ids

    expected = open_chapter_ids(roles.club)[:5]
    assert expected
    text = client_for(roles.member).get(f"/c/{roles.club.slug}/leitfaden/", headers=HX).get_data(as_text=True)
    positions = [text.index(f'href="/leitfaden/{chapter_id}"') for chapter_id in expected]
    assert positions == sorted(positions)  # most urgent first


def test_panel_without_open_items_offers_the_whole_guide(synced, roles, client_for, monkeypatch):
    import app.privacy.services as privacy

    monkeypatch.setattr(privacy, "open_chapter_ids", lambda club: [])
    text = client_for(roles.member).get(f"/c/{roles.club.slug}/leitfaden/", headers=HX).get_data(as_text=True)
    assert "18 kurzen Kapiteln" in text and 'href="/leitfaden/"' in text


def test_panel_shows_english_titles_where_a_chapter_has_an_english_text(checklist, roles, client_for):
    """The panel reads titles and summaries only (no page bodies), and still picks the language the way the
    chapter page does: English where the chapter has an English text, German otherwise."""
    from app.extensions import db
    from app.guide.models import ContentPage
    from app.privacy.services import open_chapter_ids

    first, second = open_chapter_ids(roles.club)[:2]
    pages = {p.slug: p for p in db.session.query(ContentPage).filter(ContentPage.slug.in_([first, second]))}
    pages[second].body_en = ""  # no English text: the panel shows the German title
    db.session.commit()
    english_title, german_title = pages[first].title_en, pages[second].title
    assert english_title and english_title != pages[first].title

    client = client_for(roles.member)
    client.post("/sprache", data={"lang": "en", "next": "/"})
    text = client.get(f"/c/{roles.club.slug}/leitfaden/", headers=HX).get_data(as_text=True)
    assert english_title in text and pages[first].title not in text
    assert german_title in text
