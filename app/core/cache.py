"""The shared cache's Redis backend, with a fallback when Redis is down.

``create_app`` selects :class:`ResilientRedisCache` as Flask-Caching's ``CACHE_TYPE`` when ``REDIS_URL``
is set, so every app instance shares one cache (BBB live status, chat panel, admin statistics). When a
Redis call fails, the cache does not fail the page: it logs one warning, answers from a per-process
in-memory cache (the same behaviour as a single instance), tries Redis again after a few seconds and logs
once more when Redis is back. Errors are never raised to the caller.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import Any

import redis
from cachelib import SimpleCache
from flask_caching.backends.base import BaseCache
from flask_caching.backends.rediscache import RedisCache

from ..extensions import cache

log = logging.getLogger(__name__)

#: Seconds between attempts to reach Redis again after a failure.
RETRY_AFTER = 5.0
#: Socket timeouts (seconds) for Redis calls, so a hung Redis cannot hang a page.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}


def _redis_errors() -> tuple[type[BaseException], ...]:
    return (redis.exceptions.RedisError, OSError)


class ResilientRedisCache(BaseCache):
    """Flask-Caching backend: Redis, or a per-process cache while Redis is unreachable."""

    def __init__(self, redis_cache: BaseCache, default_timeout: int = 300):
        super().__init__(default_timeout=default_timeout)
        self.redis = redis_cache
        self.local = SimpleCache(default_timeout=default_timeout)
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._lock = threading.Lock()
        self._errors = _redis_errors()

    @classmethod
    def factory(cls, app, config, args, kwargs):
        options = dict(config.get("CACHE_OPTIONS") or {})
        for key, value in REDIS_TIMEOUTS.items():
            options.setdefault(key, value)
        config = {**config, "CACHE_OPTIONS": options}
        inner = RedisCache.factory(app, config, list(args), dict(kwargs))
        return cls(inner, default_timeout=kwargs.get("default_timeout", 300))

    @property
    def degraded(self) -> bool:
        """True while Redis is considered down (answers come from this process only)."""
        return self._down_since is not None

    def _call(self, name: str, *args, fallback_result: Any = None, **kwargs):
        now = time.monotonic()
        if self._down_since is not None and now < self._retry_at:
            return getattr(self.local, name)(*args, **kwargs)
        try:
            result = getattr(self.redis, name)(*args, **kwargs)
        except self._errors as exc:
            with self._lock:
                if self._down_since is None:
                    self._down_since = now
                    log.warning(
                        "Cache: Redis nicht erreichbar (%s) – nutze den Zwischenspeicher dieses Prozesses",
                        exc.__class__.__name__,
                    )
                self._retry_at = now + RETRY_AFTER
            return getattr(self.local, name)(*args, **kwargs)
        if self._down_since is not None:
            with self._lock:
                if self._down_since is not None:
                    log.warning("Cache: Redis wieder erreichbar (nach %.0f s)", now - self._down_since)
                    self._down_since = None
                    self.local.clear()
        return result

    def get(self, key):
        return self._call("get", key)

    def set(self, key, value, timeout=None):
        return self._call("set", key, value, timeout=timeout)

    def add(self, key, value, timeout=None):
        return self._call("add", key, value, timeout=timeout)

    def delete(self, key):
        return self._call("delete", key)

    def get_many(self, *keys):
        return self._call("get_many", *keys)

    def get_dict(self, *keys):
        return self._call("get_dict", *keys)

    def set_many(self, mapping, timeout=None):
        return self._call("set_many", mapping, timeout=timeout)

    def delete_many(self, *keys):
        return self._call("delete_many", *keys)

    def has(self, key):
        return self._call("has", key)

    def clear(self):
        self.local.clear()
        return self._call("clear")

    def inc(self, key, delta=1):
        return self._call("inc", key, delta=delta)

    def dec(self, key, delta=1):
        return self._call("dec", key, delta=delta)


def single_flight(key: str, compute, *, ttl: float, wait: float, poll: float = 0.05):
    """``compute()`` at most once per ``ttl`` seconds across every process that shares the cache.

    The value is stored as ``(expires_at, value)`` under ``key`` (wall-clock expiry, so fractions of a
    second work with Redis too). On a miss, one caller takes a short lock (``cache.add``) and computes;
    the others poll for the fresh entry for up to ``wait`` seconds and only then compute themselves (the
    lock holder died or the cache is unreachable). ``compute`` must return something picklable.
    """

    def fresh():
        entry = cache.get(key)
        if entry is not None and entry[0] > time.time():
            return entry
        return None

    entry = fresh()
    if entry is not None:
        return entry[1]
    lock_key = key + ":lock"
    token = secrets.token_hex(8)
    deadline = time.monotonic() + wait
    have_lock = cache.add(lock_key, token, timeout=max(1, int(wait + 1.999)))
    while not have_lock:
        time.sleep(poll)
        entry = fresh()
        if entry is not None:
            return entry[1]
        if time.monotonic() >= deadline:
            break
        have_lock = cache.add(lock_key, token, timeout=max(1, int(wait + 1.999)))
    try:
        entry = fresh()  # filled between our last look and taking the lock
        if entry is not None:
            return entry[1]
        value = compute()
        cache.set(key, (time.time() + ttl, value), timeout=max(1, int(ttl + 1.999)))
        return value
    finally:
        if have_lock and cache.get(lock_key) == token:
            cache.delete(lock_key)
