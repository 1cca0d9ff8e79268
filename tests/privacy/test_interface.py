"""The functions other domains use (guide, admin): see HELPERS.md contracts."""

from app.privacy.services import club_assessment, current_topics, open_chapter_ids, open_topics


def test_open_chapters_and_topics_follow_urgency(roles, content, set_profile, answer):
    set_profile(roles.club, website=False, social=False)
    chapters = open_chapter_ids(roles.club)
    assert chapters and len(chapters) == len(set(chapters))
    assert "website" not in chapters  # only applicable items
    assert chapters[0] == "datenschutzbeauftragter"  # first Pflicht item of the checklist
    topics = open_topics(roles.club)
    assert set(topics) <= {t.key for t in current_topics()}
    # answering everything in the organisation topic removes it from the open topics
    for key in ("org-owner", "org-dpo", "org-dpo-appointed", "org-confidential", "org-rules", "org-handover"):
        answer(roles.board, roles.club, key, "yes")
    assert "organisation" not in open_topics(roles.club)
    assert "datenschutzbeauftragter" not in open_chapter_ids(roles.club)
    # most open items first
    assert topics[0] in ("mitglieder", "information")


def test_club_assessment_row(roles, content):
    assert club_assessment(roles.club, create=False) is None
    row = club_assessment(roles.club)
    assert row.club_id == roles.club.id and row.score is None and row.consultation_wanted is False
    assert club_assessment(roles.club).id == row.id
    assert [t.title for t in current_topics()][0] == "Organisation und Verantwortung"
