"""The community channel: one platform-wide private channel on the platform's Mattermost, for everyone.

Any confirmed user joins or leaves it with one click (after accepting the code of conduct); staff can
remove a person (audited, with a reason) – a removed person cannot join again by a click until staff
allow it again. Every membership change is a chat op of kind ``community`` (key ``community:<user id>``)
carried out by the same queue as the club channels (``queue.py``: lease, retry with backoff, done once).
The op carries the *desired* state: it reads :class:`CommunityMember` when it runs, so join-then-leave
while the chat server is down ends with the person out.

The channel is created by the bot when the first person joins (or by ``flask chat community``), found
again by its name and purpose when an earlier answer was lost, and stored once (:class:`CommunityChannel`,
row 1). No club can link it (``linking.py`` refuses its id).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.exc
from flask import current_app
from flask_babel import gettext as _

from ..auth.models import User
from ..core.audit import audit_record
from ..core.db import utcnow
from ..extensions import db
from ..integrations.mattermost import MattermostError
from ..integrations.mattermost.client import CHANNEL_EXISTS
from .models import ChatAccount, ChatOp, CommunityChannel, CommunityMember
from .queue import add_op, enqueue, handles
from .services import OPEN, ChatError, _account_for, display_name_for, platform_ready, platform_url

PURPOSE = "Community-Kanal von Vereinsraum: Austausch zwischen Ehrenamtlichen aller Vereine"
CHANNEL_ROW = 1  # the one row of community_channel


class CommunityError(ChatError):
    """A user-facing refusal (German message)."""


# --- reads ----------------------------------------------------------------------------------------


def channel() -> CommunityChannel | None:
    return db.session.get(CommunityChannel, CHANNEL_ROW)


def channel_id() -> str | None:
    row = channel()
    return row.channel_id if row else None


def member(user) -> CommunityMember | None:
    return db.session.get(CommunityMember, user.id) if user is not None and user.is_authenticated else None


def op_key(user_id: int) -> str:
    return f"community:{user_id}"


def open_op(user_id: int) -> ChatOp | None:
    return db.session.scalar(
        sa.select(ChatOp).where(ChatOp.key == op_key(user_id), ChatOp.status.in_(OPEN)).order_by(ChatOp.id.desc())
    )


def channel_name() -> str:
    return current_app.config.get("COMMUNITY_CHANNEL_NAME") or "community"


def web_url() -> str | None:
    row = channel()
    if row is None or not platform_url():
        return None
    return f"{platform_url()}/{row.team_name}/channels/{row.channel_name}"


@dataclass
class Status:
    """What the join block shows to one person."""

    state: str  # unavailable | anonymous | unconfirmed | blocked | failed | catching_up | pending | member
    #             | no_account | outside
    member: CommunityMember | None = None
    url: str | None = None

    @property
    def joined(self) -> bool:
        return bool(self.member and self.member.wants and not self.member.blocked)


def status_for(user) -> Status:
    if not platform_ready():
        return Status("unavailable")
    if user is None or not user.is_authenticated:
        return Status("anonymous")
    row = member(user)
    if row is not None and row.blocked:
        return Status("blocked", row)
    if not user.is_confirmed:
        return Status("unconfirmed", row)
    op = open_op(user.id)
    if op is not None:
        if op.status == "failed":
            return Status("failed", row)
        return Status("catching_up" if op.attempts and op.last_error else "pending", row)
    if row is None or not row.wants:
        return Status("outside", row)
    if row.in_channel:
        return Status("member", row, web_url())
    return Status("no_account", row)


# --- changes --------------------------------------------------------------------------------------


def _row(user) -> CommunityMember:
    row = db.session.get(CommunityMember, user.id)
    if row is None:
        row = CommunityMember(user_id=user.id, wants=False, blocked=False, in_channel=False)
        db.session.add(row)
    return row


def _queue(user_id: int, row: CommunityMember | None) -> ChatOp:
    account = db.session.get(ChatAccount, user_id)
    known = (row.mm_user_id if row else None) or (account.mm_user_id if account else None)
    return enqueue(None, "community", op_key(user_id), {"user_id": user_id, "mm_user_id": known})


def join(user, *, accepted: bool) -> ChatOp:
    """One click: the person wants to be in the channel (code of conduct accepted)."""
    if not platform_ready():
        raise CommunityError(_("Der Chat-Server der Plattform ist nicht eingerichtet."))
    if not user.is_confirmed:
        raise CommunityError(
            _("Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse. Erst dann können Sie dem Community-Kanal beitreten.")
        )
    row = _row(user)
    if row.blocked:
        raise CommunityError(
            _(
                "Das Plattform-Team hat Sie aus dem Community-Kanal entfernt. Ein erneuter Beitritt ist erst "
                "möglich, wenn das Team ihn wieder freigibt."
            )
        )
    if not accepted:
        db.session.rollback()
        raise CommunityError(_("Bitte bestätigen Sie, dass Sie die Verhaltensregeln einhalten."))
    row.wants, row.accepted_at = True, utcnow()
    audit_record("community.joined", actor=user, user_id=user.id)
    db.session.commit()
    return _queue(user.id, row)


def leave(user) -> ChatOp | None:
    row = member(user)
    if row is None or not row.wants:
        return None
    row.wants = False
    audit_record("community.left", actor=user, user_id=user.id)
    db.session.commit()
    return _queue(user.id, row)


def staff_remove(user, *, reason: str, by) -> ChatOp:
    """Staff take a person out of the channel; they stay out until :func:`staff_allow`."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise CommunityError(_("Bitte geben Sie einen Grund an."))
    row = _row(user)
    row.blocked, row.wants = True, False
    audit_record("community.removed", actor=by, user_id=user.id, reason=reason[:500])
    db.session.commit()
    return _queue(user.id, row)


def staff_allow(user, *, by) -> None:
    """Staff lift a removal: the person may join again by a click (they are not put back by this)."""
    row = member(user)
    if row is None or not row.blocked:
        return
    row.blocked = False
    if not row.wants and open_op(user.id) is None:
        db.session.delete(row)  # out of the channel already: as if they had never joined
    audit_record("community.allowed", actor=by, user_id=user.id)
    db.session.commit()


def people() -> list[CommunityMember]:
    """For staff: everyone who joined or was removed, newest change first."""
    return list(
        db.session.scalars(
            sa.select(CommunityMember)
            .where(sa.or_(CommunityMember.wants.is_(True), CommunityMember.blocked.is_(True)))
            .order_by(CommunityMember.updated_at.desc())
        )
    )


def leave_on_deletion(user, _pseudonym=None) -> None:
    """Account deletion (app.dataprotection walks the registry, inside its transaction): the person leaves.

    The op row is committed with the erasure; it carries the Mattermost id, the only thing needed to take
    the account out of the channel once the person is gone. The chat's receiver of the deletion signal
    (``signals.py``) and, at the latest, the periodic sweep carry it out.
    """
    row = db.session.get(CommunityMember, user.id)
    account = db.session.get(ChatAccount, user.id)
    mm_id = (row.mm_user_id if row else None) or (account.mm_user_id if account else None)
    if row is not None and (row.in_channel or row.wants) and mm_id:
        add_op(None, "community", op_key(user.id), {"user_id": user.id, "mm_user_id": mm_id})
    db.session.execute(sa.delete(CommunityMember).where(CommunityMember.user_id == user.id))


# --- the channel ----------------------------------------------------------------------------------


def _ours(found: dict, bot_id: str) -> bool:
    return found.get("creator_id") == bot_id and found.get("purpose") == PURPOSE


def ensure_channel(client, *, create: bool = True) -> CommunityChannel | None:
    """The channel on the chat server, created by the bot when missing (idempotent; None: not there and
    ``create`` is off). A channel of that name someone else made is never taken over."""
    row = channel()
    if row is not None:
        return row
    team_name = current_app.config["MATTERMOST_TEAM"]
    team = client.team_by_name(team_name)
    name = channel_name()
    bot_id = client.me()["id"]
    found = _find(client, team["id"], name)
    if found is None:
        if not create:
            return None
        display = display_name_for(current_app.config.get("COMMUNITY_CHANNEL_DISPLAY_NAME") or "Vereinsraum Community")
        try:
            found = client.create_channel(team["id"], name, display, private=True, purpose=PURPOSE)
        except MattermostError as exc:
            if exc.id != CHANNEL_EXISTS:
                raise
            found = _find(client, team["id"], name)  # created meanwhile (a parallel op, or our lost answer)
    if found is None or not _ours(found, bot_id):
        raise MattermostError(
            400,
            CHANNEL_EXISTS,
            f"a channel named {name!r} exists that the bot did not create for the community "
            "(choose another COMMUNITY_CHANNEL_NAME)",
            transient=False,
        )
    if found.get("delete_at"):
        client.restore_channel(found["id"])
    row = CommunityChannel(
        id=CHANNEL_ROW,
        team_id=team["id"],
        channel_id=found["id"],
        team_name=team_name,
        channel_name=found["name"],
        display_name=found["display_name"][:64],
    )
    db.session.add(row)
    try:
        audit_record("community.channel_created", channel=found["name"])
        db.session.commit()
    except sqlalchemy.exc.IntegrityError:
        db.session.rollback()  # another worker stored it first
    return channel()


def _find(client, team_id: str, name: str) -> dict | None:
    try:
        return client.channel_by_name(team_id, name, include_deleted=True)
    except MattermostError as exc:
        if exc.status == 404:
            return None
        if exc.status == 403:  # a private channel of that name the bot is not in: someone else's
            raise MattermostError(
                403,
                CHANNEL_EXISTS,
                f"the channel name {name!r} is taken by a private channel (choose another COMMUNITY_CHANNEL_NAME)",
                transient=False,
            ) from exc
        raise


@handles("community")
def _do_community(op: ChatOp, client) -> None:
    """Make the channel match what the person (and staff) want, for one person."""
    user_id = op.payload["user_id"]
    row = db.session.get(CommunityMember, user_id)
    user = db.session.get(User, user_id)
    wanted = bool(row and row.wants and not row.blocked and user is not None and user.is_confirmed)
    target = ensure_channel(client, create=wanted)
    if target is None:
        return  # nobody to take out of a channel that does not exist
    previous = op.payload.get("mm_user_id") or (row.mm_user_id if row else None)
    mm_id = _account_for(user, client) if user is not None else None
    if wanted and mm_id:
        client.ensure_team_member(target.team_id, mm_id)
        if not client.is_channel_member(target.channel_id, mm_id):
            client.add_channel_member(target.channel_id, mm_id)
        if previous and previous != mm_id and client.is_channel_member(target.channel_id, previous):
            client.remove_channel_member(target.channel_id, previous)
        row.mm_user_id, row.in_channel = mm_id, True
    else:
        for candidate in sorted({previous, mm_id} - {None}):
            if client.is_channel_member(target.channel_id, candidate):
                client.remove_channel_member(target.channel_id, candidate)
        if row is not None and not row.wants and not row.blocked:
            db.session.delete(row)  # left and out: nothing about it is needed any more (data minimisation)
        elif row is not None:
            row.in_channel = False
            row.mm_user_id = mm_id or row.mm_user_id
    db.session.commit()


def provision() -> str:
    """``flask chat community``: create (or find) the channel now."""
    if not platform_ready():
        return _("Kein Chat-Server eingerichtet (MATTERMOST_URL/TOKEN).")
    from .services import mm_client

    row = ensure_channel(mm_client(max_wait=2.0))
    return f"{row.team_name}/channels/{row.channel_name} ({row.channel_id})"
