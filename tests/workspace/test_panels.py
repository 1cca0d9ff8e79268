"""Panels without an outside service are part of the workspace page; a failing one degrades to its link."""

from __future__ import annotations


def test_failing_inline_panel_falls_back_to_lazy_loading(roles, client_for, monkeypatch, caplog):
    from app.workspace import routes

    def broken():
        raise RuntimeError("kaputt")

    partial, _context = routes.INLINE_PANELS["guide-panel"]
    monkeypatch.setitem(routes.INLINE_PANELS, "guide-panel", (partial, broken))
    response = client_for(roles.member).get(f"/c/{roles.club.slug}/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # the guide panel is loaded separately (with a link that works without JavaScript) ...
    assert f'hx-get="/c/{roles.club.slug}/leitfaden/"' in html
    assert f'href="/c/{roles.club.slug}/leitfaden/"' in html
    # ... and the other panels are still in the page
    assert 'id="privacy-panel" aria-labelledby' in html and 'id="workshops-panel" aria-labelledby' in html
    assert "guide-panel failed" in caplog.text


def test_inline_panels_are_not_shown_for_a_pending_club(make_user, make_club, client_for):
    board = make_user()
    club = make_club(status="pending", board=board)
    html = client_for(board).get(f"/c/{club.slug}/").get_data(as_text=True)
    assert "wird geprüft" in html
    assert 'id="privacy-panel"' not in html and 'id="workshops-panel"' not in html
