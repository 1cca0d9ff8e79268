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
