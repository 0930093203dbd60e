"""Credentials: none, malformed, unknown, expired, revoked, a disabled owner, a device on an
operator route, a console session without its CSRF header — each refused with its own code
and a sentence saying what to do; and ``GET /api/v1/auth/me`` for each kind of caller."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from cloud.db.identity import ApiToken, User
from cloud.db.models import utcnow
from fleet.access import ROLE_PERMISSIONS, PersonRole
from tests.access.kit import HHL, AccessCloud, device_with_secret
from tests.identity_kit import bearer, make_api_token, make_console_login


def refusal(r: httpx.Response, status: int, code: str) -> str:
    """The refusal's message, after checking its status and code."""
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code, body
    assert body["status"] == status
    return str(body["message"])


async def test_no_credentials_is_401_saying_how_to_send_them(cloud: AccessCloud) -> None:
    anon = await cloud.client()
    message = refusal(await anon.get("/api/v1/devices"), 401, "no_credentials")
    assert "Authorization: Bearer" in message and "log in" in message
    refusal(await anon.post("/api/v1/jobs", json={}), 401, "no_credentials")


async def test_bad_tokens_each_have_their_code(cloud: AccessCloud) -> None:
    s = cloud.parts.sessions
    malformed = await cloud.client(bearer("not-a-token"))
    assert "kfa_" in refusal(await malformed.get("/api/v1/sites"), 401, "bad_token")
    unknown = await cloud.client(bearer("kfa_0123456789abcdef_" + "A" * 43))
    assert "unknown" in refusal(await unknown.get("/api/v1/sites"), 401, "bad_token")
    wrong_scheme = await cloud.client({"Authorization": "Token abc"})
    refusal(await wrong_scheme.get("/api/v1/sites"), 401, "bad_scheme")

    expired = await make_api_token(s, PersonRole.OPERATOR, name="expired")
    revoked = await make_api_token(s, PersonRole.OPERATOR, name="revoked")
    disabled = await make_api_token(s, PersonRole.OPERATOR, name="owner-disabled")
    async with s() as db:
        past = utcnow() - timedelta(minutes=1)
        await db.execute(update(ApiToken).where(ApiToken.name == "expired").values(expires_at=past))
        await db.execute(update(ApiToken).where(ApiToken.name == "revoked").values(revoked_at=past))
        await db.execute(
            update(User).where(User.username == "owner-disabled").values(disabled=True)
        )
        await db.commit()
    for token, code, words in (
        (expired, "token_expired", "expired"),
        (revoked, "token_revoked", "revoked"),
        (disabled, "user_disabled", "disabled"),
    ):
        c = await cloud.client(bearer(token))
        assert words in refusal(await c.get("/api/v1/devices"), 401, code)
    failed = await cloud.audit_rows("auth.failed")
    assert len(failed) >= 6 and all(r.result == "denied" for r in failed)
    assert any(r.target == "GET /api/v1/devices" for r in failed)


async def test_a_device_credential_on_an_operator_route_is_403(cloud: AccessCloud) -> None:
    device = await cloud.client(await device_with_secret(cloud.parts, "cred-kiosk"))
    message = refusal(await device.get("/api/v1/devices"), 403, "permission_denied")
    assert "device-facing" in message
    rows = await cloud.audit_rows("permission.denied", "device:cred-kiosk")
    assert [r.result for r in rows] == ["denied"]


async def test_a_console_session_must_echo_its_csrf_token(cloud: AccessCloud) -> None:
    login = await make_console_login(cloud.parts.sessions, "csrf-alice", PersonRole.OPERATOR)
    browser = await cloud.client({"Cookie": f"kfleet_session={login.cookie}"})
    assert (await browser.get("/api/v1/sites")).status_code == 200  # reads need no CSRF
    body = {"parent": "qh/hx/golmud", "code": "csrf", "name": "某村", "level": "village"}
    refusal(await browser.post("/api/v1/sites", json=body), 401, "csrf_missing")
    r = await browser.post(
        "/api/v1/jobs/" + "0" * 32 + "/cancel", headers={"X-CSRF-Token": login.csrf}
    )
    assert r.status_code == 404  # past authentication: the job does not exist


async def test_me_for_a_token_a_person_and_a_device(cloud: AccessCloud) -> None:
    op = await cloud.as_role(PersonRole.OPERATOR, "qh/hx/golmud", name="me-op")
    me = (await op.get("/api/v1/auth/me")).json()
    assert me["kind"] == "token" and me["username"] == "me-op" and me["role"] == "operator"
    assert me["scope"] == "qh/hx/golmud"
    assert me["permissions"] == sorted(p.value for p in ROLE_PERMISSIONS[PersonRole.OPERATOR])

    login = await make_console_login(cloud.parts.sessions, "me-bob", PersonRole.AUDITOR, HHL)
    person = await cloud.client({"Cookie": f"kfleet_session={login.cookie}"})
    me = (await person.get("/api/v1/auth/me")).json()
    assert (me["kind"], me["username"], me["display_name"]) == ("user", "me-bob", "me-bob")
    assert "audit.read" in me["permissions"] and "jobs.write" not in me["permissions"]

    device = await cloud.client(await device_with_secret(cloud.parts, "me-kiosk"))
    me = (await device.get("/api/v1/auth/me")).json()
    assert me["kind"] == "device" and me["device_id"] == "me-kiosk" and me["site"] == HHL
    assert me["permissions"] == [] and me["role"] is None

    anon = await cloud.client()
    refusal(await anon.get("/api/v1/auth/me"), 401, "no_credentials")


async def test_device_credentials_revoked_retired_and_wrong_each_say_so(
    cloud: AccessCloud,
) -> None:
    """A revoked device that still holds its secret is told it was revoked (so `kfleet
    provision status` can say so), a wrong secret and a rotated-out one are not enrolled."""
    from cloud.db.identity import DeviceCredential
    from cloud.db.models import Device

    good = await device_with_secret(cloud.parts, "k-revoked")
    assert (await (await cloud.client(good)).get("/api/v1/auth/me")).status_code == 200
    retired = await device_with_secret(cloud.parts, "k-rotated")
    async with cloud.parts.sessions() as db:
        past = utcnow() - timedelta(seconds=1)
        await db.execute(
            update(Device)
            .where(Device.id == "k-revoked")
            .values(revoked_at=past, revoked_reason="stolen from the hall")
        )
        await db.execute(
            update(DeviceCredential)
            .where(DeviceCredential.device_id == "k-revoked")
            .values(revoked_at=past)
        )
        await db.execute(
            update(DeviceCredential)
            .where(DeviceCredential.device_id == "k-rotated")
            .values(retired_at=past)
        )
        await db.commit()
    message = refusal(
        await (await cloud.client(good)).get("/api/v1/auth/me"), 401, "device_revoked"
    )
    assert "stolen from the hall" in message and "new token" in message
    refusal(
        await (await cloud.client(retired)).get("/api/v1/auth/me"), 401, "bad_device_credentials"
    )
    wrong = {"Authorization": good["Authorization"][:-4] + "AAA="}
    refusal(await (await cloud.client(wrong)).get("/api/v1/auth/me"), 401, "bad_device_credentials")
