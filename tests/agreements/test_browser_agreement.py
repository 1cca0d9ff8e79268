"""A board member reads and accepts the processing agreement in a real browser; a new version asks again."""

import pytest
import sqlalchemy as sa

from app.agreements.models import AgreementAcceptance
from app.extensions import db
from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD

from .test_agreement import OPERATOR

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    app_config.update(OPERATOR)
    return app_config


def test_board_accepts_the_agreement_and_is_asked_again_after_a_change(app, roles, live_server, page):
    url = f"{live_server.url}/c/{roles.club.slug}/avv/"
    login_in_browser(page, live_server.url, roles.board.email, PASSWORD)
    page.goto(f"{live_server.url}/c/{roles.club.slug}/")
    page.get_by_role("link", name="Auftragsverarbeitung").click()
    page.wait_for_load_state()
    assert page.url == url
    assert page.get_by_role("heading", name="6. Unterauftragsverarbeiter").is_visible()
    assert_accessible(page)

    # without the confirmation: an error, linked from the summary, nothing stored
    page.get_by_role("button", name="Fassung 1 annehmen").click()
    page.wait_for_load_state()
    assert page.get_by_text("Bitte bestätigen Sie, dass Sie den Vertrag für den Verein annehmen.").first.is_visible()
    assert_accessible(page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgreementAcceptance)) == 0

    # by keyboard: tick the box and press the button
    page.get_by_label("Ich habe den Vertrag gelesen und nehme ihn für den Verein an.").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Fassung 1 annehmen").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Angenommen am").wait_for()
    assert "Vera Vorstand" in page.locator("#agreement").inner_text()
    assert_accessible(page)
    db.session.expire_all()
    assert db.session.scalars(sa.select(AgreementAcceptance)).one().accepted_by_id == roles.board.id

    # the operator changes its mail provider: version 2 shows what changed and asks again
    live_server.app.config["AGREEMENT_MAIL_PROVIDER"] = "Anderer Versand GmbH; Dublin (Irland)"
    page.goto(url)
    changes = page.locator("section.diff")
    assert "Anderer Versand GmbH" in changes.locator("ins").inner_text()
    assert "Postwerk Mail GmbH" in changes.locator("del").inner_text()
    assert page.get_by_role("button", name="Fassung 2 annehmen").is_visible()
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Vertrag als PDF herunterladen").click()
    assert download.value.suggested_filename.endswith("fassung-2.pdf")
