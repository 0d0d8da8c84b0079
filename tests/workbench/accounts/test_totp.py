"""TOTP against the RFCs' own test vectors, the acceptance window and replay refusal."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from workbench.services.accounts import totp

SHA1_SEED = b"12345678901234567890"
# RFC 6238 Appendix B: (time, SHA-1, SHA-256, SHA-512), 8 digits. The RFC uses a seed of
# the hash's own length for SHA-256 (32 bytes) and SHA-512 (64 bytes).
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
SEEDS = {
    "sha1": SHA1_SEED,
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}


@pytest.mark.parametrize("unix_time,sha1,sha256,sha512", RFC6238)
def test_rfc6238_appendix_b(unix_time, sha1, sha256, sha512):
    assert totp.totp(SEEDS["sha1"], unix_time, digits=8, algorithm="sha1") == sha1
    assert totp.totp(SEEDS["sha256"], unix_time, digits=8, algorithm="sha256") == sha256
    assert totp.totp(SEEDS["sha512"], unix_time, digits=8, algorithm="sha512") == sha512


def test_rfc4226_appendix_d_hotp_values():
    expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
    assert [totp.hotp(SHA1_SEED, counter) for counter in range(10)] == expected


def _secret() -> str:
    return base64.b32encode(SHA1_SEED).decode().rstrip("=")


def test_verify_accepts_one_step_either_side_and_returns_the_step():
    now = 1_700_000_015.0
    step = totp.time_step(now)
    for offset in (-1, 0, 1):
        code = totp.hotp(SHA1_SEED, step + offset)
        assert totp.verify(_secret(), code, now) == step + offset
    for offset in (-2, 2):
        assert totp.verify(_secret(), totp.hotp(SHA1_SEED, step + offset), now) is None


def test_verify_refuses_a_replayed_or_older_step():
    now = 1_700_000_015.0
    step = totp.time_step(now)
    code = totp.hotp(SHA1_SEED, step)
    assert totp.verify(_secret(), code, now, last_step=step) is None
    assert totp.verify(_secret(), totp.hotp(SHA1_SEED, step - 1), now, last_step=step - 1) is None
    assert totp.verify(_secret(), totp.hotp(SHA1_SEED, step + 1), now, last_step=step) == step + 1


@pytest.mark.parametrize("code", ["", None, "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_are_refused(code):
    assert totp.verify(_secret(), code, 1_700_000_000.0) is None


def test_codes_may_contain_spaces():
    now = 1_700_000_000.0
    code = totp.totp(SHA1_SEED, now)
    assert totp.verify(_secret(), f" {code[:3]} {code[3:]} ", now) == totp.time_step(now)


def test_generated_secret_is_160_bits_of_unpadded_base32():
    secret = totp.generate_secret()
    assert "=" not in secret and len(totp.decode_secret(secret)) == 20
    assert totp.generate_secret() != secret
    assert totp.decode_secret(totp.grouped(secret)) == totp.decode_secret(secret)


def test_provisioning_uri_follows_the_key_uri_format():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", "maria@example", "Moderation workbench")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert parts.path == "/Moderation%20workbench%3Amaria%40example"
    query = parse_qs(parts.query)
    assert query == {
        "secret": ["JBSWY3DPEHPK3PXP"],
        "issuer": ["Moderation workbench"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }
