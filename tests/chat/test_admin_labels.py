"""The staff chat sync list speaks German (issue 16): kinds of changes by name, not codes like ``provision``."""


def test_sync_list_shows_readable_kinds(roles, client_for):
    from datetime import timedelta

    from app.chat.models import ChatOp
    from app.core.db import utcnow
    from app.extensions import db

    now = utcnow()  # a change the chat server has not taken yet (written directly: no worker runs it)
    db.session.add(
        ChatOp(
            club_id=roles.club.id,
            kind="provision",
            key="provision:x",
            payload={},
            status="failed",
            attempts=3,
            next_try_at=now,
            give_up_at=now + timedelta(days=1),
            created_at=now,
            last_error="503",
        )
    )
    db.session.commit()
    response = client_for(roles.staff).get("/admin/chat/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    table = html[html.index("<table") :]
    assert "<td>Kanal anlegen</td>" in table and "<td>provision</td>" not in table
    assert "Offen:" not in html


def test_every_queued_kind_has_a_label():
    import re
    from pathlib import Path

    from app.chat.admin import OP_KIND_LABELS

    source = "\n".join(p.read_text(encoding="utf-8") for p in Path("app/chat").rglob("*.py"))
    kinds = set(re.findall(r'enqueue\(\s*club,\s*"([a-z]+)"', source))
    assert {"provision", "rename", "state", "notice"} <= kinds
    assert kinds <= set(OP_KIND_LABELS)
