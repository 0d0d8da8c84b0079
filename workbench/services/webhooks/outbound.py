"""Outbound HTTP to addresses someone else chose (webhook URLs): the SSRF guard.

`check_url` parses the URL, resolves the host and refuses it unless every address it
resolves to is public (or inside the operator's allow-list, WORKBENCH_OUTBOUND_ALLOW_CIDRS).
`post` checks again and connects to exactly the addresses it checked, sending the
original Host header and verifying TLS for the original hostname, so a DNS answer that
changes between the check and the connection (DNS rebinding) cannot redirect the request.

Failures come back as one word of a fixed vocabulary (ERROR_CODES, or `http_<status>`):
what a platform or the UI may be shown. The raw exception goes to the server log only.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlsplit

log = logging.getLogger(__name__)

Resolver = Callable[..., list]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ERROR_CODES = frozenset(
    {
        "timeout",  # no connection or no answer within the timeout
        "connection_refused",  # nothing listens on that port
        "connection_closed",  # the receiver hung up before a complete answer
        "connection_error",  # any other network failure (unreachable, …)
        "dns_error",  # the host does not resolve
        "tls_error",  # handshake failed or the certificate is not valid for the host
        "address_not_allowed",  # the host resolves to a non-public address
        "invalid_url",  # not an http(s) URL we accept
        "invalid_response",  # the receiver's answer was not HTTP
        "redirect_not_followed",  # a 3xx answer: redirects are never followed
        "no_url",  # no URL is registered any more
    }
)
_HTTP_STATUS = re.compile(r"http_[1-5][0-9][0-9]")
MAX_URL_LENGTH = 2000
_PRINTABLE_ASCII = "".join(chr(code) for code in range(33, 127))

# Non-public ranges, named for the log. Anything ipaddress does not call global is refused too.
_BLOCKED = tuple(
    (ipaddress.ip_network(cidr), label)
    for cidr, label in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "CGNAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4 relay"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved or broadcast"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible"),
        ("64:ff9b:1::/48", "local NAT64"),
        ("100::/64", "discard"),
        ("2001::/32", "Teredo"),
        ("2001:db8::/32", "documentation"),
        ("fc00::/7", "unique local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(ValueError):
    """The URL may not be requested. `code` is a word of ERROR_CODES; the message is for logs."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CheckedUrl:
    url: str
    scheme: str
    host: str  # ASCII (IDNA) hostname or IP literal: the Host header and TLS name
    port: int
    target: str  # path and query
    addresses: tuple[str, ...]  # every address the host resolved to, all allowed: connect only to these


@dataclass(frozen=True)
class OutboundResult:
    status_code: int | None
    error: str | None  # a word of the vocabulary, None on a 2xx

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_allow_list(value: str | Iterable | None) -> tuple[Network, ...]:
    """Comma-separated CIDRs (the setting) or an iterable of CIDRs/networks."""
    if not value:
        return ()
    parts = value.split(",") if isinstance(value, str) else value
    return tuple(
        part
        if isinstance(part, (ipaddress.IPv4Network, ipaddress.IPv6Network))
        else ipaddress.ip_network(part.strip(), strict=False)
        for part in parts
        if str(part).strip()
    )


def refusal_reason(address: str | IPAddress, allow: Iterable[Network] = ()) -> str | None:
    """Why connecting to this address is refused (e.g. "loopback"), or None when it is allowed."""
    ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:a.b.c.d is a connection to a.b.c.d
    if any(ip.version == network.version and ip in network for network in allow):
        return None
    for network, label in _BLOCKED:
        if ip.version == network.version and ip in network:
            return label
    embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    embedded_reason = refusal_reason(embedded) if embedded is not None else None
    if embedded_reason is not None:  # NAT64 and 6to4 lead to the IPv4 address they carry
        return f"embeds a {embedded_reason} IPv4 address"
    if not ip.is_global or ip.is_multicast:
        return "reserved"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour  # 2002:aabb:ccdd::/48 carries a.b.c.d; None outside 2002::/16


def _parse(url: str) -> tuple[str, str, int, str]:
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise OutboundRefused("invalid_url", f"the URL must be a string of 1 to {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in url):
        raise OutboundRefused("invalid_url", "the URL contains whitespace, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused("invalid_url", f"the URL cannot be parsed: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused("invalid_url", "only http and https URLs are accepted")
    if "@" in parts.netloc:
        raise OutboundRefused("invalid_url", "credentials in the URL (user:password@) are not accepted")
    host = parts.hostname or ""
    if not host or "%" in host:
        raise OutboundRefused("invalid_url", "the URL needs a host name (without an IPv6 zone)")
    try:
        host = host if ":" in host else host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise OutboundRefused("invalid_url", "the host name is not a valid internationalised name") from exc
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    target = quote(target, safe=_PRINTABLE_ASCII)  # only non-ASCII is escaped (UTF-8), like a browser
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), target


def _resolve(host: str, port: int, resolver: Resolver) -> tuple[str, ...]:
    try:
        return (str(ipaddress.ip_address(host)),)  # a canonical IP literal needs no lookup
    except ValueError:
        pass  # a name, or an odd IPv4 spelling (2130706433, 0177.0.0.1, 127.1): as the resolver reads it
    try:
        answers = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise OutboundRefused("dns_error", f"{host} does not resolve: {exc!r}") from exc
    addresses = []
    for answer in answers:
        address = answer if isinstance(answer, str) else answer[4][0]
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OutboundRefused("dns_error", f"{host} resolved to no address")
    return tuple(addresses)


def check_url(
    url: str, *, allow_cidrs: str | Iterable | None = (), resolver: Resolver = socket.getaddrinfo
) -> CheckedUrl:
    """The URL with the addresses to connect to; OutboundRefused unless every address is allowed.

    Refused: anything but http(s), credentials in the URL, an empty host, a host that does
    not resolve, and a host with any non-public address (see refusal_reason) outside
    `allow_cidrs`."""
    scheme, host, port, target = _parse(url)
    addresses = _resolve(host, port, resolver)
    allow = parse_allow_list(allow_cidrs)
    for address in addresses:
        try:
            reason = refusal_reason(address, allow)
        except ValueError:
            reason = "not an IP address"
        if reason is not None:
            raise OutboundRefused("address_not_allowed", f"{host} resolves to {address} ({reason})")
    return CheckedUrl(url, scheme, host, port, target, addresses)


@lru_cache(maxsize=1)
def default_tls_context() -> ssl.SSLContext:
    """Certificate and hostname verification against the Mozilla CA bundle (certifi) when
    installed, else the system's."""
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Speaks to `host` (Host header) over a socket to the checked `address`."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def __init__(self, host: str, port: int, address: str, timeout: float, tls: ssl.SSLContext):
        super().__init__(host, port, address, timeout)
        self.tls = tls

    def connect(self) -> None:
        super().connect()
        # SNI and certificate check for the name in the URL, not the address we dialled.
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.host)


def error_code(exc: BaseException) -> str:
    """The vocabulary word for a failed request."""
    if isinstance(exc, OutboundRefused):
        return exc.code
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return "tls_error"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, http.client.IncompleteRead)):
        return "connection_closed"  # RemoteDisconnected is a ConnectionResetError
    if isinstance(exc, http.client.InvalidURL) or (isinstance(exc, ValueError) and not isinstance(exc, OSError)):
        return "invalid_url"
    if isinstance(exc, http.client.HTTPException):
        return "invalid_response"
    return "connection_error"


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the outbound request's time is up")
    return left


class _Watchdog:
    """Cuts the current connection when the attempt's time is up: socket timeouts alone bound
    each read, and a receiver trickling one byte at a time could hold a worker for ever."""

    def __init__(self, timeout_s: float):
        self.connection: http.client.HTTPConnection | None = None
        self.expired = threading.Event()
        self.timer = threading.Timer(timeout_s, self._cut)
        self.timer.daemon = True

    def _cut(self) -> None:
        self.expired.set()
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            try:  # the plain socket's shutdown, also under TLS: the blocked read returns at once
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass


def _post_pinned(checked: CheckedUrl, body: bytes, headers: dict, timeout_s: float, tls: ssl.SSLContext | None) -> int:
    deadline = time.monotonic() + timeout_s
    watchdog = _Watchdog(timeout_s)
    watchdog.timer.start()
    try:
        return _post_to_addresses(checked, body, headers, deadline, tls, watchdog)
    except (OSError, http.client.HTTPException) as exc:
        if watchdog.expired.is_set():
            raise TimeoutError("the outbound request's time is up") from exc
        raise
    finally:
        watchdog.timer.cancel()


def _post_to_addresses(
    checked: CheckedUrl, body: bytes, headers: dict, deadline: float, tls: ssl.SSLContext | None, watchdog: _Watchdog
) -> int:
    last_error: OSError | None = None
    for address in checked.addresses:  # like create_connection: the next address if one cannot be reached
        if checked.scheme == "https":
            connection = _PinnedHTTPSConnection(
                checked.host, checked.port, address, _remaining(deadline), tls or default_tls_context()
            )
        else:
            connection = _PinnedHTTPConnection(checked.host, checked.port, address, _remaining(deadline))
        watchdog.connection = connection
        try:
            try:
                connection.connect()
            except ssl.SSLError:
                raise
            except OSError as exc:
                last_error = exc
                continue
            connection.sock.settimeout(_remaining(deadline))
            connection.request("POST", checked.target, body=body, headers=headers)
            connection.sock.settimeout(_remaining(deadline))
            response = connection.getresponse()
            response.close()  # the body is not needed: nothing is read from the receiver
            return response.status
        finally:
            connection.close()
    raise last_error or TimeoutError("no address could be reached")


def post(
    url: str,
    body: bytes,
    headers: dict,
    *,
    timeout_s: float,
    allow_cidrs: str | Iterable | None = (),
    resolver: Resolver = socket.getaddrinfo,
    tls: ssl.SSLContext | None = None,
) -> OutboundResult:
    """POST `body` to a URL someone else chose: checked, pinned, no redirects, vocabulary errors."""
    try:
        checked = check_url(url, allow_cidrs=allow_cidrs, resolver=resolver)
        status = _post_pinned(checked, body, headers, timeout_s, tls)
    except (OutboundRefused, OSError, http.client.HTTPException, ValueError) as exc:
        code = error_code(exc)
        log.warning("outbound POST to %s refused or failed (%s): %r", _host_for_log(url), code, exc)
        return OutboundResult(None, code)
    if 200 <= status < 300:
        return OutboundResult(status, None)
    return OutboundResult(status, "redirect_not_followed" if 300 <= status < 400 else f"http_{status}")


def _host_for_log(url: str) -> str:
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def public_error(stored: str | None) -> str | None:
    """What may be shown for a stored error: a vocabulary word. Rows written before the
    vocabulary (raw exception text) are mapped to the nearest word."""
    if stored is None or stored in ERROR_CODES or _HTTP_STATUS.fullmatch(stored):
        return stored
    legacy_status = re.fullmatch(r"HTTP ([1-5][0-9][0-9])", stored)
    if legacy_status:
        return f"http_{legacy_status.group(1)}"
    if "Timeout" in stored:
        return "timeout"
    return "connection_error"
