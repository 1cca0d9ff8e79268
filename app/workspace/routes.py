from flask import g, render_template
from flask_babel import lazy_gettext as _l

from ..core.forms import EmptyForm
from ..core.tenancy import club_access
from . import bp

#: (element id, endpoint, heading, what the panel is for). Each domain owns its
#: ``<domain>.panel`` endpoint, which renders the partial for htmx and a full
#: page without JavaScript.
PANELS = (
    ("privacy-panel", "privacy.panel", _l("Datenschutz-Selbstcheck"),
     _l("Wie gut ist Ihr Verein beim Datenschutz aufgestellt?")),
    ("guide-panel", "guide.panel", _l("Leitfaden Mitgliederverwaltung"),
     _l("Datenschutz in der Mitgliederverwaltung, Schritt für Schritt.")),
    ("meetings-panel", "meetings.panel", _l("Videokonferenzen"),
     _l("Mit einem Klick in den Konferenzraum des Vereins.")),
    ("chat-panel", "chat.panel", _l("Team-Chat"),
     _l("Der Mattermost-Kanal Ihres Vereins.")),
)


@bp.get("/")
@club_access("member", inactive_ok=True)
def index():
    return render_template("workspace/index.html", panels=PANELS if g.club.is_active else (), form=EmptyForm())
