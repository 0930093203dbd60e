"""Errors of the fleet domain."""


class FleetError(Exception):
    """Root of every error raised by ``fleet``."""


class IllegalTransition(FleetError):
    """A job state change the state machine does not allow."""


class SiteTreeError(FleetError):
    """A site that does not fit the five-level tree."""
