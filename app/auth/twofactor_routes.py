"""Two-factor login: the second login step, and the account page that turns it on and off."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from ..core.forms import EmptyForm
from ..core.nav import staff_home_url
from ..core.ratelimit import current_account, second_step_limits
from ..core.routes import safe_next
from ..extensions import db
from . import bp, passkeys, twofactor
from .forms import DisableTwoFactorForm, PasskeyForm, RecoveryCodeForm, RegenerateCodesForm, TwoFactorCodeForm
from .models import Passkey
from .routes import keep_this_session
from .services import record_login
from .twofactor import TwoFactorError


def _no_store(body):
    """Pages with secrets or codes, and the answers of the second step, are never cached."""
    response = make_response(body)
    response.cache_control.no_store = True
    response.cache_control.private = True
    return response


# --- the second login step ---------------------------------------------------------------------------


def _pending_or_restart():
    state = twofactor.second_step_state()
    if state is None:
        twofactor.end_second_step()
        flash(
            _("Bitte melden Sie sich erneut an. Zwischen Passwort und Code dürfen nur wenige Minuten liegen."), "error"
        )
    return state


def _finish_login(user, payload) -> str:
    twofactor.end_second_step()
    login_user(user, remember=payload.get("remember", False))
    record_login(user)
    home = (staff_home_url() if user.is_staff else None) or url_for("clubs.mine")
    return safe_next(payload.get("next"), home)


def _second_step_state():
    """(user, payload, None) while the second step is pending; (None, None, redirect) when the person is
    logged in already or must start again with the password."""
    if current_user.is_authenticated:
        return None, None, redirect(url_for("clubs.mine"))
    state = _pending_or_restart()
    if state is None:
        return None, None, redirect(url_for("auth.login"), code=303)
    return *state, None


def _second_step_page(template, form, user, status=200):
    if form.is_submitted() and form.errors:
        status = 422
    has_passkeys = bool(passkeys.passkeys_of(user))
    return _no_store(render_template(template, form=form, has_passkeys=has_passkeys)), status


@bp.route("/anmelden/code", methods=["GET", "POST"])
@second_step_limits(twofactor.pending_account_key)
def login_code():
    user, payload, elsewhere = _second_step_state()
    if elsewhere is not None:
        return elsewhere
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            twofactor.check_totp(user, form.code.data)
        except TwoFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            return redirect(_finish_login(user, payload), code=303)
    return _second_step_page("auth/login_code.html", form, user)


@bp.route("/anmelden/wiederherstellungscode", methods=["GET", "POST"])
@second_step_limits(twofactor.pending_account_key)
def login_recovery():
    user, payload, elsewhere = _second_step_state()
    if elsewhere is not None:
        return elsewhere
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        try:
            twofactor.use_recovery_code(user, form.code.data)
        except TwoFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            left = twofactor.unused_recovery_codes(user)
            target = _finish_login(user, payload)
            flash(
                _(
                    "Sie sind mit einem Wiederherstellungscode angemeldet. Es bleiben %(n)s Codes. Unter „Mein "
                    "Konto“ können Sie neue erzeugen.",
                    n=left,
                ),
                "success",
            )
            return redirect(target, code=303)
    return _second_step_page("auth/login_recovery.html", form, user)


def _json_error(message: str, status: int):
    return _no_store(jsonify(error=message)), status


@bp.post("/anmelden/passkey/optionen")
@second_step_limits(twofactor.pending_account_key)
def passkey_login_options():
    state = twofactor.second_step_state()
    if state is None:
        return _json_error(_("Bitte melden Sie sich erneut an."), 400)
    try:
        options = passkeys.authentication_options(state[0])
    except TwoFactorError as exc:
        return _json_error(str(exc), 400)
    return _no_store(current_app_response(options))


@bp.post("/anmelden/passkey")
@second_step_limits(twofactor.pending_account_key)
def passkey_login():
    state = twofactor.second_step_state()
    if state is None:
        return _json_error(_("Bitte melden Sie sich erneut an."), 400)
    user, payload = state
    try:
        passkeys.authenticate(user, request.form.get("credential", ""))
    except TwoFactorError as exc:
        return _json_error(str(exc), 422)
    return _no_store(jsonify(redirect=_finish_login(user, payload)))


def current_app_response(body: str):
    """A JSON answer that webauthn already serialised."""
    return current_app.response_class(body, mimetype="application/json")


# --- the account page -----------------------------------------------------------------------------------


def _page(status=200, **forms):
    user = current_user._get_current_object()
    secret = twofactor.pending_secret(user)
    context = dict(
        code_form=TwoFactorCodeForm(formdata=None),
        disable_form=DisableTwoFactorForm(formdata=None),
        regenerate_form=RegenerateCodesForm(formdata=None),
        passkey_form=PasskeyForm(formdata=None),
        secret=secret,
        spaced_secret=twofactor.spaced_secret(secret) if secret else None,
        qr=twofactor.qr_svg(twofactor.provisioning_uri(user, secret)) if secret else None,
        recovery_left=twofactor.unused_recovery_codes(user) if user.has_two_factor else 0,
        passkeys=passkeys.passkeys_of(user),
    )
    context.update(forms)
    return _no_store(render_template("auth/two_factor.html", **context)), status


@bp.get("/zwei-faktor")
@login_required
def two_factor():
    return _page()


@bp.post("/zwei-faktor/einrichten")
@login_required
def two_factor_start():
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        twofactor.start_enrolment(current_user._get_current_object())
    except TwoFactorError as exc:
        flash(str(exc), "error")
    return redirect(url_for("auth.two_factor", _anchor="totp-setup-h"), code=303)


@bp.post("/zwei-faktor/bestaetigen")
@login_required
@second_step_limits(current_account)
def two_factor_confirm():
    user = current_user._get_current_object()
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.confirm_enrolment(user, form.code.data)
        except TwoFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            keep_this_session(user)
            flash(
                _("Die Zwei-Faktor-Anmeldung ist eingeschaltet. Auf allen anderen Geräten sind Sie abgemeldet."),
                "success",
            )
            return _no_store(render_template("auth/recovery_codes.html", codes=codes))
    return _page(code_form=form, status=422)


@bp.post("/zwei-faktor/wiederherstellungscodes")
@login_required
def two_factor_regenerate():
    user = current_user._get_current_object()
    form = RegenerateCodesForm()
    if form.validate_on_submit():
        if not user.check_password(form.current_password.data):
            form.current_password.errors.append(_("Das aktuelle Passwort ist falsch."))
        else:
            try:
                codes = twofactor.regenerate_recovery_codes(user)
            except TwoFactorError as exc:
                form.current_password.errors.append(str(exc))
            else:
                flash(_("Ihre neuen Wiederherstellungscodes: Die alten gelten nicht mehr."), "success")
                return _no_store(render_template("auth/recovery_codes.html", codes=codes))
    return _page(regenerate_form=form, status=422)


@bp.post("/zwei-faktor/ausschalten")
@login_required
@second_step_limits(current_account)
def two_factor_disable():
    user = current_user._get_current_object()
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        if not user.has_two_factor:
            flash(_("Die Zwei-Faktor-Anmeldung ist nicht eingerichtet."), "error")
            return redirect(url_for("auth.two_factor"), code=303)
        if not user.check_password(form.current_password.data):
            form.current_password.errors.append(_("Das aktuelle Passwort ist falsch."))
        else:
            try:
                twofactor.check_code_or_recovery(user, form.code.data)
            except TwoFactorError as exc:
                form.code.errors.append(str(exc))
            else:
                twofactor.disable(user)
                keep_this_session(db.session.get(type(user), user.id))
                flash(
                    _("Die Zwei-Faktor-Anmeldung ist ausgeschaltet. Auf allen anderen Geräten sind Sie abgemeldet."),
                    "success",
                )
                return redirect(url_for("auth.two_factor"), code=303)
    return _page(disable_form=form, status=422)


# --- passkeys on the account page ---------------------------------------------------------------------


@bp.post("/zwei-faktor/passkeys/optionen")
@login_required
def passkey_register_options():
    try:
        options = passkeys.registration_options(current_user._get_current_object())
    except TwoFactorError as exc:
        return _json_error(str(exc), 400)
    return _no_store(current_app_response(options))


@bp.post("/zwei-faktor/passkeys")
@login_required
def passkey_register():
    form = PasskeyForm()
    if not form.validate_on_submit():
        message = next(iter(form.errors.values()))[0] if form.errors else _("Bitte versuchen Sie es noch einmal.")
        return _json_error(str(message), 422)
    try:
        passkeys.register(current_user._get_current_object(), form.name.data, request.form.get("credential", ""))
    except TwoFactorError as exc:
        return _json_error(str(exc), 422)
    flash(_("Der Passkey „%(name)s“ ist eingerichtet.", name=form.name.data.strip()), "success")
    return _no_store(jsonify(redirect=url_for("auth.two_factor")))


@bp.post("/zwei-faktor/passkeys/<int:passkey_id>/entfernen")
@login_required
def passkey_remove(passkey_id):
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != current_user.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    passkeys.remove(current_user._get_current_object(), passkey)
    flash(_("Der Passkey ist entfernt."), "success")
    return redirect(url_for("auth.two_factor"), code=303)
