"""``kfleet provision bulk``: a CSV of planned devices → one enrollment token each (minted
through the API with an API token that has ``devices.enroll``) → an A4 sheet of QR codes, and
optionally the tokens as CSV.

Bad rows (the file's or the cloud's refusals, e.g. an unknown site) are reported with their
line number and the good rows are still done; a refused API token stops at once, since every
row would fail the same way.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from provisioning import cloud_http
from provisioning.bulk_plan import BadRow, PlannedDevice, parse_plan
from provisioning.bulk_sheet import Cell, write_sheet
from provisioning.enroll_errors import ApiTokenRefused, BadInput

TOKENS_PATH = "/api/v1/enrollment-tokens"
Say = Callable[[str], None]


@dataclass(frozen=True)
class Minted:
    row: PlannedDevice
    token: str
    qr_text: str
    expires_at: str


@dataclass(frozen=True)
class BulkResult:
    minted: list[Minted]
    bad: list[BadRow]
    pages: int


def mint(cloud: str, api_token: str, row: PlannedDevice, ca_file: Path | None) -> Minted:
    """One token for ``row``; ``ValueError`` with the cloud's reason for a refused row."""
    body: dict[str, Any] = {
        "site": row.site,
        "role": row.role.value,
        "device_id": row.device_id,
        "name": row.name,
    }
    if row.ttl_days is not None:
        body["ttl_s"] = row.ttl_days * 86400
    r = cloud_http.request(
        "POST",
        cloud + TOKENS_PATH,
        ca_file=ca_file,
        json=body,
        headers={"authorization": f"Bearer {api_token}"},
    )
    code, message = cloud_http.error_code(r)
    if r.status_code in (401, 403):
        raise ApiTokenRefused(
            f"the cloud refused the API token ({code}): {message}; give an API token of a "
            "person allowed to enroll devices at these sites (console: API tokens)"
        )
    if r.status_code not in (200, 201):
        raise ValueError(f"the cloud refused it ({code}, HTTP {r.status_code}): {message}")
    out = r.json()
    return Minted(row, out["token"], out["qr_text"], str(out["expires_at"]))


def _expires(text: str) -> str:
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return text


def write_tokens(path: Path, minted: list[Minted]) -> None:
    """The tokens as CSV (0600: each one enrolls a device)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out)
        w.writerow(["line", "device_id", "name", "site", "role", "token", "expires_at", "qr_text"])
        for m in minted:
            r = m.row
            w.writerow(
                [
                    r.line,
                    r.device_id,
                    r.name,
                    r.site,
                    r.role.value,
                    m.token,
                    m.expires_at,
                    m.qr_text,
                ]
            )


def bulk(
    plan: Path,
    cloud: str,
    api_token: str,
    out: Path,
    tokens_out: Path | None,
    say: Say,
    ca_file: Path | None = None,
) -> BulkResult:
    """Parse, mint per good row, write the sheet (and tokens); bad rows are in the result."""
    cloud = cloud_http.check_cloud_url(cloud)
    if not api_token:
        raise ApiTokenRefused("no API token: set the variable named by --token-env")
    good, bad = parse_plan(plan)
    say(f"{plan}: {len(good)} good row(s), {len(bad)} bad")
    minted: list[Minted] = []
    for row in good:
        try:
            minted.append(mint(cloud, api_token, row, ca_file))
        except ValueError as err:
            bad.append(BadRow(row.line, str(err)))
            continue
        say(f"line {row.line}: token for {row.device_id} at {row.site}")
    bad.sort(key=lambda b: b.line)
    pages = 0
    if minted:
        cells = [
            Cell(m.qr_text, m.row.device_id, m.row.name, m.row.site, _expires(m.expires_at))
            for m in minted
        ]
        pages = write_sheet(cells, out, f"kfleet enrollment — {plan.name}")
        say(f"wrote {out} ({pages} page(s), {len(minted)} QR code(s))")
    if tokens_out is not None and minted:
        try:
            write_tokens(tokens_out, minted)
        except OSError as err:
            raise BadInput(f"cannot write {tokens_out}: {err.strerror or err}") from err
        say(f"wrote {tokens_out} (mode 0600: it holds the tokens)")
    return BulkResult(minted, bad, pages)
