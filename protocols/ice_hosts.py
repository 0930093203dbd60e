"""Which local addresses WebRTC may offer as ICE host candidates (agent and cloud alike).

aioice offers every address of every interface by default. A hall PC often has several (hall
LAN, a 4G dongle, a VPN) and only one should carry media; tests must use loopback only. Both
sides call :func:`restrict_ice_hosts` once at start with their configured list (empty: all).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

_original: Callable[[bool, bool], list[str]] | None = None


def restrict_ice_hosts(addresses: list[str]) -> None:
    """Offer only ``addresses`` (IPv4/IPv6 literals) as host candidates; ``[]`` restores
    aioice's own choice. Raises ``ValueError`` naming a bad address."""
    import aioice.ice  # imported here: only processes that carry media need it

    global _original
    for a in addresses:
        try:
            ipaddress.ip_address(a)
        except ValueError:
            raise ValueError(
                f"ICE host address {a!r} is not an IP address: give IPv4/IPv6 literals, "
                "e.g. 127.0.0.1 or the hall LAN address"
            ) from None
    if _original is None:
        _original = aioice.ice.get_host_addresses
    if not addresses:
        aioice.ice.get_host_addresses = _original  # type: ignore[assignment]
        return
    chosen = list(addresses)

    def _only(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [
            a
            for a in chosen
            if (use_ipv4 and ipaddress.ip_address(a).version == 4)
            or (use_ipv6 and ipaddress.ip_address(a).version == 6)
        ]

    aioice.ice.get_host_addresses = _only
