"""A fresh process (a new gunicorn worker) serves its first request with nothing warmed up by other code."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_backrefs_exist_right_after_create_app(tmp_path):
    """A new worker's first request loaded the user with ``joinedload(User.totp)`` before any query had
    configured the mappers: AttributeError, 500 on every page of that worker (found by make prod-check)."""
    script = textwrap.dedent(
        f"""
        import os
        os.environ["DATABASE_URL"] = "sqlite:///{tmp_path / "fresh.db"}"
        os.environ["SECRET_KEY"] = "x" * 40
        from app import create_app
        create_app()
        from app.auth.models import User
        print(User.totp.property.mapper.class_.__name__)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=".")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("TotpSecret"), result.stdout
