"""Entry point for the Huey consumer: ``huey_consumer app.worker.huey``.

Building the app reads the settings (defaults < instance/config.py <
environment), points Huey at the configured storage and imports every
domain's ``tasks`` module; tasks then run in this app's context.
"""

from . import create_app
from .core import jobs

flask_app = create_app()
jobs._consumer_app = flask_app
huey = jobs.huey
