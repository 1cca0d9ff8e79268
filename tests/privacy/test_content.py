"""Content as versioned data: loading, validation, publishing new versions."""

import copy

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.privacy.content import GUIDE_CHAPTERS, ContentError, read_file, sync, validate
from app.privacy.models import Answer, ChecklistItem, ChecklistVersion
from app.privacy.services import (
    PROFILE_FLAGS,
    club_states,
    current_items,
    current_topics,
    current_version,
    items_for_chapter,
)


def test_shipped_file_is_complete():
    data = read_file()
    validate(data)
    assert len(data["items"]) >= 35
    assert len(data["topics"]) >= 8
    ids = [raw["id"] for raw in data["items"]]
    assert len(ids) == len(set(ids))
    for raw in data["items"]:
        assert raw["question_en"] and raw["why_en"] and raw["legal_basis"]
        assert raw["severity"] in ("Pflicht", "Empfehlung", "Tipp")
        assert raw.get("guide"), f"{raw['id']} links no guide chapter"
        assert set(raw["guide"]) <= set(GUIDE_CHAPTERS)
        assert set(raw.get("applies_if") or []) <= set(PROFILE_FLAGS)
        # sources became structured ({label, url?}, issue 17); links stay https-only
        assert all(source.get("url", "https://").startswith("https://") for source in raw["sources"])
    # every topic is used, and several items depend on the profile
    assert {raw["topic"] for raw in data["items"]} == {t["key"] for t in data["topics"]}
    assert sum(1 for raw in data["items"] if raw.get("applies_if")) >= 10
    assert {"Pflicht", "Empfehlung", "Tipp"} <= {raw["severity"] for raw in data["items"]}


def test_sync_loads_once_and_is_idempotent(app):
    first = sync()
    assert "Version 1 geladen" in first
    assert len(current_items()) >= 35 and len(current_topics()) >= 8
    assert "aktuell (Version 1)" in sync()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChecklistVersion)) == 1


def test_cli_sync_and_content_sync(runner):
    result = runner.invoke(args=["privacy", "sync"])
    assert result.exit_code == 0, result.output
    assert "geladen" in result.output
    result = runner.invoke(args=["content-sync"])  # runs every domain's loader; ours must be among them
    assert "privacy: Selbstcheck aktuell (Version 1)" in result.output


def test_items_carry_translations_and_links(app, content):
    item = next(i for i in current_items() if i.key == "mem-bcc")
    assert "BCC" in item.question_de and "BCC" in item.question_en
    assert item.chapters == ["rundmails"]
    assert [i.key for i in items_for_chapter("rundmails")] == ["mem-bcc", "news-doi"]
    assert items_for_chapter("gibt-es-nicht") == []


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["items"][0].update(severity="Wichtig"), "Gewichtung"),
        (lambda d: d["items"][0].update(guide=["kapitel-x"]), "Leitfaden-Kapitel"),
        (lambda d: d["items"][0].update(applies_if=["raumschiff"]), "Profilfrage"),
        (lambda d: d["items"].append(dict(d["items"][0])), "doppelt"),
        (lambda d: d["items"][0].pop("question_en"), "question_en"),
        (lambda d: d["items"][0].update(sources=["http://unsicher.example"]), "https"),
    ],
)
def test_invalid_content_is_rejected(mutate, message):
    data = copy.deepcopy(read_file())
    mutate(data)
    with pytest.raises(ContentError, match=message):
        validate(data)


def test_publish_new_version_carries_answers_and_marks_changes(
    app, content, roles, set_profile, answer, tmp_path, runner, client_for
):
    set_profile(roles.club)
    assert answer(roles.board, roles.club, "mem-bcc", "yes").status_code == 200
    assert answer(roles.board, roles.club, "org-owner", "partial").status_code == 200

    data = copy.deepcopy(content)
    changed = next(raw for raw in data["items"] if raw["id"] == "org-owner")
    changed["question"] = changed["question"] + " (neu formuliert)"
    next(raw for raw in data["items"] if raw["id"] == "mem-bcc")["why"] = "Nur die Erklärung ist anders."
    data["items"].append(
        {
            "id": "neu-punkt",
            "topic": "organisation",
            "severity": "Tipp",
            "question": "Eine neue Frage?",
            "question_en": "A new question?",
            "why": "Weil.",
            "why_en": "Because.",
            "legal_basis": "Art. 5 DSGVO",
            "guide": ["sicherheit"],
            # fields every item needs since issue 16/17
            "action": "Tun Sie es.",
            "action_en": "Do it.",
            "reviewed": "2026-12-02",
            "sources": [{"label": "Art. 5 DSGVO"}],
        }
    )
    import yaml

    path = tmp_path / "neu.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert "weicht von Version 1 ab" in sync(str(path))
    result = runner.invoke(args=["privacy", "publish", "--file", str(path), "--note", "Test"])
    assert result.exit_code == 0, result.output
    assert "Version 2 veröffentlicht: 1 neue, 1 geänderte Punkte" in result.output
    assert current_version().number == 2

    states = {s.item.key: s for s in club_states(roles.club)}
    # unchanged question (only the explanation changed): the answer carries over
    assert states["mem-bcc"].effective_status == "yes" and not states["mem-bcc"].stale
    # changed question: marked, answer kept but counts as open until confirmed
    assert states["org-owner"].item.change == "changed"
    assert states["org-owner"].stale and states["org-owner"].is_open
    assert states["neu-punkt"].is_new
    # the other club sees the same marks
    other = {s.item.key: s for s in club_states(roles.other_club)}
    assert other["neu-punkt"].is_new and other["org-owner"].item.change == "changed"

    html = client_for(roles.member).get(f"/c/{roles.club.slug}/datenschutz/selbstcheck").get_data(as_text=True)
    assert "sind 2 Fragen neu oder geändert" in html and "Änderungen: Test" in html
    assert "Neu in dieser Version" in html and "Frage geändert – bitte Antwort prüfen" in html
    page = answer(roles.board, roles.club, "neu-punkt", "no", htmx=False)
    assert page.status_code == 303
    # confirming the changed item removes the mark
    version = db.session.scalar(
        sa.select(Answer.version).where(Answer.club_id == roles.club.id, Answer.item_key == "org-owner")
    )
    assert answer(roles.board, roles.club, "org-owner", "partial", version=version).status_code == 200
    db.session.expire_all()
    states = {s.item.key: s for s in club_states(roles.club)}
    assert not states["org-owner"].stale and states["org-owner"].effective_status == "partial"


def test_publish_without_changes_is_a_no_op(runner, content):
    result = runner.invoke(args=["privacy", "publish"])
    assert "Keine Änderungen gegenüber Version 1" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChecklistItem)) == len(content["items"])


def test_publish_rejects_invalid_file(runner, content, tmp_path):
    path = tmp_path / "kaputt.yaml"
    path.write_text("topics: []\nitems: []\n", encoding="utf-8")
    result = runner.invoke(args=["privacy", "publish", "--file", str(path)])
    assert result.exit_code != 0
    assert current_version().number == 1
