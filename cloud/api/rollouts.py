"""``/api/v1/agent-releases`` and ``/api/v1/rollouts``: publish agent releases, run staged
rollouts over a site subtree (issue 17, docs/rollouts.md). ``fleet.upgrade`` only
(administrators); a rollout outside the caller's subtree does not exist for them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from cloud import audit
from cloud.api.auth_deps import check_site, client_ip, require, scope_of
from cloud.api.enrollment import described
from cloud.api.rollout_schemas import (
    ReleaseOut,
    RolloutDeviceOut,
    RolloutId,
    RolloutIn,
    RolloutOut,
    RolloutStateName,
    VersionParam,
    WaveIn,
    device_out,
    release_out,
    rollout_out,
)
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.blobs import BlobTooLarge
from cloud.errors import CloudError
from cloud.rollouts.parts import Rollouts
from cloud.rollouts.service import Caller, RolloutSpec
from fleet.access import Permission
from fleet.rollouts import RolloutState, WaveSpec

router = APIRouter(prefix="/api/v1", tags=["rollouts"], route_class=StrictJsonRoute)
Upgrader = Annotated[Principal, Depends(require(Permission.FLEET_UPGRADE))]
_AUTH = {401: "no credentials, or bad ones", 403: "permission_denied: fleet.upgrade needed"}
_READ = described(500, said={**_AUTH, 422: "a malformed query"})
_ONE_RELEASE = described(500, said={**_AUTH, 404: "no such release", 422: "a malformed version"})
_ONE = described(
    500, said={**_AUTH, 404: "rollout not found (or outside your subtree)", 422: "a malformed id"}
)
_CHANGE = described(
    400,
    413,
    500,
    said={
        **_AUTH,
        404: "rollout not found (or outside your subtree)",
        409: "the rollout is not in a state for this (e.g. resuming a running one)",
        422: "a malformed id",
    },
)
#: what the upload may be labelled as (the cloud reads the bytes, not the label)
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip", "application/octet-stream"})
_RELEASE_BODY = {
    "required": True,
    "description": "the release's .tar.gz as 'kfleet release build' wrote it, streamed",
    "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in sorted(GZIP_TYPES)},
}


class NotGzip(CloudError):
    status_code = 415


async def _rollouts(request: Request) -> Rollouts:
    parts: Rollouts = request.app.state.parts.rollouts
    return parts


RolloutsDep = Annotated[Rollouts, Depends(_rollouts)]


def _caller(caller: Principal, request: Request) -> Caller:
    return Caller(actor=caller.actor, ip=client_ip(request), scope=scope_of(caller))


@router.post(
    "/agent-releases",
    status_code=status.HTTP_201_CREATED,
    response_model=ReleaseOut,
    openapi_extra={"requestBody": _RELEASE_BODY},
    responses={
        200: {"description": "the same bytes were published before: that release"},
        **described(
            400,
            500,
            507,
            said={
                **_AUTH,
                409: "another artifact is published under this version",
                413: "larger than MAX_ARTIFACT_BYTES or KFLEET_BLOB_MAX_BYTES",
                415: "the body is not labelled application/gzip (or octet-stream)",
                422: "not a gzipped tar, or no valid kfleet-release.json at its top (the "
                "message names the problem)",
            },
        ),
    },
)
async def publish_release(
    caller: Upgrader, request: Request, response: Response, rollouts: RolloutsDep
) -> ReleaseOut:
    """Publish an agent release: the manifest is read and checked, the bytes kept as a blob."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in GZIP_TYPES:
        raise NotGzip(
            f"send the release as Content-Type: application/gzip, not {kind or 'nothing'}"
        )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > rollouts.releases.max_bytes:
        raise _too_large(rollouts.releases.max_bytes)
    record = audit.AuditRecord(
        caller.actor, "release.publish", audit.Result.OK, ip=client_ip(request)
    )
    published = await rollouts.releases.publish(request.stream(), record)
    if not published.created:
        response.status_code = status.HTTP_200_OK
    return release_out(published.release)


def _too_large(limit: int) -> CloudError:
    return BlobTooLarge(
        f"the release is larger than the {limit} bytes this cloud accepts: leave test data "
        "and caches out of the release"
    )


@router.get("/agent-releases", response_model=list[ReleaseOut], responses=_READ)
async def list_releases(caller: Upgrader, rollouts: RolloutsDep) -> list[ReleaseOut]:
    """Published releases, newest first."""
    return [release_out(r) for r in await rollouts.releases.list()]


@router.get("/agent-releases/{version}", response_model=ReleaseOut, responses=_ONE_RELEASE)
async def get_release(version: VersionParam, caller: Upgrader, rollouts: RolloutsDep) -> ReleaseOut:
    return release_out(await rollouts.releases.get(version))


@router.post(
    "/rollouts",
    status_code=status.HTTP_201_CREATED,
    response_model=RolloutOut,
    responses=described(
        400,
        413,
        500,
        said={
            **_AUTH,
            404: "no such release, or no such site (or outside your subtree)",
            409: "a rollout is still running or paused on an overlapping subtree, or no "
            "device is in any wave",
            422: "an invalid body, or a wave's site outside the rollout's subtree",
        },
    ),
)
async def start_rollout(
    body: RolloutIn, caller: Upgrader, request: Request, rollouts: RolloutsDep
) -> RolloutOut:
    """Start a staged rollout; the first wave's online devices are ordered at once."""
    check_site(caller, body.site, f"site {body.site!r}")
    spec = RolloutSpec(
        version=body.version,
        site=body.site,
        waves=None if body.waves is None else [_wave(w) for w in body.waves],
        health_window_s=body.health_window_s,
        max_failures=body.max_failures,
        roles=None if body.roles is None else frozenset(r.value for r in body.roles),
    )
    return rollout_out(await rollouts.service.start(spec, _caller(caller, request)))


def _wave(wave: WaveIn) -> WaveSpec:
    return WaveSpec(tuple(wave.sites), wave.max_devices)


@router.get("/rollouts", response_model=list[RolloutOut], responses=_READ)
async def list_rollouts(
    caller: Upgrader,
    request: Request,
    rollouts: RolloutsDep,
    state: RolloutStateName | None = None,
) -> list[RolloutOut]:
    """Rollouts of the caller's subtree, newest first (at most 200)."""
    wanted = None if state is None else RolloutState(state)
    views = await rollouts.service.list(_caller(caller, request), wanted)
    return [rollout_out(v) for v in views]


@router.get("/rollouts/{rollout_id}", response_model=RolloutOut, responses=_ONE)
async def get_rollout(
    rollout_id: RolloutId, caller: Upgrader, request: Request, rollouts: RolloutsDep
) -> RolloutOut:
    return rollout_out(await rollouts.service.get(rollout_id, _caller(caller, request)))


@router.get("/rollouts/{rollout_id}/devices", response_model=list[RolloutDeviceOut], responses=_ONE)
async def rollout_devices(
    rollout_id: RolloutId, caller: Upgrader, request: Request, rollouts: RolloutsDep
) -> list[RolloutDeviceOut]:
    """Every device of the rollout: its wave, state and the version it ran before."""
    rows = await rollouts.service.devices(rollout_id, _caller(caller, request))
    return [device_out(r) for r in rows]


@router.post("/rollouts/{rollout_id}/pause", response_model=RolloutOut, responses=_CHANGE)
async def pause_rollout(
    rollout_id: RolloutId, caller: Upgrader, request: Request, rollouts: RolloutsDep
) -> RolloutOut:
    """No new orders and no next wave; orders already out keep their health window."""
    return rollout_out(await rollouts.service.pause(rollout_id, _caller(caller, request)))


@router.post("/rollouts/{rollout_id}/resume", response_model=RolloutOut, responses=_CHANGE)
async def resume_rollout(
    rollout_id: RolloutId, caller: Upgrader, request: Request, rollouts: RolloutsDep
) -> RolloutOut:
    """Carry on; devices not yet ordered get a fresh health window from now."""
    return rollout_out(await rollouts.service.resume(rollout_id, _caller(caller, request)))


@router.post("/rollouts/{rollout_id}/abort", response_model=RolloutOut, responses=_CHANGE)
async def abort_rollout(
    rollout_id: RolloutId, caller: Upgrader, request: Request, rollouts: RolloutsDep
) -> RolloutOut:
    """Stop for good: no more orders; devices already upgraded stay (nothing is rolled back)."""
    return rollout_out(await rollouts.service.abort(rollout_id, _caller(caller, request)))
