"""Entry point for the Huey consumer: ``huey_consumer app.worker.huey``.

Building the app reads the settings (defaults < instance/config.py <
environment), points Huey at the configured storage and imports every
domain's ``tasks`` module; tasks then run in this app's context.

Logging: ``create_app`` gives the root logger one handler (the app's own lines),
and ``huey_consumer`` adds its own handler to the ``huey`` logger after importing
this module. So that huey's lines are not written twice (once by each handler),
they stop at huey's handler.
"""

import logging

from . import create_app
from .core import jobs

flask_app = create_app()
jobs._consumer_app = flask_app
huey = jobs.huey
logging.getLogger("huey").propagate = False
