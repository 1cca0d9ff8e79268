from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..clubs.forms import BoardTwoFactorForm, ClubSettingsForm
from ..clubs.services import ClubError, set_board_two_factor, update_profile
from ..core.forms import EmptyForm
from ..core.tenancy import club_access
from ..extensions import db
from . import bp

#: (element id, endpoint, heading, what the panel is for). Each domain owns its
#: ``<domain>.panel`` endpoint, which renders the partial for htmx and a full
#: page without JavaScript.
PANELS = (
    (
        "privacy-panel",
        "privacy.panel",
        _l("Datenschutz-Selbstcheck"),
        _l("Wie gut ist Ihr Verein beim Datenschutz aufgestellt?"),
    ),
    (
        "guide-panel",
        "guide.panel",
        _l("Leitfaden Mitgliederverwaltung"),
        _l("Datenschutz in der Mitgliederverwaltung, Schritt für Schritt."),
    ),
    (
        "meetings-panel",
        "meetings.panel",
        _l("Videokonferenzen"),
        _l("Mit einem Klick in den Konferenzraum des Vereins."),
    ),
    ("chat-panel", "chat.panel", _l("Team-Chat"), _l("Der Mattermost-Kanal Ihres Vereins.")),
)


@bp.get("/")
@club_access("member", inactive_ok=True)
def index():
    return render_template("workspace/index.html", panels=PANELS if g.club.is_readable else (), form=EmptyForm())


def _settings_page(form, status=200, two_factor_form=None):
    two_factor_form = two_factor_form or BoardTwoFactorForm(
        formdata=None, data={"required": g.club.board_two_factor_required}
    )
    return render_template("workspace/settings.html", form=form, two_factor_form=two_factor_form), status


@bp.post("/einstellungen/zwei-faktor")
@club_access("board")
def board_two_factor():
    """The club setting "2FA für den Vorstand verpflichtend"."""
    form = BoardTwoFactorForm()
    if form.validate_on_submit():
        try:
            set_board_two_factor(g.club, bool(form.required.data), by=current_user._get_current_object())
        except ClubError as exc:
            db.session.rollback()
            form.required.errors.append(str(exc))
        else:
            if g.club.board_two_factor_required:
                flash(_("Ab jetzt braucht jedes Vorstandsmitglied die Zwei-Faktor-Anmeldung."), "success")
            else:
                flash(_("Die Zwei-Faktor-Anmeldung ist für den Vorstand nicht mehr verpflichtend."), "success")
            return redirect(url_for("workspace.settings"), code=303)
    return _settings_page(ClubSettingsForm(obj=g.club, formdata=None), 422, two_factor_form=form)


@bp.route("/einstellungen", methods=["GET", "POST"])
@club_access("board")
def settings():
    form = ClubSettingsForm(obj=g.club)
    if form.validate_on_submit():
        try:
            update_profile(
                g.club,
                by=current_user,
                name=form.name.data,
                legal_form=form.legal_form.data,
                district=form.district.data,
                contact_email=form.contact_email.data,
                website=form.website.data,
                description=form.description.data,
            )
        except ClubError as exc:  # the name is taken (a parallel rename included), or the club is suspended
            db.session.rollback()
            form.name.errors.append(str(exc))
            return _settings_page(form, 422)
        flash(_("Die Vereinsdaten sind gespeichert."), "success")
        return redirect(url_for("workspace.settings"), code=303)
    return _settings_page(form, 422 if form.is_submitted() else 200)
