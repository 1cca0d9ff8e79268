"""Small helpers shared by the tests of every domain."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db

LINK = re.compile(r"https?://\S+")


def link_in(mailbox, address: str, path_part: str) -> str:
    """The first link containing ``path_part`` in the newest mail to ``address``."""
    messages = mailbox.to(address)
    assert messages, f"no mail to {address}"
    body = mailbox.body(messages[-1])
    links = [link for link in LINK.findall(body) if path_part in link]
    assert links, f"no link with {path_part!r} in:\n{body}"
    return links[0]


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def row_counts() -> dict[str, int]:
    """Committed rows per table – to prove that a refused request wrote nothing."""
    with db.engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() for t in db.metadata.sorted_tables
        }


def text(response) -> str:
    return response.get_data(as_text=True)


def admin_action_url(app, club_id: int, action: str) -> str:
    """The staff URL that sets a club's status (``freischalten``, ``ablehnen``, …)."""
    from flask import url_for

    with app.test_request_context():
        return url_for("admin.set_status", club_id=club_id, action=action)


def assert_refused_cleanly(client, url: str, data: dict, message: str, mailbox, htmx: bool = False):
    """Bad input: 422 with the German ``message``, no row written, no mail; a plain request (and any htmx
    request outside a club) gets the whole page with the form again."""
    before = row_counts()
    response = client.post(url, data=data, headers={"HX-Request": "true"} if htmx else {})
    body = text(response)
    assert 400 <= response.status_code < 500, f"{url}: {response.status_code}"
    assert response.status_code == 422
    assert message in body, body[:3000]
    assert row_counts() == before
    assert mailbox.messages == []
    if not htmx or "/c/" not in url:
        assert "<html" in body  # the whole page with the form again
    return response


def pdf_text(data: bytes) -> str:
    """The text of a PDF (every page, in order), as a reader's copy and paste would give it (pypdf)."""
    import io

    from pypdf import PdfReader

    assert data.startswith(b"%PDF"), data[:20]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def totp_code(user) -> str:
    """A code an authenticator app would show for ``user`` now, for a time step not used yet (the server
    accepts one step either side of now, each step once)."""
    from datetime import datetime

    import pyotp

    from app.auth.twofactor import decrypt_secret

    db.session.refresh(user.totp)
    totp = pyotp.TOTP(decrypt_secret(user.totp.encrypted_secret))
    now = totp.timecode(datetime.now())
    step = next((s for s in (now - 1, now, now + 1) if s > user.totp.last_used_step), None)
    assert step is not None, "every step of the window is used: wait for the next code"
    return totp.generate_otp(step)
