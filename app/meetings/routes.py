"""Videokonferenzen: panel, rooms, start/join, guests, recordings, scheduled meetings."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta, timezone

from flask import abort, current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import format_datetime, format_time
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..clubs.models import ClubStatus
from ..core.db import utcnow
from ..core.errors import fail
from ..core.forms import EmptyForm, first_error
from ..core.htmx import hx_redirect, is_htmx, render_page
from ..core.i18n import to_local_naive, to_utc
from ..core.tenancy import club_access
from ..core.urls import external_url
from ..extensions import limiter
from ..integrations.bigbluebutton import BBBError
from . import bp, guest_bp, services
from . import calendar as cal
from .forms import (
    CancelForm,
    ConsentForm,
    GuestJoinForm,
    MoveForm,
    MyRemindersForm,
    ReminderSettingForm,
    RoomForm,
    RoomSettingsForm,
    ScheduleForm,
)
from .models import Room

CONSENT_KEY = "meetings_consent"
GUEST_KEY = "meetings_guest"


# --- helpers ------------------------------------------------------------------------------------


def _epoch(seconds):
    return datetime.fromtimestamp(float(seconds), timezone.utc)


def epoch_time(seconds) -> str:
    """Template filter ``meetings_time``: a BBB timestamp (seconds) as local "HH:mm"."""
    return format_time(_epoch(seconds), "HH:mm") if seconds else ""


def epoch_datetime(seconds) -> str:
    """Template filter ``meetings_datetime``: a BBB timestamp (seconds) as a short local date and time."""
    return format_datetime(_epoch(seconds), "short") if seconds else ""


def _room_or_404(room_id: int) -> Room:
    room = services.get_room(g.club, room_id)
    if room is None:
        abort(404)
    return room


def _status_digest(statuses: dict, error) -> str:
    data = {
        str(k): (v or {}).get("running", None) and [(v or {}).get("participant_count"), v.get("create_time")]
        for k, v in statuses.items()
    }
    data["error"] = getattr(error, "key", None)
    return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


def _live_context():
    rooms = services.rooms_for(g.club)
    statuses, error = services.room_statuses(rooms)
    if error is None:
        services.close_finished_runs(g.club, statuses)
    return dict(
        rooms=rooms,
        statuses=statuses,
        bbb_error=error,
        digest=_status_digest(statuses, error),
        membership=g.membership,
        may_start=services.may_start,
        form=EmptyForm(),
        club_suspended=g.club.status is ClubStatus.SUSPENDED,
    )


def _consented(room: Room) -> bool:
    return not room.recording_allowed or str(room.id) in session.get(CONSENT_KEY, [])


def _remember_consent(room: Room) -> None:
    given = set(session.get(CONSENT_KEY, []))
    given.add(str(room.id))
    session[CONSENT_KEY] = sorted(given)


def _bbb_failed(error: BBBError, room: Room | None = None):
    flash(error.message, "error")
    target = url_for("meetings.room", room_id=room.id) if room is not None else url_for("meetings.panel")
    return redirect(target, code=303)


# --- panel and live status ------------------------------------------------------------------------


@bp.get("/")
@club_access("member")
def panel():
    context = _live_context()
    context["upcoming"] = cal.upcoming(g.club, limit=None if not is_htmx() else 3)
    return render_page("meetings/panel.html", "meetings/partials/_panel.html", **context)


@bp.get("/status")
@club_access("member")
def status():
    context = _live_context()
    if is_htmx():
        if request.args.get("v") == context["digest"]:
            return "", 204  # nothing changed: no swap, no screen-reader announcement
        return render_template("meetings/partials/_live.html", **context)
    return redirect(url_for("meetings.panel"), code=303)


@bp.get("/laeuft")
@club_access("member")
def banner():
    """The workspace's "Konferenz läuft" banner (htmx, polled): from the shared status cache."""
    if not is_htmx():
        return redirect(url_for("workspace.index"), code=303)
    running = services.running_rooms(g.club)
    digest = _banner_digest(running)
    if request.args.get("v") == digest:
        return "", 204  # unchanged: no swap, no new announcement
    return render_template("meetings/partials/_banner_body.html", running=running, digest=digest, first_load=False)


def _banner_digest(running) -> str:
    data = sorted((room.id, info.get("create_time")) for room, info in running)
    return hashlib.sha1(json.dumps(data).encode()).hexdigest()[:12]


def workspace_banner(**_kwargs) -> str:
    """Template hook ``workspace-top``: the banner as far as the cache knows it now (never a BBB call)."""
    if not g.club.is_readable:
        return ""
    running = services.running_rooms(g.club, fetch=False)
    return render_template(
        "meetings/partials/_banner.html", running=running, digest=_banner_digest(running), first_load=True
    )


# --- one room -----------------------------------------------------------------------------------------


@bp.get("/raum/<int:room_id>")
@club_access("member")
def room(room_id):
    room = _room_or_404(room_id)
    statuses, error = services.room_statuses([room])
    return render_template(
        "meetings/room.html",
        room=room,
        info=statuses.get(room.id),
        bbb_error=error,
        may_start=services.may_start(room, g.membership),
        form=EmptyForm(),
        club_suspended=g.club.status is ClubStatus.SUSPENDED,
        guest_url=external_url("meetings_guest.join", token=room.guest_token),
    )


@bp.post("/raum/<int:room_id>/starten")
@club_access("member")
def start(room_id):
    room = _room_or_404(room_id)
    if g.club.status is ClubStatus.SUSPENDED:
        fail(403, _("Der Verein ist gesperrt. Konferenzen können nicht gestartet werden."))
    if not services.may_start(room, g.membership):
        fail(403, _("In diesem Raum darf nur der Vorstand die Konferenz starten."))
    form = ConsentForm()
    if room.recording_allowed and not _consented(room):
        if not form.validate_on_submit():
            status = 422 if "consent" in request.form else 200
            return render_template(
                "meetings/consent.html",
                room=room,
                form=form,
                action=url_for("meetings.start", room_id=room.id),
                starting=True,
            ), status
        _remember_consent(room)
    try:
        url = services.start_url(room, current_user._get_current_object(), moderator=True)
    except BBBError as error:
        return _bbb_failed(error, room)
    return hx_redirect(url)


@bp.post("/raum/<int:room_id>/einverstanden")
@club_access("member")
def consent(room_id):
    room = _room_or_404(room_id)
    form = ConsentForm()
    if not form.validate_on_submit():
        return render_template(
            "meetings/consent.html",
            room=room,
            form=form,
            action=url_for("meetings.consent", room_id=room.id),
            starting=False,
        ), 422
    _remember_consent(room)
    return redirect(url_for("meetings.join", room_id=room.id), code=303)


@bp.get("/raum/<int:room_id>/beitreten")
@club_access("member")
def join(room_id):
    """Members join as viewers (board as moderator); not started yet → waiting page that polls."""
    room = _room_or_404(room_id)
    if not _consented(room):
        if is_htmx():
            return hx_redirect(url_for("meetings.join", room_id=room.id))
        return render_template(
            "meetings/consent.html",
            room=room,
            form=ConsentForm(),
            action=url_for("meetings.consent", room_id=room.id),
            starting=False,
        )
    try:
        if services.running_meeting(room) is not None:
            if g.membership.is_board:
                url = services.start_url(room, current_user._get_current_object(), moderator=True)
            else:
                url = services.member_join_url(room, current_user)
            if url:
                return hx_redirect(url)
    except BBBError as error:
        if is_htmx():
            return "", 204  # keep waiting; the next poll tries again
        return render_template(
            "meetings/waiting.html",
            room=room,
            bbb_error=error,
            form=EmptyForm(),
            may_start=services.may_start(room, g.membership),
        ), 503
    if is_htmx():
        return "", 204
    return render_template(
        "meetings/waiting.html",
        room=room,
        bbb_error=None,
        form=EmptyForm(),
        may_start=services.may_start(room, g.membership) and g.club.status is not ClubStatus.SUSPENDED,
    )


@bp.post("/raum/<int:room_id>/beenden")
@club_access("board")
def end(room_id):
    room = _room_or_404(room_id)
    try:
        ended = services.end_meeting(room, by=current_user)
    except BBBError as error:
        return _bbb_failed(error, room)
    flash(_("Die Konferenz wurde beendet.") if ended else _("Die Konferenz lief nicht."), "success")
    return redirect(url_for("meetings.room", room_id=room.id), code=303)


# --- room management (board) ------------------------------------------------------------------------


@bp.route("/raeume/neu", methods=["GET", "POST"])
@club_access("board")
def new_room():
    form = RoomForm()
    if form.validate_on_submit():
        room = services.create_room(g.club, form.name.data, by=current_user)
        flash(_("Der Raum „%(name)s“ ist angelegt.", name=room.name), "success")
        return redirect(url_for("meetings.settings", room_id=room.id), code=303)
    return render_template("meetings/room_new.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/raum/<int:room_id>/einstellungen", methods=["GET", "POST"])
@club_access("board")
def settings(room_id):
    room = _room_or_404(room_id)
    form = RoomSettingsForm(obj=room)
    if form.validate_on_submit():
        services.update_room(room, form, by=current_user)
        flash(_("Die Einstellungen sind gespeichert. Sie gelten ab dem nächsten Start der Konferenz."), "success")
        return redirect(url_for("meetings.room", room_id=room.id), code=303)
    return render_template(
        "meetings/room_settings.html", room=room, form=form, guest_form=EmptyForm(prefix="guest")
    ), 422 if form.is_submitted() else 200


@bp.post("/raum/<int:room_id>/gastlink")
@club_access("board")
def renew_guest_link(room_id):
    room = _room_or_404(room_id)
    services.rotate_guest_token(room, by=current_user)
    flash(_("Es gibt einen neuen Gastlink. Der alte Link funktioniert nicht mehr."), "success")
    return redirect(url_for("meetings.room", room_id=room.id), code=303)


@bp.route("/raum/<int:room_id>/loeschen", methods=["GET", "POST"])
@club_access("board")
def delete_room(room_id):
    room = _room_or_404(room_id)
    form = EmptyForm()
    if room.is_default:
        fail(409, _("Der Standardraum des Vereins kann nicht gelöscht werden."))
    try:
        recordings = services.recordings_for(room)
    except BBBError as error:
        return _bbb_failed(error, room)
    if request.method == "POST" and form.validate_on_submit():
        try:
            count = services.delete_room(room, by=current_user)
        except (BBBError, services.MeetingError) as error:
            flash(getattr(error, "message", str(error)), "error")
            return redirect(url_for("meetings.delete_room", room_id=room_id), code=303)
        flash(_("Der Raum ist gelöscht (mit %(count)d Aufzeichnungen).", count=count), "success")
        return redirect(url_for("meetings.panel"), code=303)
    return render_template("meetings/room_delete.html", room=room, recordings=recordings, form=form)


# --- recordings -----------------------------------------------------------------------------------------


@bp.get("/raum/<int:room_id>/aufzeichnungen")
@club_access("member")
def recordings(room_id):
    """The page never waits on BigBlueButton: the list is a lazy section (``recordings_list``)."""
    room = _room_or_404(room_id)
    return render_template("meetings/recordings.html", room=room)


@bp.get("/raum/<int:room_id>/aufzeichnungen/liste")
@club_access("member")
def recordings_list(room_id):
    """The recordings (getRecordings, with the client's timeout): the lazy section, or a page without JavaScript."""
    room = _room_or_404(room_id)
    try:
        items, error = services.recordings_for(room), None
    except BBBError as exc:
        items, error = [], exc
    return render_page(
        "meetings/recordings_list.html",
        "meetings/partials/_recordings.html",
        room=room,
        recordings=items,
        bbb_error=error,
        form=EmptyForm(),
        status=200 if error is None else 503,
    )


@bp.post("/raum/<int:room_id>/aufzeichnungen/<record_id>/veroeffentlichen")
@club_access("board")
def publish_recording(room_id, record_id):
    room = _room_or_404(room_id)
    publish = request.form.get("publish") == "1"
    try:
        services.set_published(room, record_id, publish, by=current_user)
    except services.MeetingError as error:
        fail(404, str(error))
    except BBBError as error:
        flash(error.message, "error")
        return redirect(url_for("meetings.recordings", room_id=room.id), code=303)
    flash(
        _("Die Aufzeichnung ist jetzt für Mitglieder sichtbar.")
        if publish
        else _("Die Aufzeichnung ist jetzt verborgen."),
        "success",
    )
    return redirect(url_for("meetings.recordings", room_id=room.id), code=303)


@bp.route("/raum/<int:room_id>/aufzeichnungen/<record_id>/loeschen", methods=["GET", "POST"])
@club_access("board")
def delete_recording(room_id, record_id):
    room = _room_or_404(room_id)
    form = EmptyForm()
    try:
        recording = services.find_recording(room, record_id)
    except BBBError as error:
        flash(error.message, "error")
        return redirect(url_for("meetings.recordings", room_id=room.id), code=303)
    if recording is None:
        fail(404, _("Diese Aufzeichnung gibt es nicht (mehr)."))
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.delete_recording(room, record_id, by=current_user)
        except (BBBError, services.MeetingError) as error:
            flash(getattr(error, "message", str(error)), "error")
            return redirect(url_for("meetings.recordings", room_id=room.id), code=303)
        flash(_("Die Aufzeichnung ist gelöscht."), "success")
        return redirect(url_for("meetings.recordings", room_id=room.id), code=303)
    return render_template("meetings/recording_delete.html", room=room, recording=recording, form=form)


# --- scheduled meetings ------------------------------------------------------------------------------------


def _schedule_form(obj=None) -> ScheduleForm:
    form = ScheduleForm(obj=obj)
    form.room_id.choices = [SelectChoice(r.id, r.name) for r in services.rooms_for(g.club)]
    return form


@bp.route("/termine/neu", methods=["GET", "POST"])
@club_access("board")
def schedule():
    form = _schedule_form()
    if request.method == "GET" and request.args.get("raum", "").isdigit():
        form.room_id.data = int(request.args["raum"])
    if form.validate_on_submit():
        room = _room_or_404(form.room_id.data)
        meeting = cal.schedule(
            g.club,
            room=room,
            title=form.title.data,
            starts_at=to_utc(form.starts_at.data),
            duration_minutes=form.duration_minutes.data,
            agenda=form.agenda.data,
            by=current_user,
            notify=form.notify.data,
            repeat=form.repeat.data,
            repeat_until=form.repeat_until.data,
        )
        flash(
            _("Der Termin ist geplant.") + (" " + _("Die Einladungen sind verschickt.") if form.notify.data else ""),
            "success",
        )
        return redirect(url_for("meetings.scheduled", meeting_id=meeting.id), code=303)
    return render_template("meetings/schedule_form.html", form=form, meeting=None), 422 if form.is_submitted() else 200


@bp.get("/termine/<int:meeting_id>")
@club_access("member")
def scheduled(meeting_id):
    meeting = cal.get_scheduled(g.club, meeting_id) or abort(404)
    dates = []
    if meeting.repeat and meeting.cancelled_at is None:
        now = utcnow()
        dates = cal.occurrences(meeting, now - timedelta(hours=3), now + cal.HORIZON, cancelled=True)[:12]
    return render_template(
        "meetings/scheduled.html",
        meeting=meeting,
        dates=dates,
        repeat_label=cal.repeat_label(meeting),
        form=EmptyForm(),
    )


def _occurrence_or_404(meeting, key):
    if meeting.cancelled_at is not None:
        fail(409, _("Dieser Termin ist bereits abgesagt."))
    occurrence = cal.find_occurrence(meeting, key)
    if occurrence is None:
        abort(404)
    return occurrence


@bp.route("/termine/<int:meeting_id>/datum/<int:key>/absagen", methods=["GET", "POST"])
@club_access("board")
def cancel_occurrence(meeting_id, key):
    """Cancel one date of a series (EXDATE in the calendar)."""
    meeting = cal.get_scheduled(g.club, meeting_id) or abort(404)
    occurrence = _occurrence_or_404(meeting, key)
    form = CancelForm()
    if request.method == "POST" and form.validate_on_submit():
        cal.change_occurrence(meeting, key, by=current_user, notify=form.notify.data)
        flash(_("Der Termin am %(date)s ist abgesagt.", date=format_datetime(occurrence.starts_at)), "success")
        return redirect(url_for("meetings.scheduled", meeting_id=meeting.id), code=303)
    return render_template("meetings/occurrence.html", meeting=meeting, occurrence=occurrence, form=form, move=False)


@bp.route("/termine/<int:meeting_id>/datum/<int:key>/verschieben", methods=["GET", "POST"])
@club_access("board")
def move_occurrence(meeting_id, key):
    """Move one date of a series (RECURRENCE-ID in the calendar)."""
    meeting = cal.get_scheduled(g.club, meeting_id) or abort(404)
    occurrence = _occurrence_or_404(meeting, key)
    form = MoveForm()
    if request.method == "GET":
        form.starts_at.data = to_local_naive(occurrence.starts_at)
    if form.validate_on_submit():
        cal.change_occurrence(
            meeting, key, by=current_user, notify=form.notify.data, new_start=to_utc(form.starts_at.data)
        )
        flash(_("Der Termin ist verschoben."), "success")
        return redirect(url_for("meetings.scheduled", meeting_id=meeting.id), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "meetings/occurrence.html", meeting=meeting, occurrence=occurrence, form=form, move=True
    ), status


@bp.route("/termine/<int:meeting_id>/bearbeiten", methods=["GET", "POST"])
@club_access("board")
def edit_scheduled(meeting_id):
    meeting = cal.get_scheduled(g.club, meeting_id) or abort(404)
    if meeting.cancelled_at is not None:
        fail(409, _("Dieser Termin ist abgesagt und kann nicht mehr geändert werden."))
    form = _schedule_form()
    if request.method == "GET":
        form.room_id.data, form.title.data = meeting.room_id, meeting.title
        form.starts_at.data = to_local_naive(meeting.starts_at)
        form.duration_minutes.data, form.agenda.data = meeting.duration_minutes, meeting.agenda
        form.repeat.data, form.repeat_until.data = meeting.repeat or "", meeting.repeat_until
    if form.validate_on_submit():
        room = _room_or_404(form.room_id.data)
        changed = cal.update(
            meeting,
            room=room,
            title=form.title.data,
            starts_at=to_utc(form.starts_at.data),
            duration_minutes=form.duration_minutes.data,
            agenda=form.agenda.data,
            by=current_user,
            notify=form.notify.data,
            repeat=form.repeat.data,
            repeat_until=form.repeat_until.data,
        )
        flash(
            _("Der Termin ist gespeichert.")
            + (" " + _("Die Mitglieder wurden informiert.") if changed and form.notify.data else ""),
            "success",
        )
        return redirect(url_for("meetings.scheduled", meeting_id=meeting.id), code=303)
    return render_template(
        "meetings/schedule_form.html", form=form, meeting=meeting
    ), 422 if form.is_submitted() else 200


@bp.route("/termine/<int:meeting_id>/absagen", methods=["GET", "POST"])
@club_access("board")
def cancel_scheduled(meeting_id):
    meeting = cal.get_scheduled(g.club, meeting_id) or abort(404)
    if meeting.cancelled_at is not None:
        fail(409, _("Dieser Termin ist bereits abgesagt."))
    form = CancelForm()
    if request.method == "POST" and form.validate_on_submit():
        cal.cancel(meeting, by=current_user, notify=form.notify.data)
        flash(_("Der Termin ist abgesagt."), "success")
        return redirect(url_for("meetings.panel"), code=303)
    return render_template("meetings/cancel.html", meeting=meeting, form=form)


@bp.get("/termine/<int:meeting_id>/termin.ics")
@club_access("member")
def scheduled_ics(meeting_id):
    meeting = cal.get_scheduled(g.club, meeting_id) or abort(404)
    response = make_response(cal.calendar_for([meeting]))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="termin-{meeting.id}.ics"'
    return response


@bp.get("/kalender")
@club_access("member")
def calendar():
    feed = cal.feed_for(g.club)
    return render_template(
        "meetings/calendar.html",
        form=EmptyForm(),
        feed_url=external_url("meetings.feed", token=feed.token),
        reminder_form=ReminderSettingForm(formdata=None, hours=cal.reminder_hours(g.club)),
        my_form=MyRemindersForm(formdata=None, wanted=cal.wants_reminders(g.club, current_user)),
    )


@bp.post("/kalender/erinnerungen")
@club_access("board")
def reminder_setting():
    """Club setting: how long before each date the members get a reminder (or none)."""
    form = ReminderSettingForm()
    if not form.validate_on_submit():
        fail(400, _("Bitte wählen Sie eine der angebotenen Erinnerungen."))
    cal.set_reminder_hours(g.club, form.hours.data, by=current_user)
    flash(_("Die Einstellung für Erinnerungen ist gespeichert."), "success")
    return redirect(url_for("meetings.calendar", _anchor="erinnerungen"), code=303)


@bp.post("/kalender/meine-erinnerungen")
@club_access("member")
def my_reminders():
    """A member switches reminder mails for themselves on or off."""
    form = MyRemindersForm()
    if not form.validate_on_submit():
        fail(400, _("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu."))
    cal.set_wants_reminders(g.club, current_user, bool(form.wanted.data))
    flash(_("Ihre Einstellung ist gespeichert."), "success")
    return redirect(url_for("meetings.calendar", _anchor="erinnerungen"), code=303)


@bp.post("/kalender/erneuern")
@club_access("board")
def renew_feed():
    cal.renew_feed(g.club, by=current_user)
    flash(_("Es gibt eine neue Kalender-Adresse. Die alte funktioniert nicht mehr."), "success")
    return redirect(url_for("meetings.calendar"), code=303)


@bp.get("/kalender/<token>.ics")
@club_access("public")
def feed(token):
    """Private feed for calendar apps: no login, the unguessable token is the key."""
    club = g.club
    stored = cal.feed_for(club).token if club.is_readable else None
    if stored is None or not secrets.compare_digest(stored, token):
        abort(404)
    body = cal.calendar_for(cal.feed_meetings(club), name=_("Videokonferenzen – %(club)s", club=club.name))
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    return response


# --- guests: /m/<token> ----------------------------------------------------------------------------------------


def _guest_room(token: str) -> Room:
    room = services.room_by_guest_token(token)
    if room is None or not room.guest_access or (room.club is not None and room.club.status is not ClubStatus.APPROVED):
        fail(404, _("Dieser Gastlink ist nicht (mehr) gültig. Bitte fragen Sie nach einem neuen Link."))
    return room


def _guest_limit():
    return current_app.config.get("MEETINGS_GUEST_RATE_LIMIT", "10 per minute; 50 per hour")


@guest_bp.route("/<token>", methods=["GET", "POST"], endpoint="join")
@limiter.limit(_guest_limit, methods=["POST"])
def guest_join(token):
    room = _guest_room(token)
    form = GuestJoinForm()
    if form.validate_on_submit():
        if room.access_code and not secrets.compare_digest(
            (form.access_code.data or "").encode(), room.access_code.encode()
        ):
            form.access_code.errors.append(_("Der Zugangscode stimmt nicht."))
        if room.recording_allowed and not form.consent.data:
            form.consent.errors.append(_("Bitte bestätigen Sie den Hinweis zur Aufzeichnung."))
        if not form.errors:
            guests = dict(session.get(GUEST_KEY, {}))
            guests[room.guest_token] = form.name.data
            session[GUEST_KEY] = guests
            return redirect(url_for("meetings_guest.wait", token=room.guest_token), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("meetings/guest.html", room=room, form=form, error=first_error(form)), status


@guest_bp.get("/<token>/warten", endpoint="wait")
def guest_wait(token):
    room = _guest_room(token)
    name = session.get(GUEST_KEY, {}).get(room.guest_token)
    if not name:
        return redirect(url_for("meetings_guest.join", token=token), code=303)
    bbb_error = None
    try:
        url = services.guest_join_url(room, name)
    except BBBError as error:
        url, bbb_error = None, error
    if url:
        return hx_redirect(url)
    if is_htmx():
        return "", 204
    return render_template("meetings/guest_waiting.html", room=room, name=name, bbb_error=bbb_error)
