"""The community channel in a real browser: join from the account page (htmx), with axe on every new page."""

import pytest

from app.chat import community
from app.chat.models import CommunityChannel
from app.extensions import db
from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

SETTINGS = ("MATTERMOST_URL", "MATTERMOST_TOKEN", "MATTERMOST_TEAM", "MATTERMOST_TIMEOUT")


def test_join_the_community_channel_from_the_account_page(app, roles, mm, live_server, page):
    live_server.app.config.update({key: app.config[key] for key in SETTINGS})
    person = mm.account(roles.member)
    login_in_browser(page, live_server.url, roles.member.email, PASSWORD)
    page.goto(f"{live_server.url}/konto/")
    block = page.locator("#community-block")
    assert "Beitreten" in block.inner_text()
    assert_accessible(page)

    block.get_by_role("button", name="Beitreten").click()  # not accepted yet: the block says why (422)
    page.wait_for_selector("#community-block .error")
    assert "Verhaltensregeln einhalten" in page.locator("#community-block").inner_text()
    assert_accessible(page)

    page.get_by_label("Ich habe die Verhaltensregeln gelesen und halte mich daran.").check()
    page.locator("#community-block").get_by_role("button", name="Beitreten").click()
    page.wait_for_selector("#community-block >> text=Sie sind Mitglied.")
    assert page.url.endswith("/konto/")  # htmx swapped the block, no page load
    db.session.expire_all()
    channel = db.session.get(CommunityChannel, 1)
    assert person["id"] in mm.standin.members_of(channel.channel_id)
    assert_accessible(page)

    page.goto(f"{live_server.url}/community/")
    assert "Sie sind Mitglied." in page.locator("#community-block").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Verhaltensregeln des Community-Kanals").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Verhaltensregeln des Community-Kanals"
    assert_accessible(page)
    assert all("422" in error for error in page.console_errors), page.console_errors  # the refused join above


def test_staff_community_page_is_accessible(app, roles, mm, live_server, page):
    live_server.app.config.update({key: app.config[key] for key in SETTINGS})
    mm.account(roles.member)
    community.join(roles.member, accepted=True)
    login_in_browser(page, live_server.url, roles.staff.email, PASSWORD)
    page.goto(f"{live_server.url}/admin/chat/community")
    assert roles.member.email in page.locator("table").inner_text()
    page.locator("summary", has_text="Entfernen").click()
    page.get_by_role("button", name="Aus dem Kanal entfernen").click()  # no reason: 422 with the message
    page.wait_for_load_state()
    assert "Bitte geben Sie einen Grund an." in page.locator("table").inner_text()
    assert_accessible(page)
