"""``/api/v1/tokens``: API tokens for integrations.

Any signed-in person lists, creates and revokes their own; with ``users.manage`` one also
lists (``?all=true``) and revokes others' inside one's scope. A token's role and scope are
never wider than its creator's; its secret is shown once, when it is created.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from cloud.api.deps import SessionsDep
from cloud.api.errors import error_responses
from cloud.api.people_deps import PersonCaller, console_only
from cloud.api.people_schemas import TokenCreate, TokenCreated, TokenOut, said
from cloud.api.strict_json import StrictJsonRoute
from cloud.errors import Forbidden
from cloud.people import tokens as svc
from cloud.people.acting import Acting
from fleet.access import Permission

router = APIRouter(
    prefix="/api/v1/tokens",
    tags=["tokens"],
    responses={
        **error_responses(400, 413, 422, 500),
        **said(
            {
                401: "no or bad credentials",
                403: "beyond your role or scope, or users.manage needed",
            }
        ),
    },
    route_class=StrictJsonRoute,
)


@router.get("", response_model=list[TokenOut])
async def list_tokens(
    caller: PersonCaller,
    sessions: SessionsDep,
    everyone: Annotated[
        bool, Query(alias="all", description="every token in your scope (users.manage)")
    ] = False,
) -> list[TokenOut]:
    """Your API tokens (never their secrets), newest first."""
    if everyone and not caller.can(Permission.USERS_MANAGE):
        raise Forbidden(
            f"listing everyone's tokens needs users.manage, which your role {caller.role} "
            "does not include; leave out all=true to list your own",
            "permission_denied",
        )
    async with sessions() as s:
        rows = await svc.list_tokens(s, Acting.of(caller), everyone)
        return [TokenOut.of(r.token, r.owner) for r in rows]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
async def create_token(
    body: TokenCreate, caller: PersonCaller, sessions: SessionsDep
) -> TokenCreated:
    """A new token with your role and scope or narrower; copy ``secret`` now, it is shown
    only this once."""
    console_only(caller, "creating an API token")
    acting = Acting.of(caller)
    new = svc.NewToken(body.name, body.role, body.scope, body.expires_in_days)
    async with sessions() as s:
        row, secret = await svc.create(s, acting, new)
        await s.commit()
        return TokenCreated(token=TokenOut.of(row, caller.name), secret=secret)


@router.delete(
    "/{token_id}",
    response_model=TokenOut,
    responses=error_responses(404, 409, described={409: "revoked already"}),
)
async def revoke_token(
    token_id: Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="the token's id")],
    caller: PersonCaller,
    sessions: SessionsDep,
) -> TokenOut:
    """Revoke a token: it stops working at once (the row stays, for the record)."""
    async with sessions() as s:
        row = await svc.revoke(s, Acting.of(caller), token_id, caller.can(Permission.USERS_MANAGE))
        await s.commit()
        return TokenOut.of(row.token, row.owner)
