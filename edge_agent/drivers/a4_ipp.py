"""A4 printing over IPP / IPP Everywhere (pyipp): Print-Job with a PDF, then the job followed
with Get-Job-Attributes until the printer says completed, canceled or aborted.

What may have reached paper decides how a failure is reported:

- the printer refused the job (busy, stopped, out of paper, bad document) or could not be
  reached at all → nothing printed, ``side_effect_possible=False`` (the cloud may retry);
- the Print-Job request left and the connection broke before the answer, the printer lost
  contact for ``lost_contact_s``, canceled/aborted the job, or the job outlived
  ``job_timeout_s`` while printing → it may have printed: ``uncertain``, an operator decides.

A job still only pending when its time runs out is canceled on the printer and reported
failed, since nothing of it was printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp
from pyipp import IPP
from pyipp.enums import IppJobState, IppOperation, IppPrinterState, IppStatus
from pyipp.exceptions import IPPConnectionError, IPPError, IPPParseError

from edge_agent.drivers.a4_base import A4Document, A4PrinterBase, A4Report, OnStart
from edge_agent.drivers.a4_config import IppPrinterConfig
from edge_agent.drivers.base import DriverSpec
from edge_agent.drivers.ipp_client import Client, HttpError, describe, status_of
from edge_agent.errors import PrinterError
from protocols.jobs import FailureReason
from protocols.messages import Health

log = logging.getLogger(__name__)

PRINTER_ATTRS = [
    "printer-state",
    "printer-state-reasons",
    "printer-is-accepting-jobs",
    "printer-make-and-model",
]
JOB_ATTRS = ["job-state", "job-state-reasons", "job-impressions-completed"]

#: printer-state-reasons (suffix stripped) that stop printing, and what we call them
BLOCKING_REASONS: dict[str, tuple[FailureReason, str]] = {
    "media-empty": (FailureReason.PAPER_OUT, "paper_out"),
    "media-needed": (FailureReason.PAPER_OUT, "paper_out"),
    "input-tray-missing": (FailureReason.PAPER_OUT, "tray_missing"),
    "media-jam": (FailureReason.PRINTER_ERROR, "media_jam"),
    "door-open": (FailureReason.COVER_OPEN, "cover_open"),
    "cover-open": (FailureReason.COVER_OPEN, "cover_open"),
    "toner-empty": (FailureReason.PRINTER_ERROR, "toner_empty"),
    "marker-supply-empty": (FailureReason.PRINTER_ERROR, "toner_empty"),
    "offline": (FailureReason.PRINTER_UNREACHABLE, "offline"),
    "shutdown": (FailureReason.PRINTER_UNREACHABLE, "shutdown"),
}
#: reasons that still print but want attention soon, the one reported first
DEGRADING_REASONS = {
    "media-low": "paper_low",
    "toner-low": "toner_low",
    "marker-supply-low": "toner_low",
}
#: IPP status codes meaning "not now" rather than "not this document"
BUSY_STATUSES = frozenset(
    {
        IppStatus.ERROR_BUSY,
        IppStatus.ERROR_NOT_ACCEPTING_JOBS,
        IppStatus.ERROR_SERVICE_UNAVAILABLE,
        IppStatus.ERROR_TEMPORARY,
        IppStatus.ERROR_PRINTER_IS_DEACTIVATED,
    }
)


def reasons_of(raw: object) -> list[str]:
    """printer-/job-state-reasons as a list of keywords without the -report/-warning/-error
    severity suffix (RFC 8011 §5.4.12); ``none`` dropped."""
    items: Iterable[object] = raw if isinstance(raw, list | tuple) else [raw]
    out = []
    for item in items:
        word = str(item or "").strip()
        for suffix in ("-report", "-warning", "-error"):
            word = word.removesuffix(suffix)
        if word and word != "none":
            out.append(word)
    return out


def printer_health(attrs: Mapping[str, Any]) -> tuple[Health, str]:
    """Map Get-Printer-Attributes onto the wire's peripheral health (+ reason)."""
    reasons = reasons_of(attrs.get("printer-state-reasons"))
    for reason in reasons:
        if reason in BLOCKING_REASONS:
            return Health.OFFLINE, BLOCKING_REASONS[reason][1]
    if attrs.get("printer-is-accepting-jobs") is False:
        return Health.OFFLINE, "not_accepting_jobs"
    if attrs.get("printer-state") == IppPrinterState.STOPPED:
        return Health.OFFLINE, "stopped" + (f": {', '.join(reasons)}" if reasons else "")
    for reason, why in DEGRADING_REASONS.items():  # paper first: it has its own gauge
        if reason in reasons:
            return Health.DEGRADED, why
    return Health.OK, ""


def refusal_of(attrs: Mapping[str, Any]) -> PrinterError | None:
    """The error to fail a job with before sending it, if the printer cannot take it now."""
    health, why = printer_health(attrs)
    if health is not Health.OFFLINE:
        return None
    reasons = reasons_of(attrs.get("printer-state-reasons"))
    reason = next(
        (BLOCKING_REASONS[r][0] for r in reasons if r in BLOCKING_REASONS),
        FailureReason.PRINTER_BUSY,
    )
    return PrinterError(
        reason,
        f"the A4 printer cannot take the job now ({why}); nothing was sent to it — "
        "fix the printer (paper, cover, toner) and the job can be tried again",
        side_effect_possible=False,
    )


def _never_sent(err: IPPConnectionError) -> bool:
    """True if the request cannot have reached the printer (the TCP connect itself failed)."""
    return isinstance(err.__cause__, aiohttp.ClientConnectorError)


class IppPrinter(A4PrinterBase):
    """An IPP A4 printer. One job at a time (the job runner's worker ensures it)."""

    cfg: IppPrinterConfig

    def __init__(self, cfg: IppPrinterConfig) -> None:
        self.cfg = cfg
        self.tally: Counter[str] = Counter()
        self._model = cfg.model

    @property
    def model(self) -> str:
        return self._model or "IPP printer"

    def _client(self) -> IPP:
        timeout = max(1, math.ceil(self.cfg.request_timeout_s))
        return Client(self.cfg.uri, request_timeout=timeout)

    async def _printer_attrs(self, ipp: IPP) -> dict[str, Any]:
        resp = await ipp.execute(
            IppOperation.GET_PRINTER_ATTRIBUTES,
            {"operation-attributes-tag": {"requested-attributes": PRINTER_ATTRS}},
        )
        printers = resp.get("printers") or [{}]
        attrs: dict[str, Any] = printers[0]
        if not self._model and attrs.get("printer-make-and-model"):
            self._model = str(attrs["printer-make-and-model"])[:128]
        return attrs

    async def health(self) -> tuple[Health, str]:
        try:
            async with self._client() as ipp:
                return printer_health(await self._printer_attrs(ipp))
        except IPPConnectionError as err:
            return Health.OFFLINE, f"unreachable: {err}"
        except IPPError as err:
            return Health.UNKNOWN, f"printer answered with {describe(err)}"
        except Exception:  # a driver bug must not stop the health monitor
            log.exception("A4 printer %s: status query failed", self.id)
            return Health.UNKNOWN, "status query failed (see the agent log)"

    async def close(self) -> None:
        """Nothing to close: each job and probe has its own connection."""

    async def print_pdf(self, doc: A4Document, on_start: OnStart) -> A4Report:
        async with self._client() as ipp:
            try:
                attrs = await self._printer_attrs(ipp)
            except IPPConnectionError as err:
                self.tally["unreachable"] += 1
                raise PrinterError(
                    FailureReason.PRINTER_UNREACHABLE,
                    f"the A4 printer at {self.cfg.uri} does not answer ({err}); nothing was "
                    "sent — check its power and network",
                    side_effect_possible=False,
                ) from err
            except IPPError as err:
                raise PrinterError(
                    FailureReason.PRINTER_ERROR,
                    f"the A4 printer answered a status query with {describe(err)}; nothing "
                    "was sent",
                    side_effect_possible=False,
                ) from err
            refusal = refusal_of(attrs)
            if refusal is not None:
                self.tally["refused"] += 1
                raise refusal
            await on_start()
            job_id = await self._submit(ipp, doc)
            self.tally["jobs_sent"] += 1
            self.tally["bytes_sent"] += len(doc.pdf)
            report = await self._follow(ipp, job_id, doc)
            self.tally["jobs_completed"] += 1
            self.tally["impressions"] += report.impressions or 0
            return report

    async def _submit(self, ipp: IPP, doc: A4Document) -> int:
        message = {
            "operation-attributes-tag": {
                "requesting-user-name": self.cfg.user_name,
                "job-name": doc.title or "kfleet",
                "document-format": "application/pdf",
            },
            "job-attributes-tag": {"copies": doc.copies, "sides": doc.sides},
            "data": doc.pdf,
        }
        try:
            resp = await ipp.execute(IppOperation.PRINT_JOB, message)
        except IPPConnectionError as err:
            if _never_sent(err):
                raise PrinterError(
                    FailureReason.PRINTER_UNREACHABLE,
                    f"the A4 printer at {self.cfg.uri} went away before the job was sent "
                    f"({err}); nothing was printed",
                    side_effect_possible=False,
                ) from err
            raise PrinterError(
                FailureReason.CONNECTION_LOST,
                f"the connection to the A4 printer broke while sending the job ({err}); it "
                "may have been printed — check the printer before printing again",
                side_effect_possible=True,
            ) from err
        except IPPError as err:
            raise _submit_error(err) from err
        jobs = resp.get("jobs") or [{}]
        job_id = jobs[0].get("job-id")
        if not isinstance(job_id, int):
            raise PrinterError(
                FailureReason.PRINTER_ERROR,
                "the A4 printer accepted the job but named no job-id; it may print — check it",
                side_effect_possible=True,
            )
        return job_id

    async def _follow(self, ipp: IPP, job_id: int, doc: A4Document) -> A4Report:
        """Poll the job until it ends; see the module docstring for the outcomes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.cfg.job_timeout_s
        lost_since: float | None = None
        state = IppJobState.PENDING
        reasons: list[str] = []
        impressions: int | None = None
        while True:
            try:
                attrs = await self._job_attrs(ipp, job_id)
            except IPPConnectionError as err:
                lost_since = lost_since if lost_since is not None else loop.time()
                if loop.time() - lost_since >= self.cfg.lost_contact_s:
                    self.tally["lost_contact"] += 1
                    raise PrinterError(
                        FailureReason.PRINTER_UNREACHABLE,
                        f"lost contact with the A4 printer while job {job_id} was "
                        f"{state.name.lower()} ({err}); it may have printed — check the "
                        "printer before printing again",
                        side_effect_possible=True,
                    ) from err
            except IPPError as err:
                raise PrinterError(
                    FailureReason.PRINTER_ERROR,
                    f"the A4 printer answered the status query for job {job_id} with "
                    f"{describe(err)}; the job may have printed — check the printer",
                    side_effect_possible=True,
                ) from err
            else:
                lost_since = None
                state = _job_state(attrs.get("job-state"), state)
                reasons = reasons_of(attrs.get("job-state-reasons"))
                done = attrs.get("job-impressions-completed")
                impressions = done if isinstance(done, int) else impressions
                if state is IppJobState.COMPLETED:
                    return A4Report(
                        printer_job=f"{self.cfg.uri}/{job_id}",
                        document_bytes=len(doc.pdf),
                        document_sha256=doc.sha256,
                        impressions=impressions,
                        extra={"copies": doc.copies, "sides": doc.sides},
                    )
                if state in (IppJobState.CANCELED, IppJobState.ABORTED):
                    self.tally["jobs_aborted"] += 1
                    raise PrinterError(
                        FailureReason.PRINTER_ABORTED,
                        f"the A4 printer {state.name.lower()} job {job_id} "
                        f"({', '.join(reasons) or 'no reason given'}) after "
                        f"{impressions or 0} impressions; part of it may have printed",
                        side_effect_possible=True,
                    )
            if loop.time() >= deadline:
                raise await self._timed_out(ipp, job_id, state, reasons)
            await asyncio.sleep(self.cfg.poll_interval_s)  # the printer has no push channel

    async def _job_attrs(self, ipp: IPP, job_id: int) -> dict[str, Any]:
        resp = await ipp.execute(
            IppOperation.GET_JOB_ATTRIBUTES,
            {"operation-attributes-tag": {"job-id": job_id, "requested-attributes": JOB_ATTRS}},
        )
        jobs = resp.get("jobs") or [{}]
        attrs: dict[str, Any] = jobs[0]
        return attrs

    async def _timed_out(
        self, ipp: IPP, job_id: int, state: IppJobState, reasons: list[str]
    ) -> PrinterError:
        """Cancel a job that took too long, so it cannot print later unseen; say what we know."""
        canceled = False
        with contextlib.suppress(IPPError):
            await ipp.execute(
                IppOperation.CANCEL_JOB,
                {
                    "operation-attributes-tag": {
                        "job-id": job_id,
                        "requesting-user-name": self.cfg.user_name,
                    }
                },
            )
            canceled = True
        self.tally["jobs_timed_out"] += 1
        waiting = state in (IppJobState.PENDING, IppJobState.HELD)
        paper = "media-empty" in reasons or "media-needed" in reasons
        why = f"job {job_id} was still {state.name.lower()} after {self.cfg.job_timeout_s:g} s"
        if reasons:
            why += f" ({', '.join(reasons)})"
        if waiting and canceled:
            return PrinterError(
                FailureReason.PRINTER_TIMEOUT,
                f"{why}; it was canceled on the printer before any page was printed",
                side_effect_possible=False,
            )
        return PrinterError(
            FailureReason.PAPER_OUT if paper else FailureReason.PRINTER_TIMEOUT,
            f"{why}; {'it was canceled on the printer' if canceled else 'canceling it failed'}"
            " and part of it may have printed — check the printer",
            side_effect_possible=True,
        )


def _submit_error(err: IPPError) -> PrinterError:
    """Print-Job answered with something other than a job (see the module docstring)."""
    said = describe(err)
    if isinstance(err, IPPParseError) or (isinstance(err, HttpError) and err.status >= 500
                                          and err.status != 503):  # fmt: skip
        return PrinterError(
            FailureReason.PRINTER_ERROR,
            f"the A4 printer answered Print-Job with {said}; the job may have been printed "
            "— check the printer",
            side_effect_possible=True,
        )
    code = status_of(err)
    busy = code in BUSY_STATUSES or (isinstance(err, HttpError) and err.status == 503)
    rejected = code is not None and 0x0400 <= code < 0x0500
    reason = FailureReason.PRINTER_BUSY if busy else FailureReason.PRINTER_ERROR
    return PrinterError(
        FailureReason.DOCUMENT_REJECTED if rejected else reason,
        f"the A4 printer refused the job with {said}; nothing was printed"
        + (" — the document or its options are not acceptable to it" if rejected else ""),
        side_effect_possible=False,
    )


def _job_state(raw: object, previous: IppJobState) -> IppJobState:
    """The job-state enum; an unknown or missing value keeps the previous one."""
    try:
        return IppJobState(int(raw))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return previous


#: what the driver registry (``edge_agent.peripherals.registry``) reads of this module
DRIVER = DriverSpec(
    types=("ipp",), kind="a4_printer", config=IppPrinterConfig, peripheral=IppPrinter
)
