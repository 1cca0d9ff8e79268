"""Guarded outbound HTTP for addresses that users give us (chat webhooks, chat links).

A URL typed by a club must never make our server talk to itself or to the
operator's internal network (SSRF). The rules, in one place:

- ``https`` only; ``http`` only when the policy allows it (an on-premise chat server).
- No credentials in the URL, a valid port, a syntactically valid host name. Numeric
  host spellings other than the canonical dotted quad (``127.1``, ``2130706433``,
  ``0x7f000001``, ``0177.0.0.1``, ``0``) are refused outright; so are ``localhost``
  and every ``*.localhost`` name.
- The name is resolved, and *every* address it resolves to must be global
  (``ipaddress.ip_address(...).is_global``, also for the IPv4 address embedded in
  an IPv4-mapped, NAT64, 6to4 or Teredo IPv6 address) – unless it lies in a
  network the operator listed in ``OUTBOUND_ALLOWED_NETWORKS``.
- The request then goes to exactly the address that was checked (no second DNS
  lookup that a rebinding name could answer differently). TLS still verifies the
  certificate for the host *name* and sends it as SNI; the ``Host`` header is the name.
- Redirects are never followed; every request has a connect and a read timeout.

Origins the operator configured (``MATTERMOST_URL``) are trusted: they may live
on loopback or a private network, and they are still pinned and never redirected.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import certifi
import urllib3
from flask_babel import gettext as _

_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(ValueError):
    """The URL must not be contacted. ``code`` is stable; ``message`` is German text for users."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class OutboundFailed(Exception):
    """The request was allowed but failed on the way (unresolvable, unreachable, timeout, TLS)."""


@dataclass(frozen=True)
class Policy:
    allow_http: bool = False
    allowed_networks: tuple = ()
    trusted_origins: frozenset = frozenset()
    ca_certs: str | None = None  # default: certifi's bundle (as requests uses)

    @classmethod
    def from_config(cls, config) -> Policy:
        """``CHAT_ALLOW_HTTP``, ``OUTBOUND_ALLOWED_NETWORKS`` and the trusted ``MATTERMOST_URL``."""
        trusted = set()
        if config.get("MATTERMOST_URL"):
            trusted.add(origin_of(config["MATTERMOST_URL"]))
        return cls(
            allow_http=bool(config.get("CHAT_ALLOW_HTTP")),
            allowed_networks=parse_networks(config.get("OUTBOUND_ALLOWED_NETWORKS")),
            trusted_origins=frozenset(trusted),
        )


def parse_networks(value) -> tuple:
    """``"10.0.0.0/8, fd00::/8"`` (or a list) → networks. A bad entry raises ValueError at startup."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if str(item).strip())


def origin_of(url: str) -> str:
    """``scheme://host:port`` in lower case with the port spelled out."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port or _DEFAULT_PORTS.get(scheme, 0)}"


@dataclass
class Target:
    scheme: str
    host: str  # name or address literal, lower case, no brackets
    port: int
    path: str  # path and query, as sent
    addresses: list[str] = field(default_factory=list)
    trusted: bool = False

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def _embedded_ipv4(address):
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_allowed(address, policy: Policy) -> bool:
    """Global (itself and any IPv4 address it carries), or inside a network the operator allowed."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address)
    if any(address in network for network in policy.allowed_networks if network.version == address.version):
        return True
    inner = _embedded_ipv4(address)
    if inner is not None and not inner.is_global:
        return False
    return address.is_global


def _refuse_internal():
    return OutboundRefused(
        "internal",
        _(
            "Diese Serveradresse ist nicht öffentlich erreichbar. Bitte verwenden Sie die "
            "Adresse, unter der Ihr Chat-Server im Internet erreichbar ist."
        ),
    )


def parse_target(url: str, policy: Policy) -> Target:
    """Check the URL's form (no DNS yet). Raises :class:`OutboundRefused`."""
    raw = (url or "").strip()
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        raise OutboundRefused("form", _("Die Adresse ist ungültig."))
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        raise OutboundRefused("form", _("Bitte geben Sie eine vollständige Adresse ein, die mit https:// beginnt."))
    trusted = origin_of(raw) in policy.trusted_origins
    if scheme == "http" and not (policy.allow_http or trusted):
        raise OutboundRefused("http", _("Die Adresse muss mit https:// beginnen (verschlüsselte Verbindung)."))
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("credentials", _("Die Adresse darf keine Zugangsdaten enthalten."))
    try:
        port = parts.port
    except ValueError:
        raise OutboundRefused("port", _("Die Adresse enthält eine ungültige Portnummer.")) from None
    port = _DEFAULT_PORTS[scheme] if port is None else port
    if port == 0:
        raise OutboundRefused("port", _("Die Adresse enthält eine ungültige Portnummer."))
    host = (parts.hostname or "").lower()
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    target = Target(scheme, host, port, path, trusted=trusted)
    if trusted:
        return target
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if not address_allowed(literal, policy):
            raise _refuse_internal()
        target.addresses = [str(literal)]
        return target
    if not _HOST_RE.match(host):
        raise OutboundRefused("host", _("Die Adresse enthält keinen gültigen Servernamen."))
    if _NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]):
        # An IPv4 address in a non-canonical spelling (127.1, 2130706433, 0x7f000001, 0177.0.0.1, 0).
        raise _refuse_internal()
    if host == "localhost" or host.endswith(".localhost"):
        raise _refuse_internal()
    return target


def resolve(host: str, port: int, timeout: float) -> list[str]:
    """Every address of ``host`` (A and AAAA), waiting at most ``timeout`` seconds."""
    result: dict = {}

    def lookup():
        try:
            result["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            result["error"] = exc

    worker = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive() or "error" in result:
        raise OutboundFailed(f"DNS lookup of {host} failed")
    addresses = []
    for _family, _type, _proto, _canon, sockaddr in result["infos"]:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    if not addresses:
        raise OutboundFailed(f"DNS lookup of {host} gave no address")
    return addresses


def check_url(url: str, policy: Policy, *, timeout: float = 3.0) -> Target:
    """Form check plus DNS: the target with the addresses a request may use.

    Raises :class:`OutboundRefused` (never contact this) or :class:`OutboundFailed`
    (the name does not resolve right now).
    """
    target = parse_target(url, policy)
    if target.addresses:
        return target
    target.addresses = resolve(target.host, target.port, timeout)
    if not target.trusted:
        for address in target.addresses:
            if not address_allowed(ipaddress.ip_address(address), policy):
                raise _refuse_internal()
    return target


@dataclass
class Reply:
    status: int
    headers: urllib3.HTTPHeaderDict
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def post_json(
    url: str, payload, policy: Policy, *, timeout: tuple[float, float] = (3.05, 5.0), headers: dict | None = None
) -> Reply:
    """POST ``payload`` as JSON to ``url`` under ``policy`` (checked, pinned, no redirects)."""
    send_headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
    return _request(
        "POST", url, policy, timeout=timeout, body=json.dumps(payload).encode("utf-8"), headers=send_headers
    )


def get(url: str, policy: Policy, *, timeout: tuple[float, float] = (3.05, 5.0), max_body: int = 65536) -> Reply:
    """GET ``url`` under ``policy`` (checked, pinned, no redirects); at most ``max_body`` bytes of the body are read
    (a status check needs the status, not a large page)."""
    return _request("GET", url, policy, timeout=timeout, headers={"Accept": "*/*"}, max_body=max_body)


def _request(
    method: str,
    url: str,
    policy: Policy,
    *,
    timeout: tuple[float, float],
    body: bytes | None = None,
    headers: dict | None = None,
    max_body: int | None = None,
) -> Reply:
    connect_timeout, read_timeout = timeout
    target = check_url(url, policy, timeout=connect_timeout)
    send_headers = {"Host": target.host_header, "User-Agent": "Vereinsraum", **(headers or {})}
    last_error: Exception | None = None
    for address in target.addresses:
        pool = _pool(target, address, policy, urllib3.Timeout(connect=connect_timeout, read=read_timeout))
        try:
            response = pool.urlopen(
                method,
                target.path,
                body=body,
                headers=send_headers,
                redirect=False,
                retries=False,
                assert_same_host=False,
                preload_content=max_body is None,
            )
            data = response.data if max_body is None else response.read(max_body)
            if max_body is not None:
                response.release_conn()
        except urllib3.exceptions.NewConnectionError as exc:  # try the next address of the name
            last_error = exc
            continue
        except urllib3.exceptions.HTTPError as exc:
            raise OutboundFailed(f"{exc.__class__.__name__}") from exc
        finally:
            pool.close()
        return Reply(response.status, response.headers, data or b"")  # headers: case-insensitive
    raise OutboundFailed(f"{last_error.__class__.__name__ if last_error else 'no address'}") from last_error


def _pool(target: Target, address: str, policy: Policy, timeout) -> urllib3.HTTPConnectionPool:
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            ca_certs=policy.ca_certs or certifi.where(),
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False, maxsize=1)
