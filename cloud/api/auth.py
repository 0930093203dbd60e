"""``/api/v1/auth``: console login (public), logout, and changing one's own password.

A login sets two cookies: ``kfleet_session`` (``{id}.{secret}``, HttpOnly, SameSite=Strict)
and ``kfleet_csrf`` (readable by the console's scripts, echoed in ``X-CSRF-Token``).
Lock-out is per account; nothing else is rate-limited here.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from cloud.api.auth_deps import client_ip
from cloud.api.deps import SessionsDep, SettingsDep
from cloud.api.errors import error_responses
from cloud.api.people_deps import PersonCaller, console_only
from cloud.api.people_schemas import LockedBody, LoginBody, LoginOut, PasswordChange, said
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.resolve import SESSION_COOKIE
from cloud.db.models import utcnow
from cloud.people import login as logins
from cloud.people.acting import Acting
from cloud.people.errors import AccountLocked
from cloud.people.policy import login_policy, passwords
from fleet.access import ROLE_PERMISSIONS, PersonRole

CSRF_COOKIE = "kfleet_csrf"

router = APIRouter(
    prefix="/api/v1/auth",
    tags=["auth"],
    responses=error_responses(400, 413, 422, 500),
    route_class=StrictJsonRoute,
)


@router.post(
    "/login",
    response_model=LoginOut,
    responses={
        **said(
            {
                401: "bad_login: the username or password is wrong (never says which); "
                "user_disabled: the account is disabled",
            }
        ),
        423: {"model": LockedBody, "description": "account_locked: locked until `until`"},
    },
)
async def login(
    body: LoginBody,
    request: Request,
    response: Response,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> LoginOut | JSONResponse:
    """Log in with username and password: sets the session and CSRF cookies."""
    ip = client_ip(request)
    try:
        done = await logins.login(
            sessions,
            passwords(settings),
            login_policy(settings),
            body.username,
            body.password,
            ip,
            utcnow(),
        )
    except AccountLocked as exc:
        locked = LockedBody(message=str(exc), until=exc.until)
        return JSONResponse(locked.model_dump(mode="json", exclude_none=True), status_code=423)
    secure = request.url.scheme == "https"
    for name, value, http_only in (
        (SESSION_COOKIE, done.cookie, True),
        (CSRF_COOKIE, done.csrf, False),
    ):
        response.set_cookie(
            name, value, path="/", httponly=http_only, samesite="strict", secure=secure
        )
    user = done.user
    role = PersonRole(user.role)
    return LoginOut(
        username=user.username,
        display_name=user.display_name,
        role=role,
        scope=user.scope,
        permissions=sorted(p.value for p in ROLE_PERMISSIONS[role]),
        csrf=done.csrf,
        must_change_password=user.must_change_password,
        expires_at=done.expires_at,
        absolute_expires_at=done.absolute_expires_at,
    )


def _clear(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="strict")


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=said({401: "not logged in", 403: "not a console session"}),
)
async def logout(caller: PersonCaller, sessions: SessionsDep) -> Response:
    """End this console session; its cookie stops working at once."""
    console_only(caller, "logging out")
    assert caller.session_id is not None
    async with sessions() as s:
        await logins.logout(s, Acting.of(caller), caller.session_id)
        await s.commit()
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _clear(response)
    return response


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=said(
        {
            401: "not logged in",
            403: "wrong_password: the current password is wrong; or not a console session",
            422: "weak_password: the new password breaks the policy",
        }
    ),
)
async def change_password(
    body: PasswordChange, caller: PersonCaller, sessions: SessionsDep, settings: SettingsDep
) -> Response:
    """Change your own password (the current one is needed); your other sessions end."""
    console_only(caller, "changing your password")
    assert caller.session_id is not None
    await logins.change_own_password(
        sessions,
        passwords(settings),
        Acting.of(caller),
        caller.session_id,
        body.old_password,
        body.new_password,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
