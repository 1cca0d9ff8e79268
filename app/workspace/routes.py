import logging

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from ..agreements.services import needs_acceptance
from ..clubs.forms import BoardTwoFactorForm, ClubSettingsForm
from ..clubs.services import ClubError, set_board_two_factor, update_profile
from ..core.forms import EmptyForm
from ..core.pagecache import cached_page, club_scope
from ..core.tenancy import club_access
from ..extensions import db
from ..guide import routes as guide_routes
from ..meetings.services import live_digest
from ..privacy import routes as privacy_routes
from ..workshops import routes as workshops_routes
from . import bp, first_steps

log = logging.getLogger(__name__)

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
    (
        "chat-panel",
        "chat.panel",
        _l("Team-Chat"),
        _l("Ein gemeinsamer Chat für Vorstand und Ehrenamtliche, statt vieler einzelner Nachrichten."),
    ),
)


#: Panels that need no outside service are rendered in the page itself (element id -> partial, context);
#: only the meetings (BigBlueButton) and chat (Mattermost) panels load lazily. Each panel's own route
#: still renders the same partial for htmx and a full page without JavaScript.
INLINE_PANELS = {
    "privacy-panel": ("privacy/partials/_panel.html", privacy_routes.panel_context),
    "guide-panel": ("guide/partials/_panel.html", guide_routes.panel_context),
    "workshops-panel": ("workshops/partials/_club_panel.html", workshops_routes.panel_context),
}


def _inline_panels() -> dict[str, Markup]:
    """The inline panels' markup. A panel that fails is left out (logged, the transaction rolled back):
    the page then shows its lazy placeholder with the link, as before, and the rest of the page stands."""
    rendered = {}
    for element_id, (partial, context) in INLINE_PANELS.items():
        try:
            rendered[element_id] = Markup(render_template(partial, **context()))
        except Exception:  # noqa: BLE001 - one panel must not take the page down
            log.exception("workspace panel %s failed; falling back to loading it separately", element_id)
            db.session.rollback()
    return rendered


#: What a volunteer comes for (meetings, chat) comes first for members; the board sees its order.
MEMBER_FIRST = ("meetings-panel", "chat-panel")


def panels_for(membership) -> tuple:
    if membership.is_board:
        return PANELS
    first = [p for key in MEMBER_FIRST for p in PANELS if p[0] == key]
    return tuple(first + [p for p in PANELS if p[0] not in MEMBER_FIRST])


@bp.get("/")
@club_access("member", inactive_ok=True)
def index():
    """The workspace page, reused until something in the club or on the site changes (core/pagecache.py)."""
    return cached_page(
        _render_index,
        scopes=(club_scope(g.club.id),),
        facets=(g.membership.role.value, live_digest()),  # the banner of running meetings
    )


def _render_index() -> str:
    readable = g.club.is_readable
    agreement_due = None
    if g.membership.is_board and g.club.is_active:
        agreement_due = needs_acceptance(g.club)  # the processing agreement: new, or a new version
    return render_template(
        "workspace/index.html",
        panels=panels_for(g.membership) if readable else (),
        inline=_inline_panels() if readable else {},
        form=EmptyForm(),
        agreement_due=agreement_due,
        first_steps=first_steps.box_for(g.club, g.membership),
    )


@bp.post("/erste-schritte/ausblenden")
@club_access("board")
def dismiss_first_steps():
    if EmptyForm().validate_on_submit():
        first_steps.dismiss(g.club)
        flash(_("Die ersten Schritte sind ausgeblendet."), "success")
    return redirect(url_for("workspace.index"), code=303)


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
