"""Background jobs of the services catalogue: the status checks (never in a page render)."""

from ..core.jobs import every_minutes, periodic_task, task
from ..extensions import db
from . import services
from .models import Offer


@periodic_task(every_minutes("OFFERS_STATUS_MINUTES", 5), name="offers.refresh_statuses")
def refresh_statuses_job():
    return services.refresh_all()


@task()
def refresh_offer_job(offer_id: int):
    offer = db.session.get(Offer, offer_id)
    return services.refresh_status(offer) if offer is not None else None
