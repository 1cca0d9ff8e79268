"""Entry point for the Huey consumer: ``huey_consumer app.worker.huey``.

Building the app imports every domain package, which registers all their
tasks with the shared Huey instance; tasks then run in this app's context.
"""

from . import create_app
from .core import jobs

flask_app = create_app()
jobs._consumer_app = flask_app
huey = jobs.huey
