"""Property tests of the site content rules: a device reads its own site's content (and not
a parent's, a child's or a sibling's), only the cloud publishes it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cloud.broker_acl.decide import Action, allowed, may
from cloud.broker_acl.rules import Identity, cloud_acls, device_acls
from protocols.topics import site_content_filter, site_topic

ids = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)
segment = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,6}", fullmatch=True)
sites = st.lists(segment, min_size=1, max_size=5).map("/".join)
names = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,12}", fullmatch=True)


@given(ids, sites, names)
def test_device_reads_its_own_sites_content(dev: str, site: str, name: str) -> None:
    acls = device_acls(dev, site)
    assert allowed(acls, Action.SUBSCRIBE, site_content_filter(site))
    assert allowed(acls, Action.RECEIVE, site_topic(site, name))
    assert not allowed(acls, Action.PUBLISH, site_topic(site, name))
    assert not allowed(acls, Action.SUBSCRIBE, f"kf/v1/site/{site}/#")


@given(ids, sites, sites, names)
def test_device_reads_no_other_sites_content(dev: str, site: str, other: str, name: str) -> None:
    """Another site, a site above or below its own: nothing, in any direction."""
    if other == site:
        return
    acls = device_acls(dev, site)
    for action in Action:
        assert not allowed(acls, action, site_topic(other, name))
    assert not allowed(acls, Action.SUBSCRIBE, site_content_filter(other))
    if site.count("/") < 4:  # a site below it (paths have at most 5 levels)
        assert not allowed(acls, Action.RECEIVE, site_topic(f"{site}/east", name))
    if "/" in site:  # the site above it
        assert not allowed(acls, Action.RECEIVE, site_topic(site.rsplit("/", 1)[0], name))


@given(ids, sites, names)
def test_device_without_a_site_gets_no_content(dev: str, site: str, name: str) -> None:
    acls = device_acls(dev)
    for action in Action:
        assert not allowed(acls, action, site_topic(site, name))


@given(sites, names)
def test_only_the_cloud_publishes_content(site: str, name: str) -> None:
    acls = cloud_acls("kf")
    assert allowed(acls, Action.PUBLISH, site_topic(site, name))
    assert not allowed(acls, Action.SUBSCRIBE, site_content_filter(site))
    assert not allowed(acls, Action.RECEIVE, site_topic(site, name))


@given(ids, sites, names)
def test_identity_decides_with_its_own_rules(dev: str, site: str, name: str) -> None:
    me = Identity(dev, site_path=site)
    assert may(me, Action.RECEIVE, site_topic(site, name))
    assert not may(Identity(dev), Action.RECEIVE, site_topic(site, name))
    assert may(Identity("kf-cloud", is_cloud=True), Action.PUBLISH, site_topic(site, name))


def test_a_username_that_is_no_device_id_may_do_nothing() -> None:
    for action in Action:
        assert not may(Identity("Bad/User"), action, "kf/v1/dev/Bad/User/birth")
