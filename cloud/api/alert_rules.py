"""``/api/v1/alert-rules``: the rules the evaluator judges, edited without a restart (the next
round reads them; an edit also wakes the evaluator).

A rule watches a site subtree ("" = every site). Everyone with ``devices.read`` sees the rules
that reach into their scope; ``alerts.write`` changes a rule whose site lies inside the
caller's scope (a rule over every site: only a caller whose scope is a whole tree). Every
change is in the audit log with the rule before and after.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cloud import audit
from cloud.alerts.tables import AlertRule
from cloud.api.alert_schemas import RuleIn, RuleList, RuleOut
from cloud.api.auth_deps import client_ip, require, scope_of
from cloud.api.callers import DevicesReader
from cloud.api.deps import SessionsDep
from cloud.api.errors import error_responses
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.db.models import utcnow
from cloud.errors import Conflict, Forbidden, NotFound, Unprocessable
from fleet.access import Permission, in_scope
from fleet.alert_rules import RuleError, params_json, parse_params

router = APIRouter(
    prefix="/api/v1/alert-rules",
    tags=["alerts"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,  # no NaN, lone surrogates or NUL in a rule's text
)
AlertsWriter = Annotated[Principal, Depends(require(Permission.ALERTS_WRITE))]
#: digits (every path id of the API has a pattern), below 2**31
#: any text: a rule id that is not a number names no rule (404), as an unknown number does —
#: links from a silence whose ``rule_id`` is null reach here as "None" (the fuzzer follows them)
_RULE_NUMBER = re.compile(r"^[1-9][0-9]{0,8}$")
RuleId = Annotated[str, Path(max_length=40)]
_NOT_FOUND = "no such rule (or outside your scope)"


class RuleInvalid(Unprocessable):
    """A rule's params cannot work; ``errors`` names the field, as validation does."""

    def __init__(self, field: str, message: str) -> None:
        self.errors: list[dict[str, Any]] = [
            {"loc": ("body", *field.split(".")), "msg": message, "type": "value_error"}
        ]
        super().__init__(f"the rule is invalid at {field}: {message}")


class UnknownChannel(Conflict):
    code = "unknown_channel"


def visible(scope: str, rule_site: str) -> bool:
    """A rule reaches into the scope: it watches every site, an ancestor, or a part of it."""
    return not rule_site or in_scope(rule_site, scope) or in_scope(scope, rule_site)


def editable(scope: str, rule_site: str) -> bool:
    return in_scope(scope, rule_site) if rule_site else "/" not in scope


def _out(r: AlertRule, scope: str) -> RuleOut:
    return RuleOut(
        id=r.id,
        name=r.name,
        kind=r.kind,
        params=r.params,
        severity=r.severity,
        for_s=r.for_s,
        repeat_s=r.repeat_s,
        site=r.site,
        role=r.role,
        device_id=r.device_id,
        channels=[str(c) for c in r.channels],
        enabled=r.enabled,
        updated_at=r.updated_at,
        updated_by=r.updated_by,
        editable=editable(scope, r.site),
    )


def _checked(body: RuleIn, scope: str, channels: list[str]) -> dict[str, Any]:
    """The rule's columns; a precise 422 for bad params, 403 for a site outside the scope."""
    try:
        params = params_json(parse_params(body.kind, body.params))
    except RuleError as err:
        raise RuleInvalid(err.field, err.message) from None
    unknown = [c for c in body.channels if c not in channels]
    if unknown:  # well-formed, but not configured (now): a clash with the service's state
        raise UnknownChannel(
            f"unknown channel {unknown[0]!r}: the message service has {channels}; configure "
            "the channel there first, or choose one of these"
        )
    if not editable(scope, body.site):
        raise Forbidden(
            f"your scope {scope!r} does not hold site {body.site or '(every site)'!r}: a rule "
            "may only watch sites inside your scope",
            "outside_scope",
        )
    return {**body.model_dump(), "params": params}


async def _require(s: AsyncSession, rule_id: str, scope: str, write: bool) -> AlertRule:
    rule = await s.get(AlertRule, int(rule_id)) if _RULE_NUMBER.match(rule_id) else None
    if rule is None or not visible(scope, rule.site):
        raise NotFound(f"alert rule {rule_id} does not exist (or is outside your scope)")
    if write and not editable(scope, rule.site):
        raise Forbidden(
            f"alert rule {rule_id} watches {rule.site or 'every site'}, beyond your scope "
            f"{scope!r}; ask someone whose scope holds it",
            "outside_scope",
        )
    return rule


def _record(
    caller: Principal, request: Request, action: str, rule: AlertRule, before: dict[str, Any] | None
) -> audit.AuditRecord:
    after = _out(rule, scope_of(caller)).model_dump(mode="json", exclude={"editable"})
    return audit.AuditRecord(
        caller.actor,
        action,
        audit.Result.OK,
        f"alert_rule:{rule.id}",
        rule.site,
        client_ip(request),
        rule.name,
        {"before": before, "after": after},
    )


async def _commit(s: AsyncSession, name: str) -> None:
    try:
        await s.commit()
    except IntegrityError:
        await s.rollback()
        raise Conflict(
            f"an alert rule named {name!r} exists already; choose another name"
        ) from None


@router.get("", response_model=RuleList, summary="Alert rules that reach into your scope")
async def list_rules(caller: DevicesReader, sessions: SessionsDep, request: Request) -> RuleList:
    scope = scope_of(caller)
    async with sessions() as s:
        rows = (await s.scalars(select(AlertRule).order_by(AlertRule.id))).all()
    return RuleList(
        items=[_out(r, scope) for r in rows if visible(scope, r.site)],
        channels=request.app.state.parts.notifier.channel_names(),
    )


@router.get(
    "/{rule_id}", response_model=RuleOut, responses=error_responses(described={404: _NOT_FOUND})
)
async def get_rule(caller: DevicesReader, sessions: SessionsDep, rule_id: RuleId) -> RuleOut:
    async with sessions() as s:
        return _out(await _require(s, rule_id, scope_of(caller), False), scope_of(caller))


@router.post(
    "",
    response_model=RuleOut,
    status_code=201,
    responses=error_responses(
        400,
        413,
        described={409: "the name is taken, or a channel is not one of the message service's"},
    ),
)
async def create_rule(
    caller: AlertsWriter, sessions: SessionsDep, request: Request, response: Response, body: RuleIn
) -> RuleOut:
    """A new rule; the evaluator judges it from its next round (woken at once)."""
    parts = request.app.state.parts
    cols = _checked(body, scope_of(caller), parts.notifier.channel_names())
    now = utcnow()
    async with sessions() as s:
        rule = AlertRule(**cols, created_at=now, updated_at=now, updated_by=caller.actor)
        s.add(rule)
        try:
            await s.flush()
        except IntegrityError:
            raise Conflict(
                f"an alert rule named {body.name!r} exists already; choose another name"
            ) from None
        audit.add(s, _record(caller, request, "alert_rule.create", rule, None))
        await _commit(s, body.name)
    parts.alerts.wake()
    response.headers["Location"] = f"/api/v1/alert-rules/{rule.id}"
    return _out(rule, scope_of(caller))


@router.put(
    "/{rule_id}",
    response_model=RuleOut,
    responses=error_responses(
        400,
        413,
        described={
            404: _NOT_FOUND,
            409: "the name is taken, or a channel is not one of the message service's",
        },
    ),
)
async def update_rule(
    caller: AlertsWriter, sessions: SessionsDep, request: Request, rule_id: RuleId, body: RuleIn
) -> RuleOut:
    """Replace a rule (disable it with ``enabled: false``); applies on the next round."""
    parts = request.app.state.parts
    scope = scope_of(caller)
    cols = _checked(body, scope, parts.notifier.channel_names())
    async with sessions() as s:
        rule = await _require(s, rule_id, scope, True)
        before = _out(rule, scope).model_dump(mode="json", exclude={"editable"})
        for key, value in cols.items():
            setattr(rule, key, value)
        rule.updated_at, rule.updated_by = utcnow(), caller.actor
        audit.add(s, _record(caller, request, "alert_rule.update", rule, before))
        await _commit(s, body.name)
    parts.alerts.wake()
    return _out(rule, scope)


@router.delete(
    "/{rule_id}", status_code=204, responses=error_responses(described={404: _NOT_FOUND})
)
async def delete_rule(
    caller: AlertsWriter, sessions: SessionsDep, request: Request, rule_id: RuleId
) -> Response:
    """Delete a rule with its alerts and their history (disable it to keep them)."""
    scope = scope_of(caller)
    async with sessions() as s:
        rule = await _require(s, rule_id, scope, True)
        record = _record(caller, request, "alert_rule.delete", rule, None)
        await s.delete(rule)
        audit.add(s, record)
        await s.commit()
    request.app.state.parts.alerts.wake()
    return Response(status_code=204)
