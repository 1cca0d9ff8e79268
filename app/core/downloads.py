"""A file for the visitor to save: one way to build the response.

``core/security.py`` marks every response with a ``Content-Disposition`` as ``Cache-Control: no-store``,
so callers do not set caching themselves.
"""

from __future__ import annotations

from flask import Response


def attachment(data: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
