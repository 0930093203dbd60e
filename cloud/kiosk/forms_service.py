"""The e-forms (电子表单) as data (``kiosk.forms``): every saved version of every form, the
version citizens fill now, publishing and rolling back, and the shipped forms
(``SEED_FORMS``) seeded at start.

A saved version never changes (a filled form names the version it was filled against); the
console's save makes the next version, publishing makes a version current, rolling back makes
an earlier one current again. Each change is one transaction with its audit row.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jsonschema_rs
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.db.models import utcnow
from cloud.kiosk.forms_errors import FormDefinitionInvalid, FormNotFound, FormStateRefused
from cloud.kiosk.forms_seed import SEED_FORMS
from cloud.kiosk.forms_tables import FormCurrentRow, FormVersionRow
from protocols.eform import FormDef
from protocols.eform_check import definition_problems

log = logging.getLogger(__name__)
DRAFT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class FormSummary:
    code: str
    title: str
    title_en: str
    #: the version citizens fill now (0: none published)
    current: int
    latest: int
    published_at: datetime | None


@dataclass(frozen=True)
class VersionInfo:
    version: int
    note: str
    author: str
    created_at: datetime
    current: bool


class FormService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        #: set once the shipped forms were seeded at start (or seeding failed and was logged)
        self.seeded = asyncio.Event()

    async def current(self, code: str) -> FormDef | None:
        """The version of ``code`` citizens fill now; None when none is published."""
        async with self._sessions() as s:
            row = await s.scalar(
                select(FormVersionRow)
                .join(FormCurrentRow, FormCurrentRow.code == FormVersionRow.code)
                .where(FormVersionRow.code == code)
                .where(FormVersionRow.version == FormCurrentRow.version)
            )
        return None if row is None else FormDef.model_validate(row.definition)

    async def version(self, code: str, version: int) -> FormDef:
        async with self._sessions() as s:
            row = await s.get(FormVersionRow, (code, version))
        if row is None:
            raise FormNotFound(code, version)
        return FormDef.model_validate(row.definition)

    async def summaries(self, published_only: bool = False) -> list[FormSummary]:
        async with self._sessions() as s:
            latest = dict(
                (
                    await s.execute(
                        select(FormVersionRow.code, func.max(FormVersionRow.version)).group_by(
                            FormVersionRow.code
                        )
                    )
                ).all()
            )
            current = {r.code: r for r in await s.scalars(select(FormCurrentRow))}
            wanted = [(c, current[c].version if c in current else v) for c, v in latest.items()]
            rows = [await s.get(FormVersionRow, key) for key in sorted(wanted)]
        out = []
        for row in rows:
            assert row is not None
            cur = current.get(row.code)
            if published_only and cur is None:
                continue
            out.append(
                FormSummary(
                    row.code,
                    str(row.definition.get("title", "")),
                    str(row.definition.get("title_en", "")),
                    cur.version if cur else 0,
                    latest[row.code],
                    cur.published_at if cur else None,
                )
            )
        return out

    async def versions(self, code: str) -> list[VersionInfo]:
        async with self._sessions() as s:
            rows = list(
                await s.scalars(
                    select(FormVersionRow)
                    .where(FormVersionRow.code == code)
                    .order_by(FormVersionRow.version.desc())
                )
            )
            cur = await s.get(FormCurrentRow, code)
        if not rows:
            raise FormNotFound(code)
        now = cur.version if cur else 0
        return [
            VersionInfo(r.version, r.note, r.author, r.created_at, r.version == now) for r in rows
        ]

    async def save(self, form: FormDef, actor: str, note: str = "") -> FormDef:
        """``form`` saved as the next version of its code (its own ``version`` is ignored);
        refused (422) when :func:`definition_problems` finds anything."""
        async with self._sessions() as s, s.begin():
            last = await s.scalar(
                select(func.max(FormVersionRow.version)).where(FormVersionRow.code == form.code)
            )
            saved = form.model_copy(update={"version": (last or 0) + 1})
            if problems := usable_problems(saved):
                raise FormDefinitionInvalid(problems)
            s.add(_row(saved, actor, note))
            _audit(s, actor, "form.save", saved.code, saved.version)
        return saved

    async def publish(self, code: str, version: int, actor: str) -> None:
        """Make ``version`` the one citizens fill (409 when it already is)."""
        await self._make_current(code, version, actor, "form.publish", rollback=False)

    async def rollback(self, code: str, version: int, actor: str) -> None:
        """Make an earlier ``version`` current again (409 unless older than the current)."""
        await self._make_current(code, version, actor, "form.rollback", rollback=True)

    async def _make_current(
        self, code: str, version: int, actor: str, action: str, *, rollback: bool
    ) -> None:
        async with self._sessions() as s, s.begin():
            row = await s.get(FormVersionRow, (code, version))
            if row is None:
                raise FormNotFound(code, version)
            if problems := usable_problems(FormDef.model_validate(row.definition)):
                raise FormDefinitionInvalid(problems)
            cur = await s.get(FormCurrentRow, code)
            if cur is not None and cur.version == version:
                raise FormStateRefused(f"form {code} version {version} is already current")
            if rollback and (cur is None or version > cur.version):
                now = cur.version if cur else "none"
                raise FormStateRefused(
                    f"form {code}: roll back goes to an older version than the current "
                    f"({now}); publish version {version} instead"
                )
            if cur is None:
                s.add(FormCurrentRow(code=code, version=version, published_by=actor))
            else:
                cur.version, cur.published_at, cur.published_by = version, utcnow(), actor
            _audit(s, actor, action, code, version)

    async def seed(self) -> int:
        """Each shipped form whose code has no version yet, saved and published as shipped;
        how many were seeded (a console's own versions are never overridden)."""
        seeded = 0
        for form in SEED_FORMS:
            async with self._sessions() as s, s.begin():
                if await s.scalar(
                    select(FormVersionRow.code).where(FormVersionRow.code == form.code)
                ):
                    continue
                s.add(_row(form, "system:seed", "shipped with kfleet"))
                s.add(FormCurrentRow(code=form.code, version=form.version, published_by="system"))
                seeded += 1
        return seeded

    async def seed_at_start(self) -> None:
        """The kiosk worker: seed the shipped forms once, then end."""
        try:
            seeded = await self.seed()
        except Exception:  # the app goes on: current_form() falls back to the shipped ones
            log.exception("seeding the shipped e-forms failed")
        else:
            log.info("e-forms: %d shipped form(s) seeded", seeded)
        finally:
            self.seeded.set()


def usable_problems(form: FormDef) -> list[str]:
    """``definition_problems`` and what would make the cloud reach outside or fail later: a
    ``$ref``/``$id`` that is not local to the schema (no fetching), a schema the validator
    cannot compile (a bad regular expression)."""
    outside = sorted(set(_outside_refs(form.json_schema)))
    if outside:
        return [f"form {form.code}: the schema may only refer inside itself ({', '.join(outside)})"]
    if problems := definition_problems(form):
        return problems
    try:
        jsonschema_rs.Draft202012Validator(form.json_schema)
    except Exception as err:  # jsonschema_rs raises ValueError or its own kinds
        return [f"form {form.code}: the schema cannot be used: {err}"]
    return []


def _outside_refs(node: Any) -> list[str]:
    if isinstance(node, list):
        return [r for item in node for r in _outside_refs(item)]
    if not isinstance(node, dict):
        return []
    found = [
        f"{k}={v}"[:80]
        for k, v in node.items()
        if k in ("$ref", "$dynamicRef", "$id", "$schema", "$anchor")
        and not (
            isinstance(v, str) and (v.startswith("#") or v.startswith(DRAFT) or k == "$anchor")
        )
    ]
    return found + [r for v in node.values() for r in _outside_refs(v)]


def _row(form: FormDef, actor: str, note: str) -> FormVersionRow:
    return FormVersionRow(
        code=form.code,
        version=form.version,
        definition=form.model_dump(mode="json"),
        note=note,
        author=actor,
    )


def _audit(s: AsyncSession, actor: str, action: str, code: str, version: int) -> None:
    detail = {"version": version}
    audit.add(s, audit.AuditRecord(actor, action, audit.Result.OK, f"form:{code}", detail=detail))
