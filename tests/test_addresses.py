"""The address rules of the fetcher, checked on addresses alone: nothing here connects."""

from __future__ import annotations

import ipaddress

import pytest

from soundbite.ingest.addresses import is_fetchable_address, refusal_reason

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "100.63.255.255",  # just below carrier-grade NAT
    "100.128.0.0",  # just above it
    "172.15.255.255",
    "172.32.0.0",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",  # IPv4-mapped public
    "64:ff9b::8.8.8.8",  # NAT64 of a public host: how IPv6-only servers reach IPv4
    "2002:0808:0808::1",  # 6to4 of 8.8.8.8
]

# (address, kind named in the refusal, allowed when allow_private=True)
REFUSED = [
    ("127.0.0.1", "loopback", True),
    ("127.255.255.254", "loopback", True),
    ("10.0.0.1", "private", True),
    ("172.16.0.1", "private", True),
    ("172.31.255.255", "private", True),
    ("192.168.1.1", "private", True),
    ("100.64.0.1", "carrier-grade NAT", True),
    ("100.127.255.255", "carrier-grade NAT", True),
    ("198.18.0.1", "benchmarking", True),
    ("169.254.169.254", "link-local", False),  # cloud metadata
    ("169.254.0.1", "link-local", False),
    ("100.100.100.200", "cloud metadata", False),  # Alibaba, inside 100.64.0.0/10
    ("192.0.0.192", "cloud metadata", False),  # Oracle
    ("0.0.0.0", "unspecified", False),
    ("0.1.2.3", "unspecified", False),
    ("224.0.0.1", "multicast", False),
    ("239.255.255.250", "multicast", False),
    ("255.255.255.255", "broadcast", False),
    ("240.0.0.1", "reserved", False),
    ("192.0.2.1", "documentation", False),
    ("198.51.100.7", "documentation", False),
    ("203.0.113.9", "documentation", False),
    ("::1", "loopback", True),
    ("::", "unspecified", False),
    ("fc00::1", "private", True),
    ("fd12:3456::1", "private", True),
    ("fd00:ec2::254", "cloud metadata", False),  # AWS IMDS over IPv6
    ("fe80::1", "link-local", False),
    ("fe80::1%eth0", "link-local", False),
    ("ff02::1", "multicast", False),
    ("2001:db8::1", "documentation", False),
    ("3fff::1", "documentation", False),
    ("100::1", "reserved", False),
    ("::127.0.0.1", "reserved", False),  # deprecated IPv4-compatible form
    ("4000::1", "reserved", False),  # outside 2000::/3
    ("64:ff9b:1::a00:1", "private", True),  # local-use NAT64
    # IPv6 forms that embed an IPv4 address are judged by that address.
    ("::ffff:127.0.0.1", "loopback", True),
    ("::ffff:169.254.169.254", "link-local", False),
    ("::ffff:10.1.2.3", "private", True),
    ("64:ff9b::7f00:1", "loopback", True),  # NAT64 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", "link-local", False),  # NAT64 of 169.254.169.254
    ("2002:7f00:0001::1", "loopback", True),  # 6to4 of 127.0.0.1
    ("2002:c0a8:0101::1", "private", True),  # 6to4 of 192.168.1.1
    # Teredo: server 65.54.227.120, client 192.0.2.45 (documentation; RFC 4380's own example)
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "documentation", False),
]


@pytest.mark.parametrize("ip", PUBLIC)
def test_public_addresses_are_allowed(ip: str) -> None:
    assert is_fetchable_address(ip, allow_private=False, allow_networks=())


@pytest.mark.parametrize(("ip", "kind", "private_ok"), REFUSED)
def test_special_addresses_are_refused(ip: str, kind: str, private_ok: bool) -> None:
    reason = refusal_reason(ip, allow_private=False)
    assert reason is not None and kind in reason
    assert not is_fetchable_address(ip, allow_private=False, allow_networks=())


@pytest.mark.parametrize(("ip", "kind", "private_ok"), REFUSED)
def test_allow_private_opens_only_private_kinds(ip: str, kind: str, private_ok: bool) -> None:
    assert is_fetchable_address(ip, allow_private=True, allow_networks=()) is private_ok


def test_teredo_is_judged_by_the_client_address() -> None:
    # Server 65.54.227.120, client 8.8.8.8 (obfuscated: bits inverted) -> public.
    client = int(ipaddress.IPv4Address("8.8.8.8")) ^ 0xFFFFFFFF
    teredo = ipaddress.IPv6Address((0x20010000_4136E378 << 64) | (0x8000_63BF << 32) | client)
    assert teredo.teredo == (
        ipaddress.IPv4Address("65.54.227.120"),
        ipaddress.IPv4Address("8.8.8.8"),
    )
    assert is_fetchable_address(teredo, allow_private=False)


def test_allow_networks_is_checked_first_and_is_exact() -> None:
    only_one = [ipaddress.ip_network("127.0.0.1/32")]
    assert is_fetchable_address("127.0.0.1", allow_private=False, allow_networks=only_one)
    assert not is_fetchable_address("127.0.0.2", allow_private=False, allow_networks=only_one)
    # The allow-list also matches the IPv4 address inside an IPv6 form of it.
    assert is_fetchable_address("::ffff:127.0.0.1", allow_private=False, allow_networks=only_one)
    # An explicit allow wins even over kinds allow_private never opens.
    metadata = [ipaddress.ip_network("169.254.169.254/32")]
    assert is_fetchable_address("169.254.169.254", allow_private=False, allow_networks=metadata)


def test_accepts_address_objects() -> None:
    assert not is_fetchable_address(ipaddress.ip_address("10.0.0.1"), allow_private=False)
    assert is_fetchable_address(ipaddress.ip_address("2606:4700::1"), allow_private=False)


def test_reason_reads_as_a_phrase() -> None:
    assert refusal_reason("127.0.0.1", allow_private=False) == "a loopback address"
    assert refusal_reason("0.0.0.0", allow_private=False) == "an unspecified address"
    embedded = refusal_reason("::ffff:127.0.0.1", allow_private=False)
    assert embedded == "a loopback address (embedded in the IPv6 address ::ffff:7f00:1)"
