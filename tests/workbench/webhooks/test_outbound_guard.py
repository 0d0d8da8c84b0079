"""The outbound guard (workbench/services/webhooks/outbound.py) on its own: which URLs and addresses
it refuses, with the system resolver for literals and odd IPv4 spellings, and a resolver
of the test's for names."""

from __future__ import annotations

import socket

import pytest

from workbench.services.webhooks.outbound import (
    ERROR_CODES,
    OutboundRefused,
    check_url,
    parse_allow_list,
    public_error,
    refusal_reason,
)

NON_PUBLIC_URLS = [
    "http://localhost/hook",
    "http://127.0.0.1/hook",
    "http://127.255.0.9:8080/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.1.1/",
    "http://10.0.0.5/",
    "http://172.16.0.1/",
    "http://172.31.255.254/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://100.127.255.254/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://239.255.255.250/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://192.0.2.10/",
    "http://198.18.0.1/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fec0::1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of loopback, of the metadata address
    "http://[2002:7f00:1::1]/",
    "http://[2002:a00:1::]/",  # 6to4 of loopback, of 10.0.0.1
    "http://[::127.0.0.1]/",
    "http://[::a9fe:a9fe]/",  # IPv4-compatible
    "http://[2001:db8::1]/",
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # documentation, Teredo
    # Odd IPv4 spellings, as the system resolver reads them
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://0x7f.0.0.1/",
    "http://0x7f000001/",
    "http://017700000001/",
    "http://2852039166/",  # 169.254.169.254 in decimal
]

PUBLIC_URLS = [
    "https://8.8.8.8/hook",
    "http://1.1.1.1:8080/x?y=1",
    "https://[2606:4700:4700::1111]/hook",
    "http://[::ffff:8.8.8.8]/",
    "http://[64:ff9b::808:808]/",
    "http://[2002:808:808::1]/",
]


@pytest.mark.parametrize("url", NON_PUBLIC_URLS)
def test_non_public_targets_are_refused(url):
    with pytest.raises(OutboundRefused) as refused:
        check_url(url)
    assert refused.value.code == "address_not_allowed"


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_targets_are_allowed(url):
    checked = check_url(url)
    assert checked.addresses and all(refusal_reason(address) is None for address in checked.addresses)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://8.8.8.8/",
        "file:///etc/passwd",
        "gopher://8.8.8.8/",
        "not a url",
        "http://",
        "http:///path",
        "http://user:pw@8.8.8.8/",
        "http://user@8.8.8.8/",
        "http://8.8.8.8\\@127.0.0.1/",
        "http://8.8.8.8/a b",
        "http://8.8.8.8/\r\nX-Injected: 1",
        "http://8.8.8.8:99999/",
        "http://[fe80::1%25eth0]/",
        "https://8.8.8.8/" + "a" * 2000,
        "",
        None,
        5,
    ],
)
def test_malformed_urls_are_refused(url):
    with pytest.raises(OutboundRefused) as refused:
        check_url(url)
    assert refused.value.code == "invalid_url"


def answers(*addresses):
    def resolver(host, port):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    return resolver


def test_a_name_is_refused_when_any_address_it_resolves_to_is_not_public():
    assert check_url("https://hooks.platform.test/x", resolver=answers("8.8.8.8")).addresses == ("8.8.8.8",)
    for addresses in (("8.8.8.8", "10.0.0.1"), ("127.0.0.1",), ("8.8.4.4", "::1"), ("::ffff:169.254.169.254",)):
        with pytest.raises(OutboundRefused) as refused:
            check_url("https://hooks.platform.test/x", resolver=answers(*addresses))
        assert refused.value.code == "address_not_allowed"


def test_a_name_that_does_not_resolve_is_a_dns_error():
    def fails(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    for resolver in (fails, answers()):
        with pytest.raises(OutboundRefused) as refused:
            check_url("https://hooks.platform.test/x", resolver=resolver)
        assert refused.value.code == "dns_error"


def test_the_allow_list_admits_only_its_ranges():
    allow = "127.0.0.1/32, 10.20.0.0/16"
    assert check_url("http://127.0.0.1:9000/hook", allow_cidrs=allow).addresses == ("127.0.0.1",)
    assert check_url("http://[::ffff:127.0.0.1]/hook", allow_cidrs=allow)  # the same IPv4 destination
    assert check_url("http://hooks.internal/", allow_cidrs=allow, resolver=answers("10.20.3.4"))
    for url in ("http://127.0.0.2/", "http://[::1]/", "http://10.21.0.1/", "http://169.254.169.254/"):
        with pytest.raises(OutboundRefused):
            check_url(url, allow_cidrs=allow)
    assert parse_allow_list(["192.168.0.0/24"]) == parse_allow_list("192.168.0.0/24")
    with pytest.raises(ValueError):
        parse_allow_list("10.0.0.0/33")


def test_the_checked_url_keeps_the_name_for_host_header_and_tls():
    checked = check_url("https://Hooks.Platform.test:8443/in?x=1#frag", resolver=answers("8.8.8.8"))
    assert (checked.scheme, checked.host, checked.port, checked.target) == (
        "https",
        "hooks.platform.test",
        8443,
        "/in?x=1",
    )
    assert check_url("http://bücher.test/", resolver=answers("8.8.8.8")).host == "xn--bcher-kva.test"
    assert check_url("http://8.8.8.8/ü?q=é&x=%20").target == "/%C3%BC?q=%C3%A9&x=%20"  # non-ASCII escaped once


def test_only_vocabulary_words_are_shown():
    for word in ERROR_CODES | {"http_500", "http_404"}:
        assert public_error(word) == word
    assert public_error(None) is None
    # Rows written before the vocabulary held raw exception text.
    assert public_error("HTTP 503") == "http_503"
    assert public_error("ReadTimeout: HTTPConnectionPool(host='10.0.0.1', port=80): Read timed out.") == "timeout"
    assert public_error("ConnectionError: [Errno 111] Connection refused by 10.1.2.3") == "connection_error"


def test_the_allow_list_setting_is_read_and_checked_at_startup(tmp_path):
    from workbench.settings import Settings

    assert Settings.from_env({}, str(tmp_path)).outbound_allow_cidrs == ()  # nothing private by default
    config = Settings.from_env({"WORKBENCH_OUTBOUND_ALLOW_CIDRS": "10.20.0.0/16, 127.0.0.1,fd00:1::/64"}, str(tmp_path))
    assert config.outbound_allow_cidrs == ("10.20.0.0/16", "127.0.0.1/32", "fd00:1::/64")
    with pytest.raises(ValueError, match="WORKBENCH_OUTBOUND_ALLOW_CIDRS"):
        Settings.from_env({"WORKBENCH_OUTBOUND_ALLOW_CIDRS": "10.0.0.0/33"}, str(tmp_path))
