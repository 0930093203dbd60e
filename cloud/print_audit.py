"""The print/copy audit (统一扎口): every print or copy job that ends ``succeeded`` becomes one
:class:`~cloud.print_audit_tables.PrintAuditRow` — time, device, site, kind (its purpose),
pages and the sha256 of what was printed — whoever made the job (a kiosk service, an
operator, the API).

The recorder follows ``job_events`` by id (a primary-key range, cheap every few seconds)
instead of hooking every path that can end a job: the ack applier, an operator resolving an
uncertain job. It re-reads a slack of events behind its cursor, because ids are handed out
before their transactions commit; the unique ``job_id`` makes a second look harmless.

The content stays in the blob store only ``print_audit_content_days``; :meth:`PrintAudit.prune`
then forgets it on the rows and deletes each blob no kept row and no unfinished job still
names. The sha256 stays for ever.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.blobs import SHA256_PATTERN, BlobStore
from cloud.db.models import Job, JobEvent, Site, utcnow
from cloud.print_audit_daily import count_in
from cloud.print_audit_tables import PrintAuditRow
from protocols.jobs import PRINT_KINDS, TERMINAL_STATES, JobKind, JobState

log = logging.getLogger(__name__)

#: events re-read behind the cursor: ids of transactions that committed late
SLACK_EVENTS = 2000
#: jobs recorded per round at most (a backfill after a long stop goes on over rounds)
BATCH = 500
#: at start, how far back (in events) the recorder looks for jobs it missed while stopped
BACKFILL_EVENTS = 200_000
#: the halls' zone unless the settings name another (print_audit_timezone)
HALLS_ZONE = ZoneInfo("Asia/Shanghai")
#: how often the content retention runs (seconds)
PRUNE_EVERY_S = 3600.0
_SHA_RE = re.compile(SHA256_PATTERN)
_PAGE_RE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_ACTIVE = tuple(s.value for s in JobState if s not in TERMINAL_STATES)


def canonical_receipt(params: Mapping[str, Any]) -> bytes:
    """A receipt's content as the audit hashes it: its params without the cloud-filled upload
    grant, as sorted, compact UTF-8 JSON (the same lines always give the same hash)."""
    content = {k: v for k, v in params.items() if k != "uploads"}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF by its page objects (enough for the PDFs kiosks print; 1 at least)."""
    return max(1, len(_PAGE_RE.findall(pdf)))


@dataclass(frozen=True, slots=True)
class Content:
    """What a job printed, as the audit keeps it."""

    sha256: str
    pages: int
    #: the blob holding it, if the cloud has it
    blob: str | None
    content_type: str


def _int(value: object, default: int) -> int:
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default
    )


def _sha(value: object) -> str | None:
    return value if isinstance(value, str) and _SHA_RE.fullmatch(value) else None


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


class PrintAudit:
    """Records succeeded print/copy jobs and keeps their content as long as allowed."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        blobs: BlobStore,
        content_days: int,
        every_s: float = 2.0,
        tz: ZoneInfo = HALLS_ZONE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._blobs = blobs
        self.content_days = content_days
        #: the reports' days (the rollup counts each job on its day in this zone)
        self.tz = tz
        self._every_s = every_s
        self._clock = clock
        self._cursor: int | None = None

    def has(self, sha256: str) -> bool:
        return self._blobs.exists(sha256)

    def path_of(self, sha256: str) -> Path:
        return self._blobs.path_of(sha256)

    async def run(self) -> None:
        """Record every ``every_s``; prune every :data:`PRUNE_EVERY_S`; never dies of a
        database hiccup (logged, tried again next round)."""
        last_prune: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            try:
                await self.record_pending()
                if last_prune is None or loop.time() - last_prune >= PRUNE_EVERY_S:
                    await self.prune()
                    last_prune = loop.time()
            except Exception:
                log.exception("print audit: this round failed; trying again")
            await asyncio.sleep(self._every_s)

    async def record_pending(self) -> int:
        """Record the print/copy jobs that succeeded since the last round; how many."""
        async with self._sessions() as s:
            top = await s.scalar(select(func.max(JobEvent.id))) or 0
            since = (top - BACKFILL_EVENTS) if self._cursor is None else self._cursor
            since = max(0, since - SLACK_EVENTS)
            rows = (await s.execute(_pending(since, top).limit(BATCH))).all()
        audits = [await self._audit_of(row) for row in rows]
        recorded = await self._store_all(audits) if len(audits) > 1 else 0
        if not recorded:  # one, or a group another process got to first: one by one
            for audit in audits:
                recorded += await self._store(audit)
        if len(rows) < BATCH:  # all caught up to ``top``; else the next round goes on
            self._cursor = top
        return recorded

    async def _audit_of(self, row: Any) -> dict[str, Any]:
        content = await self._content(JobKind(row.kind), row.params or {}, row.result or {})
        return {
            "job_id": row.id,
            "at": row.at,
            "device_id": row.device_id or "",
            "site": row.path,
            "purpose": row.purpose or "other",
            "job_kind": row.kind,
            "pages": content.pages,
            "sha256": content.sha256,
            "content_sha256": content.blob,
            "content_type": content.content_type,
        }

    async def _store_all(self, audits: list[dict[str, Any]]) -> int:
        """A round's rows in one transaction (issue 17: a transaction per job was most of this
        recorder's cost); 0 if any was recorded already (the caller goes one by one)."""
        rows = [PrintAuditRow(**a) for a in audits]
        async with self._sessions() as s:
            s.add_all(rows)
            try:
                await s.flush()
                await count_in(s, rows, self.tz)
                await s.commit()
            except IntegrityError:
                return 0
        for a in audits:
            log.info("print audit: job %s (%s, %d pages) recorded", *_named(a))
        return len(rows)

    async def _store(self, audit: dict[str, Any]) -> int:
        row = PrintAuditRow(**audit)
        async with self._sessions() as s:
            s.add(row)
            try:
                await s.flush()
                await count_in(s, [row], self.tz)
                await s.commit()
            except IntegrityError:  # another cloud process recorded it first: nothing counted
                return 0
        log.info("print audit: job %s (%s, %d pages) recorded", *_named(audit))
        return 1

    async def _content(
        self, kind: JobKind, params: Mapping[str, Any], result: Mapping[str, Any]
    ) -> Content:
        copies = _int(params.get("copies"), 1)
        if kind is JobKind.PRINT_RECEIPT:
            data = canonical_receipt(params)
            sha = hashlib.sha256(data).hexdigest()
            await self._blobs.put(sha, _once(data))
            return Content(sha, copies, sha, "application/json")
        if kind is JobKind.PRINT_DOCUMENT:
            sha = _sha(params.get("document")) or ""
            kept = sha if sha and self._blobs.exists(sha) else None
            pages = _int(result.get("impressions"), 0)
            if not pages:
                pages = copies * (await self._pages_of(kept) if kept else 1)
            return Content(sha, pages, kept, "application/pdf")
        page = result.get("page")
        page = page if isinstance(page, dict) else {}
        sha = _sha(page.get("sha256")) or _sha(result.get("document_sha256")) or ""
        kept = sha if sha and self._blobs.exists(sha) else None
        return Content(sha, _int(result.get("impressions"), copies), kept, "application/pdf")

    async def _pages_of(self, sha: str) -> int:
        path = self._blobs.path_of(sha)
        return await asyncio.to_thread(lambda: pdf_pages(path.read_bytes()))

    async def prune(self) -> int:
        """Forget the content of rows older than ``content_days`` and delete each such blob
        nothing still needs; how many blobs were deleted."""
        cutoff = self._clock() - timedelta(days=self.content_days)
        old = PrintAuditRow.content_sha256
        async with self._sessions() as s:
            expired = {
                sha
                for sha in await s.scalars(
                    select(old).where(old.is_not(None), PrintAuditRow.at < cutoff)
                )
                if sha is not None
            }
            if not expired:
                return 0
            await s.execute(
                update(PrintAuditRow)
                .where(old.in_(expired), PrintAuditRow.at < cutoff)
                .values(content_sha256=None)
            )
            still_kept = {x for x in await s.scalars(select(old).where(old.in_(expired))) if x}
            await s.commit()
            in_use = await _named_by_active_jobs(s)
        deleted = 0
        for sha in expired - still_kept - in_use:
            try:
                self._blobs.path_of(sha).unlink(missing_ok=True)
                deleted += 1
            except OSError as err:  # logged; the row already says the content is gone
                log.warning("print audit: blob %s could not be deleted: %s", sha, err)
        log.info("print audit: content of %d jobs past retention deleted", deleted)
        return deleted


def _named(audit: Mapping[str, Any]) -> tuple[str, str, int]:
    return audit["job_id"], audit["job_kind"], audit["pages"]


def _pending(since: int, top: int) -> Any:
    """The print/copy jobs that succeeded in events ``(since, top]`` and have no row yet."""
    succeeded = (
        select(JobEvent.job_id, func.max(JobEvent.at).label("at"))
        .where(
            JobEvent.id > since,
            JobEvent.id <= top,
            JobEvent.to_state == JobState.SUCCEEDED.value,
        )
        .group_by(JobEvent.job_id)
        .subquery()
    )
    return (
        select(
            Job.id,
            Job.kind,
            Job.purpose,
            Job.params,
            Job.result,
            Job.assigned_device_id.label("device_id"),
            Site.path,
            succeeded.c.at,
        )
        .join(succeeded, succeeded.c.job_id == Job.id)
        .join(Site, Site.id == Job.site_id)
        .outerjoin(PrintAuditRow, PrintAuditRow.job_id == Job.id)
        .where(
            PrintAuditRow.id.is_(None),
            Job.state == JobState.SUCCEEDED.value,
            Job.kind.in_([k.value for k in PRINT_KINDS]),
        )
        .order_by(succeeded.c.at)
    )


async def _named_by_active_jobs(s: AsyncSession) -> set[str]:
    """The documents unfinished print jobs will still fetch (never deleted under them)."""
    params = await s.scalars(
        select(Job.params).where(Job.kind == JobKind.PRINT_DOCUMENT.value, Job.state.in_(_ACTIVE))
    )
    return {str(p.get("document")) for p in params if isinstance(p, dict)}
