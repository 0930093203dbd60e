"""Staged agent upgrades on the wire (issue 17): the cloud orders a device to install a
release beside the running one and switch to it; the device reports each step as an
``upgrade`` event; a release that does not come back healthy within its window is switched
back on the device by itself, and the cloud may order a switch back too.

A release is one artifact: a gzipped tar whose top level holds :data:`RELEASE_MANIFEST`
(a :class:`ReleaseManifest`) beside the release's files. The cloud keeps it as a blob and
the order carries a short-lived read URL for it (protocol §13, like a document job's
``fetch``); the device checks size and sha256 before unpacking anything.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

#: a release version: semantic version with an optional pre-release/build suffix
AGENT_VERSION_PATTERN = r"^[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,6}([.+-][0-9A-Za-z.-]{1,32})?$"
#: the manifest's file name at the top of a release artifact
RELEASE_MANIFEST = "kfleet-release.json"
#: the largest artifact a device downloads (and the cloud accepts)
MAX_ARTIFACT_BYTES = 256 * 1024 * 1024

Version = Annotated[str, Field(pattern=AGENT_VERSION_PATTERN, max_length=64)]
_Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
_Text = Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReleaseManifest(_Body):
    """What a release says about itself (``kfleet-release.json``)."""

    version: Version
    #: the wire protocol version the release speaks (``protocols.envelope`` major)
    protocol: Annotated[int, Field(ge=1, le=99)]
    #: the command the launcher runs, relative to the release's directory, with arguments
    entry: Annotated[
        list[Annotated[str, Field(max_length=256)]], Field(min_length=1, max_length=16)
    ]
    created_at: Annotated[str, Field(max_length=40)] = ""
    notes: _Text = ""


class Artifact(_Body):
    """Where the device downloads a release and how it checks it."""

    url: Annotated[str, Field(pattern=r"^https?://[^\x00-\x20\x7f]{1,2000}$")]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Field(ge=1, le=MAX_ARTIFACT_BYTES)]
    #: when the URL's token expires (ISO 8601); a device that starts later asks again
    expires: Annotated[str, Field(max_length=40)] = ""


class UpgradeOrder(_Body):
    """Command: install ``version`` beside the running agent and switch to it.

    Idempotent per (``rollout_id``, ``version``): a device already running it answers
    ``healthy`` again. The device must report ``healthy`` within ``health_window_s`` of the
    switch or it switches back by itself (``rolled_back``)."""

    op: Literal["agent.upgrade"] = "agent.upgrade"
    rollout_id: _Name
    version: Version
    artifact: Artifact
    health_window_s: Annotated[int, Field(ge=10, le=3600)] = 120


class RollbackOrder(_Body):
    """Command: switch back to ``to_version``, which the device still keeps beside the
    current one (the cloud halted a rollout). A device already on it answers ``rolled_back``."""

    op: Literal["agent.rollback"] = "agent.rollback"
    rollout_id: _Name
    to_version: Version


class UpgradeState(StrEnum):
    DOWNLOADING = "downloading"
    STAGED = "staged"  # unpacked and checked beside the running version
    SWITCHING = "switching"  # the launcher is starting the new version
    HEALTHY = "healthy"  # the new version passed its health check in its window
    FAILED = "failed"  # nothing switched (download, checksum, manifest, disk): old one runs
    ROLLED_BACK = "rolled_back"  # switched back to ``previous_version`` (by itself or ordered)


class UpgradeData(_Body):
    """``data`` of an ``upgrade`` event (no peripheral): one step of one order."""

    rollout_id: _Name
    version: Version
    state: UpgradeState
    #: the version that ran before the switch (and runs again after a rollback)
    previous_version: Annotated[str, Field(max_length=64)] = ""
    #: a short machine reason for ``failed``/``rolled_back``: ``checksum``, ``manifest``,
    #: ``download``, ``disk_full``, ``health_timeout``, ``crashed``, ``ordered``, ...
    reason: Annotated[str, Field(max_length=64, pattern=r"^[a-z0-9_]*$")] = ""
    message: _Text = ""
