"""Export and account deletion find a person's rows by id only, never by name or address in free text.

Issue 12, item 2: ``audit_clause`` matched audit entries with unescaped LIKE patterns on the display
name and e-mail address, so an account named ``___`` exported the whole platform's audit log, and
deleting an account named "Ja" or "Verein" rewrote other people's audit entries and checklist history.

The world below is written through the domains' own service functions. "Anna Maria" (address
``anna.maria@example.org``) and her club produce entries whose text contains every hostile name and
the person's own address ``maria@example.org`` as a substring; the person produces entries that are
theirs by id. Export and deletion must find exactly the person's entries and leave the rest untouched.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.auth.services import apply_email_change, make_token
from app.clubs.models import ClubStatus, Membership, Role
from app.clubs.services import change_role, change_status, invite_by_email
from app.core.audit import AuditEntry, audit_record
from app.dataprotection.erasure import erase_user
from app.dataprotection.services import pseudonym, user_data
from app.extensions import db

HOSTILE_NAMES = ["___", "%", "_", "Ja", "Verein", "Anna"]
ADDRESS = "maria@example.org"  # a substring of Anna Maria's address


def _audit_ids() -> set[int]:
    return set(db.session.scalars(sa.select(AuditEntry.id)))


class Recorder:
    """Which audit entries an action wrote (ground truth, independent of the code under test)."""

    def __init__(self):
        self.ids: set[int] = set()

    def __call__(self, action, *args, **kwargs):
        before = _audit_ids()
        result = action(*args, **kwargs)
        db.session.commit()
        self.ids |= _audit_ids() - before
        return result


def _save(club, item, user, names, **data):
    from app.privacy.models import Answer
    from app.privacy.services import save_answer

    current = db.session.scalar(sa.select(Answer).where(Answer.club_id == club.id, Answer.item_key == item.key))
    values = {"status": None, "note": None, "responsible_id": None, "due_date": None, **data}
    save_answer(club, item, user, values, current.version if current else 0, names)
    db.session.commit()
    from app.privacy.models import AnswerChange

    return db.session.scalar(sa.select(sa.func.max(AnswerChange.id)))


@pytest.fixture
def world(roles, make_user, make_club, mailbox):
    """Returns a namespace with the person and the ids of their rows and of everybody else's."""
    from app.privacy.content import sync
    from app.privacy.services import current_items

    def build(name):
        sync()
        items = current_items()
        others, mine = Recorder(), Recorder()
        staff = roles.staff

        # --- other people --------------------------------------------------------------------
        anna_maria = make_user(email="anna.maria@example.org", name="Anna Maria")
        fc_board = make_user(email="vorstand@fc-ja.example", name="Verein Ja")
        fc = others(make_club, name="FC Ja Verein 100% ___", board=fc_board, members=[anna_maria])
        am_membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == anna_maria.id))
        others(change_role, am_membership, Role.BOARD, by=fc_board)
        others(apply_email_change, make_token("change-email", anna_maria, new="anna.maria@neu.example"))
        others(apply_email_change, make_token("change-email", anna_maria, new="anna.maria@example.org"))
        others(invite_by_email, fc, "anna@example.org", Role.MEMBER, by=fc_board)  # nobody's account
        pending = others(make_club, name="Verein Anna", status="pending", board=anna_maria)
        others(
            change_status,
            pending,
            ClubStatus.REJECTED,
            by=staff,
            notify=False,
            reason="Verein Ja: Anna Maria (anna.maria@example.org) hat 100% _ ___ angegeben",
        )
        others(audit_record, "chat.linked", actor=fc_board, club=fc, url="https://chat.example/verein/channels/ja")
        # FC's checklist history: answers "Ja", notes equal to every hostile name, Anna Maria responsible
        names = {anna_maria.id: anna_maria.name, fc_board.id: fc_board.name}
        other_history = set()
        for item, note in zip(items, HOSTILE_NAMES + ["Anna Maria", ADDRESS], strict=False):
            other_history.add(_save(fc, item, fc_board, names, status="yes", note=note, responsible_id=anna_maria.id))
        other_history.add(_save(fc, items[0], anna_maria, names, status="partial", note="Ja", responsible_id=None))

        # --- the person ----------------------------------------------------------------------
        person = make_user(email="m.alt@example.org", name=name)
        db.session.add(Membership(club_id=roles.club.id, user_id=person.id, role=Role.MEMBER))
        db.session.commit()
        mine(apply_email_change, make_token("change-email", person, new=ADDRESS))
        membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == person.id))
        mine(change_role, membership, Role.BOARD, by=roles.board)  # about the person
        mine(invite_by_email, roles.club, "neu@example.org", Role.MEMBER, by=person)  # by the person
        mine(invite_by_email, roles.other_club, ADDRESS, Role.MEMBER, by=roles.outsider)  # to the person
        names = {person.id: person.name, roles.board.id: roles.board.name}
        own_history = {
            "author": _save(roles.club, items[0], person, names, status="yes", note="erledigt"),
            "new_responsible": _save(roles.club, items[1], roles.board, names, status="no", responsible_id=person.id),
        }
        own_history["old_responsible"] = _save(
            roles.club, items[1], roles.board, names, status="no", responsible_id=roles.board.id
        )
        return SimpleNamespace(
            person=person,
            mine=mine.ids,
            others=others.ids,
            own_history=own_history,
            other_history=other_history,
            anna_maria=anna_maria,
            fc=fc,
            items=items,
        )

    return build


def _exported_ids(data, category, table) -> set[int]:
    return {row["id"] for row in data[category][table]}


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_export_and_deletion_find_exactly_the_persons_rows(world, name):
    from app.clubs.models import Club
    from app.privacy.models import AnswerChange

    w = world(name)

    # "Meine Daten": the person's audit entries and checklist history, nobody else's
    data = user_data(w.person)
    assert _exported_ids(data, "audit", "audit_entry") == w.mine
    assert _exported_ids(data, "checklist", "privacy_answer_change") == set(w.own_history.values())
    text = json.dumps(data, ensure_ascii=False)
    assert "anna.maria" not in text and "Anna Maria" not in text

    # account deletion: other people's rows stay exactly as they were

    def audit_snapshot():
        return {
            e.id: (e.actor_id, e.club_id, e.action, json.dumps(e.details, sort_keys=True))
            for e in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.id.in_(w.others)))
        }

    def history_snapshot():
        return {
            c.id: (c.user_id, c.user_name, json.dumps(c.changes, sort_keys=True))
            for c in db.session.scalars(sa.select(AnswerChange).where(AnswerChange.id.in_(w.other_history)))
        }

    def clubs_snapshot():
        return {c.id: (c.name, c.contact_email, c.status_reason) for c in db.session.scalars(sa.select(Club))}

    audit_before, history_before, clubs_before = audit_snapshot(), history_snapshot(), clubs_snapshot()
    assert audit_before and history_before
    uid = w.person.id
    pid = pseudonym("user", uid)
    erase_user(w.person)

    assert audit_snapshot() == audit_before
    assert history_snapshot() == history_before
    assert clubs_snapshot() == clubs_before

    # the person's own entries are found and pseudonymised
    for entry in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.id.in_(w.mine))):
        text = json.dumps(entry.details, ensure_ascii=False)
        assert entry.actor_id != uid and "@" not in text, (entry.action, text)
        assert pid in text, (entry.action, text)
    history = {c.id: c for c in db.session.scalars(sa.select(AnswerChange))}
    author = history[w.own_history["author"]]
    assert author.user_id is None and author.user_name == "ehemaliges Mitglied"
    assert history[w.own_history["new_responsible"]].changes["responsible_id"][1] == "ehemaliges Mitglied"
    assert history[w.own_history["old_responsible"]].changes["responsible_id"] == [
        "ehemaliges Mitglied",
        "Vera Vorstand",
    ]


def test_recording_code_stores_the_ids_of_the_people_concerned(roles, make_user, mailbox):
    """Invitations, e-mail changes and role changes name the person concerned by id, not only by address."""
    invitee = make_user(email="eingeladen@example.org", name="Ina Eingeladen")
    unconfirmed = make_user(email="unbestaetigt@example.org", name="Uwe", confirmed=False)
    invite_by_email(roles.club, invitee.email, Role.MEMBER, by=roles.board)
    invite_by_email(roles.club, unconfirmed.email, Role.MEMBER, by=roles.board)
    apply_email_change(make_token("change-email", roles.member, new="neu@verein.example"))
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    invitations = [e for e in entries if e.action == "invitation.created"]
    assert invitations[0].details["invitee_user_id"] == invitee.id
    assert "invitee_user_id" not in invitations[1].details  # an unconfirmed address names nobody
    assert all(e.details.get("invitation_id") for e in invitations)
    changed = [e for e in entries if e.action == "account.email_changed"][0]
    assert changed.details["user_id"] == roles.member.id
    assert any(e["action"] == "invitation.created" for e in user_data(invitee)["audit"]["audit_entry"])
    assert not any(e["action"] == "invitation.created" for e in user_data(unconfirmed)["audit"]["audit_entry"])


def test_audit_entries_name_people_only_under_declared_keys():
    """Export and deletion look for a person under ``AUDIT_USER_KEYS`` only: every ``audit_record`` call
    that stores a user id must use one of them (a new key would silently escape export and deletion)."""
    import ast
    import pathlib

    from app.dataprotection.registry import AUDIT_USER_KEYS

    app_dir = pathlib.Path(__file__).resolve().parents[2] / "app"
    undeclared = []
    for path in app_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) in ("audit_record", "record")
            ):
                continue
            keys = [kw.arg for kw in node.keywords if kw.arg]
            for kw in node.keywords:
                if kw.arg is None:  # **{...}
                    keys += [
                        k.value for k in ast.walk(kw.value) if isinstance(k, ast.Constant) and isinstance(k.value, str)
                    ]
            for key in keys:
                if key.endswith(("user_id", "_user", "user_ids")) and key not in AUDIT_USER_KEYS:
                    undeclared.append(f"{path.relative_to(app_dir)}:{node.lineno} {key}")
    assert not undeclared, undeclared


def test_my_data_says_what_is_matched_and_where_names_may_remain(roles, client_for, mailbox):
    import io
    import zipfile

    page = client_for(roles.member).get("/konto/meine-daten").get_data(as_text=True)
    for text in (
        "Wie wir Ihre Daten finden",
        "nur dann zu Ihren Daten, wenn Sie diese Adresse bestätigt haben",
        "Freie Texte durchsuchen wir bewusst nicht",
    ):
        assert text in page
    from app.dataprotection.exports import build_user_zip

    summary = zipfile.ZipFile(io.BytesIO(build_user_zip(roles.member))).read("uebersicht.html").decode()
    assert "Wie wir Ihre Daten finden" in summary and "Freie Texte durchsuchen wir bewusst nicht" in summary
