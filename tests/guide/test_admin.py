import pytest
import sqlalchemy as sa

from app.extensions import db
from app.guide.models import ContentPage
from tests.conftest import HX


def _page(kind, slug):
    return db.session.scalar(sa.select(ContentPage).where(ContentPage.kind == kind, ContentPage.slug == slug))


NEW = {
    "kind": "article",
    "slug": "vereinsfeste",
    "position": "5",
    "title": "Vereinsfeste planen",
    "summary": "Kurz",
    "body": "## Einladung\n\nText mit Fotohinweis.",
    "title_en": "",
    "summary_en": "",
    "body_en": "",
    "note": "erste Fassung",
}


def _edit_data(page, **changes):
    data = {
        "title": page.title,
        "summary": page.summary,
        "body": page.body,
        "title_en": page.title_en,
        "summary_en": page.summary_en,
        "body_en": page.body_en,
        "note": "",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("who", ["anonymous", "member", "board"])
def test_only_staff_may_use_the_editor(synced, roles, client_for, who):
    client = client_for(None if who == "anonymous" else getattr(roles, who))
    page = _page("chapter", "beitritt")
    gets = [
        "/admin/inhalte/",
        "/admin/inhalte/neu",
        f"/admin/inhalte/{page.id}",
        f"/admin/inhalte/{page.id}/versionen",
        f"/admin/inhalte/{page.id}/versionen/1",
    ]
    posts = [
        "/admin/inhalte/neu",
        f"/admin/inhalte/{page.id}",
        "/admin/inhalte/vorschau",
        f"/admin/inhalte/{page.id}/zurueckziehen",
    ]
    expected = {302, 401} if who == "anonymous" else {403}
    for url in gets:
        assert client.get(url).status_code in expected, url
    for url in posts:
        assert client.post(url, data=dict(NEW, action="publish")).status_code in expected, url
    assert _page("article", "vereinsfeste") is None
    assert _page("chapter", "beitritt").is_published and not _page("chapter", "beitritt").staff_edited


def test_staff_see_all_pages(synced, roles, client_for):
    text = client_for(roles.staff).get("/admin/inhalte/").get_data(as_text=True)
    assert "Aufnahme neuer Mitglieder" in text and "Soziale Medien im Verein" in text
    assert "Eintrag im Löschprotokoll" in text


def test_create_draft_then_publish(synced, roles, client_for, client):
    staff = client_for(roles.staff)
    response = staff.post("/admin/inhalte/neu", data=dict(NEW, action="draft"))
    assert response.status_code == 303
    page = _page("article", "vereinsfeste")
    assert not page.is_published and page.draft.note == "erste Fassung" and page.draft.author_id == roles.staff.id
    assert client.get("/wissen/vereinsfeste").status_code == 404

    edit = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Text mit Fotohinweis." in edit  # the editor starts from the draft
    response = staff.post(
        f"/admin/inhalte/{page.id}",
        data=_edit_data(page, title="Vereinsfeste planen", body="## Einladung\n\nNeu.", action="publish"),
    )
    assert response.status_code == 303
    assert client.get("/wissen/vereinsfeste").status_code == 200
    assert "Neu." in client.get("/wissen/vereinsfeste").get_data(as_text=True)


def test_invalid_input_is_422_and_writes_nothing(synced, roles, client_for):
    staff = client_for(roles.staff)
    for data in (
        dict(NEW, title=""),
        dict(NEW, slug="Mit Leerzeichen"),
        dict(NEW, body=""),
        dict(NEW, slug="soziale-medien"),
    ):
        response = staff.post("/admin/inhalte/neu", data=dict(data, action="publish"))
        assert response.status_code == 422, data
        assert "Bitte prüfen Sie Ihre Eingaben" in response.get_data(as_text=True)
    assert _page("article", "vereinsfeste") is None
    page = _page("chapter", "beitritt")
    count = len(page.revisions)
    response = staff.post(f"/admin/inhalte/{page.id}", data=_edit_data(page, title="", action="publish"))
    assert response.status_code == 422
    db.session.expire_all()
    assert len(_page("chapter", "beitritt").revisions) == count
    assert staff.get("/admin/inhalte/999999").status_code == 404


def test_live_preview_is_rendered_and_sanitised(synced, roles, client_for):
    response = client_for(roles.staff).post(
        "/admin/inhalte/vorschau",
        headers=HX,
        data={"title": "x", "body": "## Vorschau\n\n<script>alert(1)</script> **fett**", "body_en": "## Preview"},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in text
    assert '<h2 id="vorschau">Vorschau</h2>' in text and "<strong>fett</strong>" in text
    assert "<script>" not in text and "Preview" in text


def test_preview_without_javascript_renders_the_editor(synced, roles, client_for):
    page = _page("chapter", "beitritt")
    response = client_for(roles.staff).post(
        f"/admin/inhalte/{page.id}", data=_edit_data(page, body="## Nur ansehen", action="preview")
    )
    assert response.status_code == 200 and 'id="nur-ansehen"' in response.get_data(as_text=True)
    assert len(_page("chapter", "beitritt").revisions) == 1


def test_revision_history_and_diff(synced, roles, client_for):
    staff = client_for(roles.staff)
    page = _page("chapter", "auskunft")
    body = page.body
    staff.post(
        f"/admin/inhalte/{page.id}",
        data=_edit_data(
            page,
            body=body.replace("spätestens innerhalb eines Monats", "binnen eines Monats"),
            note="kürzer",
            action="draft",
        ),
    )
    staff.post(f"/admin/inhalte/{page.id}", data=_edit_data(page, body=body + "\nZusatzzeile\n", action="publish"))
    history = staff.get(f"/admin/inhalte/{page.id}/versionen").get_data(as_text=True)
    assert "kürzer" in history and "mitgelieferter Inhalt" in history and "Tanja Team" in history
    diff = staff.get(f"/admin/inhalte/{page.id}/versionen/2").get_data(as_text=True)
    assert "<del" in diff and "spätestens innerhalb eines Monats" in diff
    assert "<ins" in diff and "binnen eines Monats" in diff
    against_first = staff.get(f"/admin/inhalte/{page.id}/versionen/3?mit=1").get_data(as_text=True)
    assert "Zusatzzeile" in against_first and "binnen" not in against_first
    assert staff.get(f"/admin/inhalte/{page.id}/versionen/9").status_code == 404
    assert staff.get(f"/admin/inhalte/{page.id}/versionen/3?mit=9").status_code == 404


def test_withdraw(synced, roles, client_for, client):
    page = _page("article", "soziale-medien")
    response = client_for(roles.staff).post(f"/admin/inhalte/{page.id}/zurueckziehen")
    assert response.status_code == 303
    assert client.get("/wissen/soziale-medien").status_code == 404
    from app.guide.services import sync_shipped_content

    sync_shipped_content()  # shipped content never re-publishes what staff withdrew
    assert client.get("/wissen/soziale-medien").status_code == 404
