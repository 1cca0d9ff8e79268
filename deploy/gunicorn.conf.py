"""gunicorn settings shared by the loopback check, the systemd unit and the container.

    gunicorn -c deploy/gunicorn.conf.py wsgi:app

Everything can be overridden on the command line or with GUNICORN_CMD_ARGS; the bind address and the
number of worker processes come from the environment (``GUNICORN_BIND``, ``WEB_CONCURRENCY``).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
preload_app = True  # import the app once in the master; workers fork from it
timeout = 30
graceful_timeout = 20
keepalive = 5  # nginx keeps upstream connections open (keepalive in the site config)
# The proxy in front (nginx on the same host or in the same container network) sets X-Forwarded-*;
# the app itself decides how many proxies it trusts (TRUSTED_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
# No client addresses in the access log (data minimisation): method, path, status, size, duration.
access_log_format = 'pid=%(p)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
