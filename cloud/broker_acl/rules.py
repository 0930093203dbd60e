"""The ACL table of kfleet's broker identities, as data the backends turn into rules.

A device may publish only its own upstream channels and receive only its own ``cmd`` and
(retained) ``state``, plus, when its site is known, its own site's content
(``kf/v1/site/{path}/+``); the cloud may read every device's upstream, publish ``cmd``,
site content and notifications (``kf/v1/notify/#``). Everything else is denied by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols.topics import (
    PRESENCE_FILTERS,
    ROOT,
    UPSTREAM,
    DeviceChannel,
    check_device_id,
    site_content_filter,
    upstream_filter,
)

DEVICE_ROLE = "kf-device"
#: every site's content: what the cloud may publish to
SITE_CONTENT_ALL = f"{ROOT}/site/#"
CLOUD_ROLE = "kf-cloud"
#: notifications (alerts) the cloud publishes for subscribers of its own (docs/notifications.md)
NOTIFY_ALL = f"{ROOT}/notify/#"

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


def device_acls(device_id: str, site_path: str | None = None) -> list[Acl]:
    """A device's rules: publish its upstream, subscribe to and receive its cmd and state;
    with ``site_path``, subscribe to (exactly the filter) and receive its site's content."""
    base = f"{ROOT}/dev/{check_device_id(device_id)}"
    acls = [Acl("publishClientSend", f"{base}/{ch.value}") for ch in sorted(UPSTREAM)]
    for ch in (DeviceChannel.CMD, DeviceChannel.STATE):
        acls.append(Acl("subscribeLiteral", f"{base}/{ch.value}"))
        acls.append(Acl("publishClientReceive", f"{base}/{ch.value}"))
    if site_path is not None:
        content = site_content_filter(site_path)
        acls.append(Acl("subscribeLiteral", content))
        acls.append(Acl("publishClientReceive", content))
    return acls


def cloud_acls(shared_group: str | None = None) -> list[Acl]:
    """The cloud's rules: subscribe to the upstream filter (plain and, if used, ``$share``),
    receive upstream channels, publish ``cmd`` to any device and content to any site."""
    acls = [Acl("subscribeLiteral", upstream_filter())]
    if shared_group:
        acls.append(Acl("subscribeLiteral", upstream_filter(shared_group)))
        acls += [Acl("subscribeLiteral", flt) for flt in PRESENCE_FILTERS]  # several workers
    acls += [Acl("publishClientReceive", f"{ROOT}/dev/+/{ch.value}") for ch in sorted(UPSTREAM)]
    acls.append(Acl("publishClientSend", f"{ROOT}/dev/+/{DeviceChannel.CMD.value}"))
    acls.append(Acl("publishClientSend", SITE_CONTENT_ALL))
    acls.append(Acl("publishClientSend", NOTIFY_ALL))  # the MQTT notification channel
    return acls


@dataclass(frozen=True)
class Identity:
    """A logged-in broker client as the rules see it: the cloud, or a device (username =
    device id) with its site path when the cloud knows it."""

    username: str
    is_cloud: bool = False
    site_path: str | None = None

    def acls(self, shared_group: str | None = None) -> list[Acl]:
        """This identity's rules, the same list the dynsec backend installs for it."""
        if self.is_cloud:
            return cloud_acls(shared_group)
        return device_acls(self.username, self.site_path)
