"""Who may do what: the five roles of people, their permissions, and site-subtree scoping.

Pure decisions (no I/O): the cloud asks :func:`allows` and :func:`in_scope`; the console shows
:data:`ROLE_PERMISSIONS` so an administrator sees what a role grants before giving it.
"""

from __future__ import annotations

from enum import StrEnum


class PersonRole(StrEnum):
    """A person's (or an API token's) role; permissions come only from the role."""

    ADMINISTRATOR = "administrator"  # users, roles, everything in scope
    OPERATOR = "operator"  # runs the fleet 7x24: jobs, calls, content, alerts, revokes devices
    TECHNICIAN = "technician"  # enrolls, tests and rotates devices
    WINDOW_STAFF = "window_staff"  # prints and calls at a service window
    AUDITOR = "auditor"  # reads everything in scope and the audit log, changes nothing


class Permission(StrEnum):
    """One kind of action; every REST route requires exactly one (or is public/device-facing)."""

    SITES_READ = "sites.read"
    SITES_WRITE = "sites.write"  # add sites to the tree (administrators only)
    DEVICES_READ = "devices.read"
    DEVICES_ENROLL = "devices.enroll"  # mint enrollment tokens, rotate a device's credentials
    DEVICES_REVOKE = "devices.revoke"
    JOBS_READ = "jobs.read"
    JOBS_WRITE = "jobs.write"  # create, cancel, resolve
    CALLS_WRITE = "calls.write"  # peripheral calls (LED, rating request, ...)
    BLOBS_WRITE = "blobs.write"  # upload documents to print
    CONTENT_WRITE = "content.write"  # floor plans, window information, screens
    USERS_MANAGE = "users.manage"  # people, roles, API tokens of others
    AUDIT_READ = "audit.read"
    SYSTEM_READ = "system.read"  # bus statistics, cloud health detail
    ALERTS_WRITE = "alerts.write"  # acknowledge alerts, silence them, edit alert rules
    HALL_READ = "hall.read"  # queues, tickets, ratings and their reports
    HALL_CONFIGURE = "hall.configure"  # queues, services, windows, staff of a site
    QUEUE_OPERATE = "queue.operate"  # sign in at a window, call next, recall, transfer, ...
    RATINGS_FOLLOW_UP = "ratings.follow_up"  # handle the follow-up of a low rating
    GUIDE_EDIT = "guide.edit"  # the service-guide catalogue: items, import, publish
    FORMS_EDIT = "forms.edit"  # e-forms: save versions, publish, roll back (issue 15)
    PAYMENTS_REFUND = "payments.refund"  # refund a paid utility-bill order (issue 15)
    MEDIA_VIEW = "media.view"  # watch live camera streams, mint viewer links (issue 16)
    HELP_ANSWER = "help.answer"  # go on duty, answer remote-help calls, operate screens (issue 16)
    #: play back recorded remote-help calls (issue 16; administrators and auditors)
    HELP_RECORDINGS = "help.recordings"
    #: publish agent releases, start, pause, resume and abort staged rollouts (issue 17);
    #: administrators only: an upgrade reaches every device of a subtree
    FLEET_UPGRADE = "fleet.upgrade"


_READ = {
    Permission.SITES_READ,
    Permission.DEVICES_READ,
    Permission.JOBS_READ,
    Permission.SYSTEM_READ,
    Permission.HALL_READ,
}

ROLE_PERMISSIONS: dict[PersonRole, frozenset[Permission]] = {
    PersonRole.ADMINISTRATOR: frozenset(Permission),
    PersonRole.OPERATOR: frozenset(
        _READ
        | {
            Permission.DEVICES_REVOKE,
            Permission.JOBS_WRITE,
            Permission.CALLS_WRITE,
            Permission.BLOBS_WRITE,
            Permission.CONTENT_WRITE,
            Permission.ALERTS_WRITE,
            Permission.HALL_CONFIGURE,
            Permission.QUEUE_OPERATE,
            Permission.RATINGS_FOLLOW_UP,
            Permission.GUIDE_EDIT,
            Permission.FORMS_EDIT,
            Permission.PAYMENTS_REFUND,
            Permission.MEDIA_VIEW,
            Permission.HELP_ANSWER,
        }
    ),
    PersonRole.TECHNICIAN: frozenset(_READ | {Permission.DEVICES_ENROLL, Permission.CALLS_WRITE}),
    PersonRole.WINDOW_STAFF: frozenset(
        {
            Permission.SITES_READ,
            Permission.DEVICES_READ,
            Permission.JOBS_READ,
            Permission.JOBS_WRITE,
            Permission.CALLS_WRITE,
            Permission.BLOBS_WRITE,
            Permission.HALL_READ,
            Permission.QUEUE_OPERATE,
        }
    ),
    PersonRole.AUDITOR: frozenset(_READ | {Permission.AUDIT_READ, Permission.HELP_RECORDINGS}),
}


def allows(role: PersonRole, permission: Permission) -> bool:
    """Whether ``role`` carries ``permission``."""
    return permission in ROLE_PERMISSIONS[role]


def in_scope(scope: str, site_path: str) -> bool:
    """Whether ``site_path`` lies in the subtree rooted at ``scope`` (``qh/hx/golmud`` holds
    ``qh/hx/golmud/hhl`` but not ``qh/hx/golmudx``)."""
    return site_path == scope or site_path.startswith(scope + "/")


def narrower_or_equal(outer: str, inner: str) -> bool:
    """Whether a grant scoped to ``inner`` stays inside ``outer`` (a person may only hand out
    what they hold: an API token or a new user never reaches beyond its creator's subtree)."""
    return in_scope(outer, inner)


def role_at_most(granter: PersonRole, granted: PersonRole) -> bool:
    """Whether ``granter`` may give ``granted``: its permissions are a subset of the granter's."""
    return ROLE_PERMISSIONS[granted] <= ROLE_PERMISSIONS[granter]
