"""Background jobs: personal exports and club deletions (retried until done)."""

from ..core.jobs import committed, task
from ..extensions import db
from . import closure, exports
from .models import ClubDeletion, DataExport


class DeletionIncomplete(RuntimeError):
    """Raised so Huey retries the deletion later; the failed step is recorded."""


@task(retries=2, retry_delay=60)
def prepare_user_export(export_id: int):
    committed(DataExport, export_id)  # queued by a request just before it commits
    try:
        exports.prepare_export(export_id)
    except Exception:
        db.session.rollback()
        export = db.session.get(DataExport, export_id)
        if export is not None and export.status != "ready":
            export.status = "failed"
            db.session.commit()
        raise


@task(retries=10, retry_delay=900, retry_backoff=2)
def run_club_deletion(deletion_id: int):
    deletion = db.session.get(ClubDeletion, deletion_id)
    if deletion is None:
        return
    if (
        not closure.execute_deletion(deletion)
        and deletion.restored_at is None
        and any(step.status == "failed" for step in deletion.steps)
    ):
        raise DeletionIncomplete(f"club deletion {deletion_id} incomplete")
