import pytest

from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_member_sees_workspace_panels_loaded_by_htmx(app, roles, live_server, page):
    login_in_browser(page, live_server.url, roles.member.email, PASSWORD)
    page.goto(f"{live_server.url}/c/{roles.club.slug}/")
    for panel in ("privacy-panel", "guide-panel", "meetings-panel", "chat-panel"):
        page.wait_for_selector(f"#{panel}:not([aria-busy=true])")
    assert_accessible(page)
    assert page.console_errors == []
