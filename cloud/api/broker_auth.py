"""HTTP authentication and authorization hooks for brokers that ask (EMQX 5 and similar).

``POST /api/v1/broker/authn`` answers a CONNECT (EMQX "HTTP Service" authenticator): body
``{username, password, clientid, peerhost}`` → ``{"result": "allow"|"deny", "is_superuser":
false}``. ``POST /api/v1/broker/authz`` answers a PUBLISH or SUBSCRIBE (EMQX "HTTP Server"
authorizer): ``{username, clientid, topic, action, qos, retain}`` → ``{"result": ...}``.

Identities come from the database (:class:`~cloud.broker_acl.db_directory.DbDirectory`:
SHA-256 digests, a 2 s identity cache dropped on revoke) and decisions from
:func:`cloud.broker_acl.decide.may`, so the answers are Mosquitto's. The broker proves itself
with a shared secret header; without ``KFLEET_BROKER_HOOK_SECRET`` set the hooks answer 503.
No superuser is ever granted.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from cloud.api.deps import SettingsDep
from cloud.api.errors import error_responses
from cloud.api.strict_json import StrictJsonRoute
from cloud.broker_acl.db_directory import DbDirectory
from cloud.broker_acl.decide import Action, may
from cloud.broker_acl.directory import CloudLogin
from cloud.broker_acl.hooked import HookedAccess
from cloud.errors import CloudError, Unauthenticated
from cloud.schemas import ErrorBody
from cloud.settings import Settings

HOOK_SECRET_HEADER = "X-Kfleet-Hook-Secret"
AUTHN_PATH = "/api/v1/broker/authn"
AUTHZ_PATH = "/api/v1/broker/authz"

hook_secret_scheme = APIKeyHeader(
    name=HOOK_SECRET_HEADER,
    auto_error=False,
    description="the broker's shared secret (KFLEET_BROKER_HOOK_SECRET)",
)


class HooksOff(CloudError):
    """The hooks are not configured (HTTP 503): the broker must treat it as no answer."""

    status_code = 503
    code = "broker_hooks_off"


def hook_directory(app: FastAPI) -> DbDirectory:
    """The app's one :class:`DbDirectory`: its :class:`HookedAccess`'s (``broker_acl`` http or
    embedded), whose revoke drops the cache entry, else one made on first use."""
    parts = app.state.parts
    access = getattr(parts, "access", None)
    if isinstance(access, HookedAccess):  # broker_acl http/embedded: revoke drops its cache
        return access.directory
    directory: DbDirectory | None = getattr(app.state, "broker_directory", None)
    if directory is None:
        endpoint = parts.settings.mqtt
        cloud = CloudLogin(endpoint.username, endpoint.password)
        directory = DbDirectory(parts.sessions, cloud)
        app.state.broker_directory = directory
    return directory


async def _broker_only(
    settings: SettingsDep, presented: Annotated[str | None, Depends(hook_secret_scheme)]
) -> None:
    expected = settings.broker_hook_secret.get_secret_value()
    if not expected:
        raise HooksOff(
            "the broker hooks are off: set KFLEET_BROKER_HOOK_SECRET on the cloud and the same "
            f"value in the broker's {HOOK_SECRET_HEADER} request header (docs/broker-acl.md)"
        )
    if not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Unauthenticated(
            f"the {HOOK_SECRET_HEADER} header is missing or wrong: configure the broker's HTTP "
            "authenticator and authorizer with the cloud's KFLEET_BROKER_HOOK_SECRET",
            "bad_hook_secret",
        )


router = APIRouter(
    tags=["broker hooks"],
    route_class=StrictJsonRoute,  # no NUL, NaN or lone surrogate gets in
    dependencies=[Depends(_broker_only)],
    responses={
        **error_responses(400, 413, 422, 500),
        401: {"model": ErrorBody, "description": "the hook secret header is missing or wrong"},
        503: {"model": ErrorBody, "description": "the hooks are off (no broker_hook_secret)"},
    },
)


class _Hook(BaseModel):
    # EMQX sends whatever its body template names; more placeholders than the ones we use
    # are accepted (they render as strings) and ignored.
    # Names and values of the extra placeholders are text like any other the API takes: no NUL
    # (the API refuses it everywhere), said in the schema so a client can know.
    model_config = ConfigDict(
        extra="allow", json_schema_extra={"propertyNames": {"pattern": "^[^\\x00]*$"}}
    )
    __pydantic_extra__: dict[str, Annotated[str, Field(max_length=1024, pattern="^[^\\x00]*$")]]

    username: str | None = Field(None, max_length=256)
    clientid: str | None = Field(None, max_length=256)


class AuthnIn(_Hook):
    password: str | None = Field(None, max_length=1024)
    peerhost: str | None = Field(None, max_length=64)


class AuthnOut(BaseModel):
    result: Literal["allow", "deny"]
    is_superuser: bool = False


def _no_bool(value: object) -> object:
    """JSON Schema's integer takes ``2.0`` but not ``true``; pydantic's lax int takes both."""
    if isinstance(value, bool):
        raise ValueError("qos must be 0, 1 or 2, not a boolean")
    return value


class AuthzIn(_Hook):
    topic: str = Field(min_length=1, max_length=65535)
    action: Literal["publish", "subscribe"] = Field(
        description="EMQX's ${action}: publish or subscribe"
    )
    #: accepted as EMQX's templates render them (``1`` or ``"1"``); not part of the decision
    qos: (
        Annotated[int, Field(ge=0, le=2), BeforeValidator(_no_bool)]
        | Annotated[str, Field(pattern="^[012]$")]
        | None
    ) = None
    retain: Annotated[bool, Field(strict=True)] | Literal["true", "false"] | None = None


class AuthzOut(BaseModel):
    result: Literal["allow", "deny"]


async def _directory(request: Request) -> DbDirectory:
    return hook_directory(request.app)


DirectoryDep = Annotated[DbDirectory, Depends(_directory)]


@router.post(AUTHN_PATH, response_model=AuthnOut)
async def authn(body: AuthnIn, directory: DirectoryDep) -> AuthnOut:
    """Allow a CONNECT whose username and password are a live device's (or the cloud's);
    deny everything else, anonymous included."""
    identity = await directory.authenticate(body.username or None, body.password or None)
    return AuthnOut(result="allow" if identity is not None else "deny")


@router.post(AUTHZ_PATH, response_model=AuthzOut)
async def authz(body: AuthzIn, directory: DirectoryDep, settings: SettingsDep) -> AuthzOut:
    """Allow a publish or subscribe exactly when kfleet's ACL table does for the current
    identity of ``username`` (a revoked device: nothing)."""
    identity = await directory.identity(body.username) if body.username else None
    action = Action.PUBLISH if body.action == "publish" else Action.SUBSCRIBE
    ok = identity is not None and may(identity, action, body.topic, _group(settings))
    return AuthzOut(result="allow" if ok else "deny")


def _group(settings: Settings) -> str | None:
    return settings.mqtt_shared_group or None
