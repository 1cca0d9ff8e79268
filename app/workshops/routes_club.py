"""The workspace section: workshops that fit the club's open checklist topics, next consultation date."""

import logging

from flask import g

from ..core.htmx import render_page
from ..core.tenancy import club_access
from . import club_bp
from . import services as svc

#: Checklist topic keys (app/privacy/checklist.yaml) -> workshop topics, best fit first.
#: Unknown keys (a later checklist version) count as data protection.
CHECKLIST_TO_WORKSHOP = {
    "oeffentlichkeit": ("social-media", "datenschutz"),  # website, newsletter, social media, photos
    "sicherheit": ("online-sicherheit",),
    "dienstleister": ("digitale-werkzeuge", "datenschutz"),
    "rechte": ("datenschutz", "online-sicherheit"),  # data subject rights, data breaches
    "organisation": ("datenschutz",),
    "verzeichnis": ("datenschutz",),
    "information": ("datenschutz",),
    "mitglieder": ("datenschutz",),
    "loeschung": ("datenschutz",),
}


def workshop_topics_for(checklist_topics) -> list[str]:
    """Workshop topics in the order of the club's open checklist topics (most open first)."""
    result: list[str] = []
    for key in checklist_topics:
        mapped = CHECKLIST_TO_WORKSHOP.get(key, ("datenschutz",))
        for topic in mapped:
            if topic not in result:
                result.append(topic)
    return result


def open_checklist_topics(club) -> list[str]:
    from ..privacy.services import open_topics

    try:
        return list(open_topics(club))
    except Exception:  # noqa: BLE001 - the checklist must not break this section
        logging.getLogger(__name__).exception("open checklist topics failed")
        return []


@club_bp.get("/")
@club_access("member")
def panel():
    topics = workshop_topics_for(open_checklist_topics(g.club))
    upcoming = svc.upcoming_workshops(limit=20)
    if topics:
        rank = {t: i for i, t in enumerate(topics)}
        matching = sorted([w for w in upcoming if w.topic in rank], key=lambda w: (rank[w.topic], w.starts_at))
        workshops = matching[:3] or upcoming[:3]
    else:
        matching, workshops = [], upcoming[:3]
    return render_page("workshops/club_panel.html", "workshops/partials/_club_panel.html", workshops=workshops,
                       matched=bool(matching), consultation=svc.next_consultation_day())
