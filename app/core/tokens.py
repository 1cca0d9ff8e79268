"""Signed links in mails that act on one record without a login (cancel a workshop place, a booked slot).

The token holds the record's id and creation time, signed with ``SECRET_KEY`` and a salt per kind of
link; a token for a deleted (or re-created) record finds nothing.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import db


def _serializer(kind: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"vereinsraum-{kind}-cancel")


def cancel_token(kind: str, obj) -> str:
    """The token for a cancel link of ``obj`` (a row with ``id`` and ``created_at``)."""
    return _serializer(kind).dumps([obj.id, int(obj.created_at.timestamp())])


def load_cancel_token(kind: str, model, token: str):
    """The ``model`` row a cancel link names, or None (forged, or the row is gone)."""
    try:
        obj_id, stamp = _serializer(kind).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    obj = db.session.get(model, obj_id)
    if obj is None or int(obj.created_at.timestamp()) != stamp:
        return None
    return obj
