"""Tenant isolation: the one place that turns ``/c/<slug>/…`` into a club and a role.

Every club-scoped blueprint is made with :func:`club_blueprint`. Its views
declare who may use them with :func:`club_access`; a view without a
declaration makes ``create_app`` fail, so no route can forget the check.

Rules (also walked by ``tests/test_tenancy.py`` for every route):
- unknown slug, or a logged-in user without a membership -> 404 (we do not
  reveal which clubs exist); platform staff are no exception here, they work
  in the admin area;
- anonymous -> login (401 + HX-Redirect for htmx);
- member where board is required -> 403;
- a club that is not approved (pending, rejected, closed) -> only views marked
  ``inactive_ok`` (the workspace home explains the state), else 403; while the
  club waits for approval (pending), also the views marked ``pending_ok`` (the
  board prepares: profile and self-check);
- a board view of a club that requires two-factor login for its board
  ("2FA für den Vorstand verpflichtend"), for a board member without it ->
  the enrolment page (also for board actions in member views, ``require_board``);
- a suspended club is read-only: every safe request (GET, HEAD) works, every
  other method is refused with 403 and a German message, except views
  declared ``suspended_ok`` (export the club's data, leave the club, close it).
  The services that send mail or accept invitations check the status too
  (``Club.is_active`` is true for approved clubs only).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import login_manager
from .errors import fail
from .htmx import is_htmx

CLUB_URL_PREFIX = "/c/<slug>"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class ClubAccess:
    role: str  # "public" | "member" | "board"
    inactive_ok: bool = False
    suspended_ok: bool = False
    pending_ok: bool = False


def club_access(
    role: str = "member", *, inactive_ok: bool = False, suspended_ok: bool = False, pending_ok: bool = False
):
    """Declare who may use a club-scoped view: ``public``, ``member`` or ``board``.

    ``inactive_ok``: also for a club that is not approved (pending, rejected, closed).
    ``suspended_ok``: writes (POST, …) also for a suspended club – only for export, leaving and closing.
    ``pending_ok``: also while the club waits for approval (not for a rejected or closed club).
    """
    if role not in {"public", "member", "board"}:
        raise ValueError(role)

    def decorate(view):
        view.club_access = ClubAccess(role, inactive_ok, suspended_ok, pending_ok)
        return view

    return decorate


def refuse_if_suspended(club, access: ClubAccess) -> None:
    """A suspended club may be read and exported, nothing more (403 with a German message)."""
    if club.is_suspended and request.method not in SAFE_METHODS and not access.suspended_ok:
        fail(
            403,
            _(
                "Dieser Verein ist gesperrt. Sie können die Daten ansehen und exportieren, aber nichts "
                "ändern. Bei Fragen wenden Sie sich bitte an das Plattform-Team."
            ),
        )


def club_blueprint(name: str, import_name: str, path: str = "") -> Blueprint:
    """A blueprint under ``/c/<slug><path>`` with the tenant loader attached."""
    bp = Blueprint(name, import_name, url_prefix=CLUB_URL_PREFIX + path, template_folder="templates")
    bp.url_value_preprocessor(_pull_slug)
    bp.url_defaults(_add_slug)
    bp.before_request(_load_club)
    bp.club_scoped = True
    return bp


def _pull_slug(endpoint, values):
    if values is not None:
        g.club_slug = values.pop("slug", None)


def _add_slug(endpoint, values):
    club = g.get("club")
    if club is not None and "slug" not in values:
        values["slug"] = club.slug


def set_club_loader(app: Flask, loader) -> None:
    """The clubs domain registers how a slug becomes a club: ``loader(slug, user) -> (club, membership)``.

    The club needs ``is_suspended``, ``is_pending`` and ``is_readable``, the membership ``is_board``; the membership is None
    for an anonymous visitor or someone who is not a member.
    """
    app.extensions["vereinsraum.club_loader"] = loader


def set_account_club_loader(app: Flask, loader) -> None:
    """The clubs domain may also register ``loader(session_token, slug) -> (account, club, membership)``: on a
    club page the account, the club and the membership are then read in one statement (the accounts
    domain's user loader asks :func:`load_account`). Returns None when no account has that token."""
    app.extensions["vereinsraum.account_club_loader"] = loader


_PREFETCHED = "_vr_club_with_account"


def load_account(token: str, load_alone):
    """The account for a session token (the accounts domain's Flask-Login user loader calls this).

    On a club page (``g.club_slug`` set before the first access to the user) the account comes with the club
    and the membership in one statement; they are kept for :func:`load_club_for`. Anywhere else, and when no
    such loader is registered: ``load_alone()``.
    """
    slug = g.get("club_slug")
    loader = current_app.extensions.get("vereinsraum.account_club_loader")
    if slug is None or loader is None:
        return load_alone()
    found = loader(token, slug)
    if found is None:
        return None
    account, club, membership = found
    setattr(g, _PREFETCHED, (slug, account, club, membership))
    return account


def load_club_for(slug: str, user):
    """Return ``(club, membership)`` for a slug and user; membership may be None."""
    account = user._get_current_object() if hasattr(user, "_get_current_object") else user  # loads the user
    prefetched = g.get(_PREFETCHED)
    if prefetched is not None and prefetched[0] == slug and prefetched[1] is account:
        return prefetched[2], prefetched[3]
    loader = current_app.extensions.get("vereinsraum.club_loader")
    if loader is None:
        raise RuntimeError("No club loader: the clubs domain registers it in its init_app (set_club_loader).")
    return loader(slug, user)


def _load_club():
    view = current_app.view_functions.get(request.endpoint)
    access: ClubAccess = view.club_access
    club, membership = load_club_for(g.get("club_slug"), current_user)
    if club is None:
        abort(404)
    g.club = club
    g.membership = membership
    if access.role == "public":
        refuse_if_suspended(club, access)
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if membership is None:
        abort(404)
    if access.role == "board" and not membership.is_board:
        abort(403)
    if not club.is_readable and not access.inactive_ok and not (access.pending_ok and club.is_pending):
        abort(403)
    refuse_if_suspended(club, access)
    if access.role == "board" and _board_lacks_second_factor(club):
        return second_factor_first(_board_message())
    return None


def require_board():
    """For views that are open to members but have board-only actions."""
    membership = g.get("membership")
    if membership is None or not membership.is_board:
        abort(403)
    if _board_lacks_second_factor(g.club):
        abort(second_factor_first(_board_message()))


# --- two-factor login: staff always, a club's board when the club requires it ------------------------


def set_second_factor_enrolment(app: Flask, endpoint: str) -> None:
    """The accounts domain registers its enrolment page (the only page such a person is sent to)."""
    app.extensions["vereinsraum.second_factor_enrolment"] = endpoint


def has_second_factor(user) -> bool:
    """Every session of an account with two-factor login passed the second step (enrolment rotates the
    session token), so the account's state is the session's state."""
    return bool(getattr(user, "has_two_factor", False))


def second_factor_first(message: str):
    """Send the person to the enrolment page (htmx: 403 with HX-Redirect); nothing else runs."""
    target = url_for(current_app.extensions["vereinsraum.second_factor_enrolment"])
    flash(message, "error")
    if is_htmx():
        return "", 403, {"HX-Redirect": target}
    return redirect(target, code=303)


def _board_lacks_second_factor(club) -> bool:
    return bool(getattr(club, "board_two_factor_required", False)) and not has_second_factor(current_user)


def _board_message() -> str:
    return _(
        "Ihr Verein verlangt für den Vorstand die Zwei-Faktor-Anmeldung. Bitte richten Sie sie zuerst ein; "
        "danach können Sie den Verein wieder verwalten."
    )


def staff_required(view):
    """Platform staff only (admin area). Anonymous -> login, others -> 403, staff without two-factor login ->
    the enrolment page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_staff:
            abort(403)
        if not has_second_factor(current_user):
            return second_factor_first(
                _(
                    "Der Verwaltungsbereich ist nur mit Zwei-Faktor-Anmeldung zugänglich. Bitte richten Sie sie "
                    "jetzt ein."
                )
            )
        return view(*args, **kwargs)

    wrapper.staff_only = True
    return wrapper


def club_scoped_rules(app: Flask):
    """Every URL rule under /c/<slug>, with its view's access declaration."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(CLUB_URL_PREFIX + "/") or rule.rule == CLUB_URL_PREFIX:
            yield rule, getattr(app.view_functions[rule.endpoint], "club_access", None)


def check_routes(app: Flask) -> None:
    """Fail loudly at start-up if a club route has no access declaration."""
    missing = [
        rule.rule
        for rule, access in club_scoped_rules(app)
        if access is None or not getattr(app.blueprints.get(rule.endpoint.split(".")[0]), "club_scoped", False)
    ]
    if missing:
        raise RuntimeError(f"Club routes without club_blueprint/@club_access: {', '.join(missing)}")
