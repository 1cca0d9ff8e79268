import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..clubs.models import Club, ClubStatus, Membership, Role
from ..clubs.services import ClubError, change_status
from ..core.forms import EmptyForm
from ..core.tenancy import staff_required
from ..extensions import db
from . import bp
from .forms import ReasonForm


@bp.get("/")
@staff_required
def index():
    return redirect(url_for("admin.clubs"))


@bp.get("/vereine")
@staff_required
def clubs():
    counts = dict(db.session.execute(sa.select(Club.status, sa.func.count()).group_by(Club.status)).all())
    board_counts = (
        sa.select(sa.func.count()).where(Membership.club_id == Club.id, Membership.role == Role.BOARD)
        .correlate(Club).scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Club, board_counts.label("board_count"))
        .order_by(sa.case((Club.status == ClubStatus.PENDING, 0), else_=1), Club.created_at.desc())
        .limit(200)
    ).all()
    return render_template("admin/clubs.html", rows=rows, counts=counts, statuses=list(ClubStatus))


def _get_club(club_id) -> Club:
    club = db.session.scalar(
        sa.select(Club).where(Club.id == club_id).options(so.selectinload(Club.status_changes))
    )
    if club is None:
        abort(404)
    return club


@bp.get("/vereine/<int:club_id>")
@staff_required
def club(club_id):
    club = _get_club(club_id)
    return _club_page(club)


def _club_page(club, status=200, reason_form=None):
    from ..clubs.services import club_members

    return render_template(
        "admin/club.html", club=club, members=club_members(club), approve_form=EmptyForm(formdata=None),
        reason_form=reason_form or ReasonForm(formdata=None), transitions=_transitions(club),
    ), status


def _transitions(club):
    from ..clubs.services import ALLOWED_TRANSITIONS

    return ALLOWED_TRANSITIONS.get(club.status, set())


ACTIONS = {
    "freischalten": ClubStatus.APPROVED,
    "ablehnen": ClubStatus.REJECTED,
    "sperren": ClubStatus.SUSPENDED,
}


@bp.post("/vereine/<int:club_id>/<action>")
@staff_required
def set_status(club_id, action):
    club = _get_club(club_id)
    new_status = ACTIONS.get(action)
    if new_status is None:
        abort(404)
    needs_reason = new_status in (ClubStatus.REJECTED, ClubStatus.SUSPENDED)
    form = ReasonForm() if needs_reason else EmptyForm()
    if not form.validate_on_submit():
        return _club_page(club, 422, reason_form=form if needs_reason else None)
    try:
        change_status(club, new_status, by=current_user, reason=form.reason.data if needs_reason else None)
    except ClubError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _club_page(club, 409)
    messages = {
        ClubStatus.APPROVED: _("%(name)s ist freigeschaltet. Der Vorstand wurde benachrichtigt.", name=club.name),
        ClubStatus.REJECTED: _("%(name)s ist abgelehnt. Der Vorstand wurde benachrichtigt.", name=club.name),
        ClubStatus.SUSPENDED: _("%(name)s ist gesperrt. Der Vorstand wurde benachrichtigt.", name=club.name),
    }
    flash(messages[new_status], "success")
    return redirect(url_for("admin.club", club_id=club.id), code=303)
