from flask import flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from ..core.errors import fail
from ..core.forms import EmptyForm
from ..core.htmx import is_htmx, render_page
from ..core.tenancy import club_access
from . import bp, community, community_bp, linking, provisioning, queue, services
from .forms import CommunityJoinForm, LinkForm, OptionsForm
from .panel import panel_info


def _panel_context(refresh: bool = False, cached_only: bool = False) -> dict:
    """``cached_only``: the full page (no htmx) – nothing is asked of Mattermost while it renders."""
    link, waiting = services.link_and_open_op_count(g.club)
    info = panel_info(link, g.membership, refresh=refresh, cached_only=cached_only) if link is not None else None
    return {
        "link": link,
        "info": info,
        "waiting": waiting,
        "platform_ready": services.platform_ready(),
        "form": EmptyForm(),
        "no_account": link is not None and services.has_no_account(link, g.membership.user_id),
        "bot_name": services.bot_username(cached_only=cached_only)
        if link is not None and link.on_platform and not link.bot_can_read
        else None,
    }


@bp.get("/")
@club_access("member")
def panel():
    if not is_htmx():  # the page without JavaScript: from the shared cache, a lazy section on a miss
        return render_page("chat/panel.html", "chat/partials/_panel.html", **_panel_context(cached_only=True))
    return render_page(
        "chat/panel.html", "chat/partials/_panel.html", **_panel_context(refresh=request.args.get("refresh") == "1")
    )


@bp.post("/erneut")
@club_access("board")
def retry():
    queue.retry_now(g.club, by=g.membership.user)
    if is_htmx():
        return render_page("chat/panel.html", "chat/partials/_panel.html", **_panel_context(refresh=True))
    flash(_("Die wartenden Änderungen werden noch einmal gesendet."), "success")
    return redirect(url_for("chat.panel"), code=303)


def _settings(link_form=None, status=200, needs_bot=False):
    link, waiting = services.link_and_open_op_count(g.club)
    options = OptionsForm(
        formdata=None, notices=link.notices_enabled if link else True, board_only=link.board_only if link else False
    )
    return render_template(
        "chat/settings.html",
        link=link,
        link_form=link_form or LinkForm(formdata=None),
        options_form=options,
        form=EmptyForm(),
        platform_ready=services.platform_ready(),
        waiting=waiting,
        bot_name=services.bot_username()
        if (link and link.on_platform and not link.bot_can_read) or needs_bot
        else None,
        needs_bot=needs_bot,
    ), status


@bp.get("/einstellungen")
@club_access("board")
def settings():
    return _settings()


@bp.post("/einstellungen/verknuepfen")
@club_access("board")
def link():
    form = LinkForm()
    if form.validate_on_submit():
        try:
            result = linking.link_channel(
                g.club, form.channel_url.data, webhook_url=form.webhook_url.data, by=g.membership.user
            )
        except services.ChatError as exc:
            form.channel_url.errors = [*form.channel_url.errors, str(exc)]
            return _settings(form, 422)
        if result.needs_bot:
            flash(
                _(
                    "Der Kanal ist verknüpft. Er ist privat: Damit die Plattform ihn lesen und Hinweise senden kann, "
                    "fügen Sie bitte den Bot hinzu (siehe unten) – oder hinterlegen Sie eine Webhook-Adresse."
                ),
                "success",
            )
        else:
            flash(_("Der Kanal ist verknüpft."), "success")
        return redirect(url_for("chat.settings"), code=303)
    return _settings(form, 422)


@bp.post("/einstellungen/anlegen")
@club_access("board")
def provision():
    if not EmptyForm().validate_on_submit():
        fail(400, _("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu."))
    if g.club.status.value != "approved":
        fail(403, _("Solange der Verein gesperrt ist, kann kein Kanal angelegt werden."))
    try:
        provisioning.request_provision(g.club, by=g.membership.user)
    except services.ChatError as exc:
        fail(409, str(exc))
    flash(_("Der Kanal wird angelegt. Mitglieder mit einem Konto auf dem Chat-Server werden hinzugefügt."), "success")
    return redirect(url_for("chat.settings"), code=303)


@bp.post("/einstellungen/optionen")
@club_access("board")
def options():
    form = OptionsForm()
    if not form.validate_on_submit():
        fail(400, _("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu."))
    try:
        linking.set_options(g.club, notices=form.notices.data, board_only=form.board_only.data, by=g.membership.user)
    except services.ChatError as exc:
        fail(409, str(exc))
    flash(_("Die Einstellungen sind gespeichert."), "success")
    return redirect(url_for("chat.settings"), code=303)


@bp.post("/einstellungen/pruefen")
@club_access("board")
def recheck():
    link = services.link_for(g.club)
    if link is None or not EmptyForm().validate_on_submit():
        fail(400, _("Es ist noch kein Kanal verknüpft."))
    try:
        ok = linking.recheck_access(link, g.membership.user)
    except services.ChatError as exc:
        flash(str(exc), "error")
        return redirect(url_for("chat.settings"), code=303)
    if ok:
        flash(_("Der Bot hat jetzt Zugriff auf den Kanal."), "success")
    else:
        flash(_("Der Bot hat noch keinen Zugriff auf den Kanal."), "error")
    return redirect(url_for("chat.settings"), code=303)


@bp.post("/einstellungen/loesen")
@club_access("board")
def unlink():
    if not EmptyForm().validate_on_submit():
        fail(400, _("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu."))
    linking.unlink(g.club, by=g.membership.user)
    flash(_("Die Verknüpfung ist gelöst. Der Kanal selbst bleibt auf dem Chat-Server bestehen."), "success")
    return redirect(url_for("chat.settings"), code=303)


# --- the community channel (/community; community.py) -------------------------------------------------

#: Where the join block sits: the class of its box, and where a plain (no-JavaScript) form returns to.
PLACES = {"konto": "card", "arbeitsbereich": "panel", "seite": "card"}


def _place() -> str:
    place = request.values.get("ort") or "seite"
    return place if place in PLACES else "seite"


def _block_context(place: str, form=None, error: str | None = None) -> dict:
    return {
        "community_status": community.status_for(current_user),
        "place": place,
        "box": PLACES[place],
        "join_form": form or CommunityJoinForm(formdata=None),
        "form": EmptyForm(),
        "error": error,
    }


def community_block(place: str = "seite", form=None, error: str | None = None) -> str:
    """The join block (account page, workspace, htmx answers); "" outside /community when the platform has no
    chat server."""
    context = _block_context(place, form, error)
    if context["community_status"].state == "unavailable" and place != "seite":
        return ""
    return Markup(render_template("chat/partials/_community.html", **context))  # our own template: markup


def account_section(**_kwargs) -> str:
    """Template hook "account-settings" (the account page, app.auth)."""
    return community_block("konto")


def workspace_section(**_kwargs) -> str:
    """Template hook "workspace-home": the block under the workspace panels."""
    return community_block("arbeitsbereich") if current_user.is_authenticated else ""


def _community_answer(status: int = 200, form=None, error: str | None = None, message: str | None = None):
    place = _place()
    if is_htmx():
        response = make_response(community_block(place, form, error), status)
        response.headers["Vary"] = "HX-Request"
        return response
    if status >= 400:
        return render_template("chat/community.html", **_block_context("seite", form, error)), status
    if message:
        flash(message, "success")
    target = url_for("auth.settings") if place == "konto" else url_for("community.index")
    return redirect(target + "#community-block", code=303)


@community_bp.get("/")
@login_required
def index():
    if is_htmx():
        return _community_answer()  # the block where it stands (account page, workspace), as it reloads itself
    return render_page("chat/community.html", "chat/partials/_community.html", **_block_context("seite"))


@community_bp.post("/beitreten")
@login_required
def join():
    form = CommunityJoinForm()
    if not form.validate_on_submit():
        return _community_answer(422, form=form)
    try:
        community.join(current_user, accepted=bool(form.accept.data))
    except community.CommunityError as exc:
        return _community_answer(403, error=str(exc))
    return _community_answer(message=_("Sie treten dem Community-Kanal bei."))


@community_bp.post("/verlassen")
@login_required
def leave():
    if not EmptyForm().validate_on_submit():
        fail(400, _("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu."))
    left = community.leave(current_user)
    return _community_answer(message=_("Sie verlassen den Community-Kanal.") if left else None)


@community_bp.get("/verhaltensregeln")
def rules():
    return render_template("chat/community_rules.html")
