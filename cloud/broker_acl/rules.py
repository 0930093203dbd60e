"""The ACL table of kfleet's broker identities, as data the backends turn into rules.

A device may publish only its own upstream channels and receive only its own ``cmd`` and
(retained) ``state``; the cloud may read every device's upstream and publish ``cmd``.
Everything else is denied by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols.topics import ROOT, UPSTREAM, DeviceChannel, check_device_id, upstream_filter

DEVICE_ROLE = "kf-device"
CLOUD_ROLE = "kf-cloud"

#: dynsec's default for each ACL type when no rule matches: deny all but unsubscribing.
DEFAULT_ACCESS: dict[str, bool] = {
    "publishClientSend": False,
    "publishClientReceive": False,
    "subscribe": False,
    "unsubscribe": True,
}


@dataclass(frozen=True)
class Acl:
    """One dynsec ACL entry."""

    acltype: str
    topic: str
    allow: bool = True


def device_role(device_id: str) -> str:
    """The per-device role holding the rules that name the device's own topics."""
    return f"{DEVICE_ROLE}-{check_device_id(device_id)}"


def device_acls(device_id: str) -> list[Acl]:
    """A device's rules: publish its upstream, subscribe to and receive its cmd and state."""
    base = f"{ROOT}/dev/{check_device_id(device_id)}"
    acls = [Acl("publishClientSend", f"{base}/{ch.value}") for ch in sorted(UPSTREAM)]
    for ch in (DeviceChannel.CMD, DeviceChannel.STATE):
        acls.append(Acl("subscribeLiteral", f"{base}/{ch.value}"))
        acls.append(Acl("publishClientReceive", f"{base}/{ch.value}"))
    return acls


def cloud_acls(shared_group: str | None = None) -> list[Acl]:
    """The cloud's rules: subscribe to the upstream filter (plain and, if used, ``$share``),
    receive upstream channels, publish ``cmd`` to any device."""
    acls = [Acl("subscribeLiteral", upstream_filter())]
    if shared_group:
        acls.append(Acl("subscribeLiteral", upstream_filter(shared_group)))
    acls += [Acl("publishClientReceive", f"{ROOT}/dev/+/{ch.value}") for ch in sorted(UPSTREAM)]
    acls.append(Acl("publishClientSend", f"{ROOT}/dev/+/{DeviceChannel.CMD.value}"))
    return acls
