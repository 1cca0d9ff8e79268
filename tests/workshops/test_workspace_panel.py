from datetime import timedelta

from tests.conftest import HX


def test_panel_prefers_workshops_matching_open_checklist_topics(roles, client_for, make_workshop, monkeypatch):
    from app.workshops import services

    make_workshop(title="Passwörter und Updates", topic="online-sicherheit", starts_in=timedelta(days=2))
    make_workshop(title="Fotos und Social Media", topic="social-media", starts_in=timedelta(days=9))
    monkeypatch.setattr(services, "open_checklist_topics", lambda club: ["oeffentlichkeit"])
    response = client_for(roles.member).get(f"/c/{roles.club.slug}/workshops/", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="workshops-panel"' in html
    assert "Fotos und Social Media" in html and "Passwörter und Updates" not in html
    assert "noch zu tun ist" in html


def test_panel_without_open_topics_shows_next_workshops_and_consultation(
    roles, client_for, make_workshop, make_schedule
):
    make_workshop(title="Passwörter und Updates")
    make_schedule()
    response = client_for(roles.board).get(f"/c/{roles.club.slug}/workshops/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html  # full page without JavaScript
    assert "Passwörter und Updates" in html and "Nächster Termin" in html


def test_workspace_shows_workshops_section_inline(roles, client_for, make_workshop):
    make_workshop(title="Passwörter und Updates")
    html = client_for(roles.member).get(f"/c/{roles.club.slug}/").get_data(as_text=True)
    assert 'id="workshops-panel"' in html and "Passwörter und Updates" in html
    assert f'hx-get="/c/{roles.club.slug}/workshops/"' not in html


def test_panel_is_tenant_checked(roles, client_for):
    assert client_for(roles.outsider).get(f"/c/{roles.club.slug}/workshops/").status_code == 404
    assert client_for(None).get(f"/c/{roles.club.slug}/workshops/").status_code == 302


def test_checklist_topics_map_to_workshop_topics():
    from app.workshops.services import workshop_topics_for

    assert workshop_topics_for(["oeffentlichkeit", "sicherheit"]) == [
        "social-media",
        "datenschutz",
        "online-sicherheit",
    ]
    assert workshop_topics_for(["sicherheit", "mitglieder"]) == ["online-sicherheit", "datenschutz"]
    assert workshop_topics_for(["etwas-unbekanntes"]) == ["datenschutz"]


def test_panel_uses_the_real_checklist(roles, client_for, make_workshop):
    """Integration with app.privacy: a club that has not answered anything has open items."""
    from app.privacy import services as privacy
    from app.workshops.services import open_checklist_topics

    topics = open_checklist_topics(roles.club)
    assert topics == list(privacy.open_topics(roles.club))
