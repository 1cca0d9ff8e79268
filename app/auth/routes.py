from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..core.forms import EmptyForm
from ..core.htmx import is_htmx
from ..core.nav import staff_home_url
from ..core.ratelimit import current_email, email_in_form, login_limits, mail_limits
from ..core.routes import safe_next
from . import bp
from .forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from .services import (
    AccountError,
    apply_email_change,
    check_your_inbox,
    clubs_blocking_deletion,
    confirm_address,
    delete_account,
    end_all_sessions,
    equalise_timing,
    get_user_by_email,
    read_token,
    record_login,
    register_account,
    rename,
    request_email_change,
    send_confirmation,
    send_password_reset,
)
from .services import change_password as change_password_service
from .services import reset_password as reset_password_service
from .twofactor import end_second_step, start_second_step


def unauthorized():
    """Anonymous users go to the login page; htmx gets a 401 that redirects."""
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if is_htmx():
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def _form_page(template, form, **context):
    """Render a form page; a submitted invalid form answers 422."""
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template(template, form=form, **context), status


def keep_this_session(user) -> None:
    """After the account's session token changed: keep the acting browser logged in (with a new
    remember-me cookie if it had one); every other session has ended."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(user, remember=remembered)


@bp.route("/registrieren", methods=["GET", "POST"])
@mail_limits(recipient=email_in_form("email"), per_client="REGISTER_RATE_LIMIT")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("clubs.mine"))
    form = RegisterForm()
    if form.validate_on_submit():
        # New account or not, the answer is the same; the mailbox tells its owner which it was.
        register_account(form.email.data, form.name.data, form.password.data)
        flash(check_your_inbox(), "success")
        return redirect(url_for("auth.login", next=safe_next(request.args.get("next"), None)), code=303)
    return _form_page("auth/register.html", form)


@bp.get("/bestaetigen/<token>")
def confirm(token):
    try:
        user, _payload = read_token("confirm", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    except AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.login" if not current_user.is_authenticated else "clubs.mine"))
    confirm_address(user)
    flash(_("Danke! Ihre E-Mail-Adresse ist bestätigt."), "success")
    return redirect(url_for("clubs.mine" if current_user.is_authenticated else "auth.login"))


@bp.post("/bestaetigen/erneut")
@login_required
@mail_limits(recipient=current_email)
def resend_confirmation():
    form = EmptyForm()
    if form.validate_on_submit() and not current_user.is_confirmed:
        send_confirmation(current_user)
        flash(_("Wir haben Ihnen den Bestätigungslink noch einmal geschickt."), "success")
    return redirect(url_for("clubs.mine"), code=303)


@bp.route("/anmelden", methods=["GET", "POST"])
@login_limits("email")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("clubs.mine"))
    form = LoginForm()
    if form.validate_on_submit():
        user = get_user_by_email(form.email.data)
        if user is None:
            equalise_timing(form.password.data)  # an unknown address must not answer faster
        if user is None or not user.check_password(form.password.data):
            form.password.errors.append(_("E-Mail-Adresse oder Passwort ist falsch."))
            return _form_page("auth/login.html", form)
        if user.has_two_factor:  # the second step: only a short-lived marker until the code is given
            start_second_step(user, remember=form.remember.data, next_url=safe_next(request.args.get("next"), None))
            return redirect(url_for("auth.login_code"), code=303)
        login_user(user, remember=form.remember.data)
        record_login(user)
        home = (staff_home_url() if user.is_staff else None) or url_for("clubs.mine")
        return redirect(safe_next(request.args.get("next"), home), code=303)
    return _form_page("auth/login.html", form)


@bp.post("/abmelden")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        end_second_step()
        flash(_("Sie sind abgemeldet."), "success")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
@mail_limits(recipient=email_in_form("email"))
def forgot_password():
    form = ResetRequestForm()
    if form.validate_on_submit():
        send_password_reset(form.email.data)
        flash(_("Wenn zu dieser Adresse ein Konto gehört, haben wir einen Link zum Zurücksetzen geschickt."), "success")
        return redirect(url_for("auth.login"), code=303)
    return _form_page("auth/forgot.html", form)


@bp.route("/passwort-neu/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        user, _payload = read_token("reset", token, current_app.config["RESET_TOKEN_MAX_AGE"])
    except AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        reset_password_service(user, form.password.data)
        flash(_("Ihr Passwort ist geändert. Sie können sich jetzt anmelden."), "success")
        return redirect(url_for("auth.login"), code=303)
    return _form_page("auth/reset.html", form)


@bp.get("/")
@login_required
def settings():
    return _settings_with(status=200)


def _settings_with(status=422, **forms):
    context = dict(
        profile_form=ProfileForm(obj=current_user, formdata=None),
        password_form=ChangePasswordForm(formdata=None),
        email_form=ChangeEmailForm(formdata=None),
        delete_form=DeleteAccountForm(formdata=None),
        logout_everywhere_form=EmptyForm(formdata=None),
        blocking=clubs_blocking_deletion(current_user),
    )
    context.update(forms)
    return render_template("auth/settings.html", **context), status


@bp.post("/profil")
@login_required
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _settings_with(profile_form=form)
    rename(current_user, form.name.data)
    flash(_("Ihr Name ist gespeichert."), "success")
    return redirect(url_for("auth.settings"), code=303)


@bp.post("/passwort")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if current_user.check_password(form.current_password.data):
            user = current_user._get_current_object()
            change_password_service(user, form.password.data)
            keep_this_session(user)
            flash(_("Ihr Passwort ist geändert. Auf allen anderen Geräten sind Sie jetzt abgemeldet."), "success")
            return redirect(url_for("auth.settings"), code=303)
        form.current_password.errors.append(_("Das aktuelle Passwort ist falsch."))
    return _settings_with(password_form=form)


@bp.post("/email")
@login_required
@mail_limits(recipient=email_in_form("email"), per_account="MAIL_ACCOUNT_RATE_LIMIT")
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("Das aktuelle Passwort ist falsch."))
        else:
            try:
                request_email_change(current_user, form.email.data)
            except AccountError as exc:
                form.email.errors.append(str(exc))
            else:
                flash(
                    _("Wir haben einen Bestätigungslink an die neue Adresse geschickt. Erst nach dem Klick gilt sie."),
                    "success",
                )
                return redirect(url_for("auth.settings"), code=303)
    return _settings_with(email_form=form)


@bp.get("/email/<token>")
def confirm_email_change(token):
    acting_id = current_user.id if current_user.is_authenticated else None  # before the token changes
    try:
        user = apply_email_change(token)
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        if acting_id == user.id:
            keep_this_session(user)
        flash(_("Ihre neue E-Mail-Adresse ist bestätigt."), "success")
    return redirect(url_for("auth.settings" if current_user.is_authenticated else "auth.login"))


@bp.post("/ueberall-abmelden")
@login_required
def logout_everywhere():
    """End every session of the account, on every device, this one included."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    end_all_sessions(current_user._get_current_object())
    logout_user()
    flash(_("Sie sind jetzt auf allen Geräten abgemeldet."), "success")
    return redirect(url_for("auth.login"), code=303)


@bp.post("/loeschen")
@login_required
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("Das Passwort ist falsch."))
        else:
            try:
                delete_account(current_user._get_current_object())
            except AccountError as exc:
                form.current_password.errors.append(str(exc))
            else:
                logout_user()
                flash(_("Ihr Konto ist gelöscht. Auf Wiedersehen!"), "success")
                return redirect(url_for("pages.index"), code=303)
    return _settings_with(delete_form=form)
