from tests.conftest import HX


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok" and response.get_json()["database"] == "ok"


def test_workspace_shows_inline_panels_and_two_lazy_ones(roles, client_for):
    response = client_for(roles.member).get(f"/c/{roles.club.slug}/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # panels that need no outside service are in the page; BigBlueButton and Mattermost load lazily
    assert html.count('hx-trigger="load"') == 2
    for endpoint in ("konferenzen", "chat"):
        assert f'hx-get="/c/{roles.club.slug}/{endpoint}/"' in html
    for element_id in ("privacy-panel", "guide-panel", "workshops-panel"):
        assert f'<section class="panel" id="{element_id}" aria-labelledby="{element_id}-title">' in html
    for endpoint in ("datenschutz", "leitfaden", "workshops"):
        assert f'hx-get="/c/{roles.club.slug}/{endpoint}/"' not in html


def test_panel_renders_partial_for_htmx_and_page_without(roles, client_for):
    client = client_for(roles.member)
    partial = client.get(f"/c/{roles.club.slug}/datenschutz/", headers=HX)
    page = client.get(f"/c/{roles.club.slug}/datenschutz/")
    assert "<html" not in partial.get_data(as_text=True)
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in partial.headers["Vary"]


def test_mail_reaches_smtp_server(app, mailbox):
    from app.core.mail import build_message, send_message

    send_message(build_message("a@example.org", "Hallo", "Text"))
    assert mailbox.to("a@example.org")[0]["Subject"] == "Hallo"
