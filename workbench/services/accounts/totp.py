"""TOTP (RFC 6238) on HOTP (RFC 4226), with the standard library only.

Authenticator apps use SHA-1, 6 digits and 30-second steps; SHA-256/512 and 8 digits are
here for the RFC's test vectors. A code is accepted one step either side of now (clock
drift), and never for a step at or before the last one accepted (replay).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_S = 30
DIGITS = 6
ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def generate_secret() -> str:
    """160 random bits (RFC 4226 §4 recommends 160) as unpadded base32, as apps expect."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def decode_secret(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    digest = hmac.new(key, struct.pack(">Q", counter), ALGORITHMS[algorithm]).digest()
    offset = digest[-1] & 0x0F  # dynamic truncation, RFC 4226 §5.3
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def time_step(unix_time: float, step: int = STEP_S, t0: int = 0) -> int:
    return int((unix_time - t0) // step)


def totp(key: bytes, unix_time: float, digits: int = DIGITS, algorithm: str = "sha1", step: int = STEP_S) -> str:
    return hotp(key, time_step(unix_time, step), digits, algorithm)


def normalise_code(code: str | None) -> str:
    return "".join((code or "").split())


def verify(
    secret: str, code: str | None, unix_time: float, *, last_step: int | None = None, window: int = 1
) -> int | None:
    """The time step `code` matches (to store as the new last step), or None."""
    code = normalise_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    key = decode_secret(secret)
    now_step = time_step(unix_time)
    matched = None
    for step in range(now_step - window, now_step + window + 1):
        # Every candidate is compared, in constant time, so timing says nothing about which matched.
        if hmac.compare_digest(hotp(key, step), code) and matched is None:
            matched = step
    if matched is None or (last_step is not None and matched <= last_step):
        return None
    return matched


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI authenticator apps import (the Key Uri Format of Google Authenticator)."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_S}, quote_via=quote
    )
    return f"otpauth://totp/{label}?{query}"


def grouped(secret: str) -> str:
    """ "ABCDEFGH…" → "ABCD EFGH …", easier to type into a phone."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
