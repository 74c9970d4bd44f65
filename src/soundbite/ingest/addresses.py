"""Which IP addresses a user-supplied URL may make us connect to.

Soundbite fetches URLs that users type (feeds, media, chapters, transcripts). Without a check, a
URL is a way to make the server talk to things only the server can reach: the cloud metadata
service at 169.254.169.254, an admin panel on localhost, a database on the LAN. The fetcher calls
`refusal_reason` on every address it is about to connect to, after DNS resolution, so that a
hostname cannot smuggle a private address past us (see `ingest/fetch.py`).

We use explicit tables of IANA special-purpose ranges rather than `ipaddress`'s `is_private` /
`is_global`, because those changed meaning between CPython patch releases (3.11.10, 3.12.4 and
3.13 each moved ranges), and a security check should not change under a minor upgrade.

IPv6 addresses that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4
2002::/16, Teredo 2001::/32) are judged by the IPv4 address inside them, because that is where the
packets end up: ::ffff:127.0.0.1 is loopback, 64:ff9b::8.8.8.8 is a public host reached through a
NAT64 gateway (how IPv6-only servers reach IPv4 hosts, so it must stay allowed).

`allow_private=True` is for self-hosters whose feeds or media live on their own network. It
allows loopback, RFC 1918, unique-local (fc00::/7), carrier-grade NAT (100.64.0.0/10, used by
Tailscale and similar overlays) and benchmarking ranges. It still refuses addresses nobody can
legitimately mean: unspecified, multicast, broadcast, documentation and reserved ranges, and it
still refuses link-local (169.254.0.0/16, fe80::/10) and the known cloud-metadata addresses,
since those hold cloud credentials and no self-hosted feed lives there. An address inside
`allow_networks` is allowed whatever its kind: that is the escape hatch for a deliberate choice
(and what the tests use to allow 127.0.0.1 while 127.0.0.2 stays refused).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Kinds that allow_private=True opens up. Every other kind is refused unless allow-listed.
PRIVATE_KINDS = frozenset({"loopback", "private", "carrier-grade NAT", "benchmarking"})


def _table(*rows: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(net), kind) for net, kind in rows)


# Cloud metadata endpoints that sit inside otherwise "private" ranges; link-local ones
# (169.254.169.254, AWS/GCP/Azure) are covered by the link-local row.
_METADATA = _table(
    ("100.100.100.200/32", "cloud metadata"),  # Alibaba Cloud, inside 100.64.0.0/10
    ("192.0.0.192/32", "cloud metadata"),  # Oracle Cloud, inside 192.0.0.0/24
    ("fd00:ec2::254/128", "cloud metadata"),  # AWS IPv6 IMDS, inside fc00::/7
)

_IPV4 = _table(
    ("0.0.0.0/8", "unspecified"),  # "this network": connecting to 0.0.0.0 reaches localhost
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved"),  # IETF protocol assignments
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "reserved"),  # deprecated 6to4 relay anycast
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),
    ("240.0.0.0/4", "reserved"),
)

_IPV6 = _table(
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "private"),  # local-use NAT64 (RFC 8215)
    ("100::/64", "reserved"),  # discard-only
    ("2001:2::/48", "benchmarking"),
    ("2001:db8::/32", "documentation"),
    ("2001:10::/28", "reserved"),  # ORCHID
    ("2001:20::/28", "reserved"),  # ORCHIDv2
    ("3fff::/20", "documentation"),
    ("5f00::/16", "reserved"),  # SRv6 SIDs
    ("fc00::/7", "private"),  # unique local
    ("fe80::/10", "link-local"),
    ("fec0::/10", "private"),  # deprecated site-local
    ("ff00::/8", "multicast"),
)

_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses that traffic to `ip` is really delivered to, if it embeds any."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in _NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        # (server, client): the client is the real destination; the server relays the traffic.
        return list(ip.teredo)
    return []


def _kind(ip: IPAddress) -> str | None:
    """The special-purpose kind of a (non-embedding) address, or None for a public one."""
    for table in (_METADATA, _IPV4 if ip.version == 4 else _IPV6):
        for network, kind in table:
            if ip in network:
                return kind
    if ip.version == 6 and ip not in _GLOBAL_UNICAST_V6:
        return "reserved"  # outside 2000::/3 nothing is assigned for global use
    return None


def _parse(ip: str | IPAddress) -> IPAddress:
    if isinstance(ip, str):
        return ipaddress.ip_address(ip)
    return ip


def refusal_reason(
    ip: str | IPAddress,
    *,
    allow_private: bool,
    allow_networks: Sequence[IPNetwork] = (),
) -> str | None:
    """Why we must not connect to `ip`, as a phrase ("a loopback address"), or None if allowed.

    >>> refusal_reason("127.0.0.1", allow_private=False)
    'a loopback address'
    >>> refusal_reason("93.184.215.14", allow_private=False) is None
    True
    """
    address = _parse(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        address = ipaddress.IPv6Address(int(address))  # drop "%eth0": the range is what counts
    embedded = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else []
    if any(candidate in net for candidate in (address, *embedded) for net in allow_networks):
        return None
    if embedded:
        for inner in embedded:
            reason = refusal_reason(inner, allow_private=allow_private)
            if reason is not None:
                return f"{reason} (embedded in the IPv6 address {address})"
        return None
    kind = _kind(address)
    if kind is None or (allow_private and kind in PRIVATE_KINDS):
        return None
    article = "an" if kind[0] in "aeiou" else "a"
    return f"{article} {kind} address"


def is_fetchable_address(
    ip: str | IPAddress,
    *,
    allow_private: bool,
    allow_networks: Sequence[IPNetwork] = (),
) -> bool:
    """True if the fetcher may connect to `ip` (see the module docstring for the rules)."""
    return refusal_reason(ip, allow_private=allow_private, allow_networks=allow_networks) is None
