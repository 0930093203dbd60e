"""Reading a bulk enrollment plan: a CSV of planned devices, one row each.

Columns (header required, in any order): ``device_id,name,site,role[,ttl_days]``. UTF-8 with
or without a BOM (Excel's "CSV UTF-8"). Every bad row is reported with its line number and
why, and the good rows go on; the file as a whole is refused only when it cannot be read.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from protocols.errors import ProtocolError
from protocols.messages import Role
from protocols.topics import check_device_id, check_site_path
from provisioning.enroll_errors import BadInput

REQUIRED = ("device_id", "name", "site", "role")
OPTIONAL = ("ttl_days",)
MAX_TTL_DAYS = 90


@dataclass(frozen=True)
class PlannedDevice:
    line: int
    device_id: str
    name: str
    site: str
    role: Role
    ttl_days: int | None


@dataclass(frozen=True)
class BadRow:
    line: int
    why: str


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise BadInput(f"cannot read the plan {path}: {err.strerror or err}") from err
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise BadInput(
            f"{path} is not UTF-8 text (byte {err.start}); if it came from Excel it is "
            "probably GBK: save it again as 'CSV UTF-8 (逗号分隔)'"
        ) from err


def _header(fields: list[str], path: Path) -> list[str]:
    fields = [f.strip() for f in fields]
    missing = [c for c in REQUIRED if c not in fields]
    unknown = [f for f in fields if f not in REQUIRED + OPTIONAL]
    if missing or unknown:
        raise BadInput(
            f"{path}: line 1 must be the header device_id,name,site,role[,ttl_days]"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown column(s) {', '.join(unknown)}" if unknown else "")
        )
    return fields


def parse_plan(path: Path) -> tuple[list[PlannedDevice], list[BadRow]]:
    """The good rows and the bad ones (with the line each row starts on), in file order."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    header = _header(next(reader, []), path)
    good: list[PlannedDevice] = []
    bad: list[BadRow] = []
    seen: dict[str, int] = {}
    ended = reader.line_num
    for cells in reader:
        line, ended = ended + 1, reader.line_num  # a quoted name may span lines
        if not any(c.strip() for c in cells):
            continue  # a blank line
        try:
            planned = _row(header, cells, line)
        except ValueError as err:
            bad.append(BadRow(line, str(err)))
            continue
        if planned.device_id in seen:
            first = seen[planned.device_id]
            bad.append(BadRow(line, f"device_id {planned.device_id!r} is already on line {first}"))
            continue
        seen[planned.device_id] = line
        good.append(planned)
    return good, bad


def _row(header: list[str], cells: list[str], line: int) -> PlannedDevice:
    if len(cells) > len(header):
        raise ValueError("more columns than the header has (a comma inside a name needs quotes)")
    values = dict(zip(header, (c.strip() for c in cells), strict=False))
    if any(c not in values for c in REQUIRED):
        raise ValueError("fewer columns than the header has")
    try:
        device_id = check_device_id(values["device_id"])
        site = check_site_path(values["site"])
    except ProtocolError as err:
        raise ValueError(str(err)) from err
    try:
        role = Role(values["role"])
    except ValueError as err:
        roles = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {values['role']!r} (one of: {roles})") from err
    if len(values["name"]) > 128:
        raise ValueError("name is longer than 128 characters")
    return PlannedDevice(line, device_id, values["name"], site, role, _ttl(values))


def _ttl(values: dict[str, str]) -> int | None:
    text = values.get("ttl_days", "")
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_TTL_DAYS:
        raise ValueError(f"ttl_days {text!r} is not a whole number from 1 to {MAX_TTL_DAYS}")
    return int(text)
