"""The simulated city 政务服务平台's application API (自助申报), beside its case API
(:mod:`simulators.city_platform`; docs/kiosk-apply.md "Wire format"). Signed like every call:

- ``POST /gov/api/v2/apply/material`` ``{"fileName", "mediaType", "sha256", "content"}``
  (``content`` base64, ``image/jpeg``, ``image/png`` or ``application/pdf``, at most 10 MB)
  → ``{"fileId", "size"}``; the platform keeps the file for the application that names it;
- ``POST /gov/api/v2/apply/submit`` ``{"bizSerialNo", "itemCode", "itemName", "deptName",
  "hallName", "certType": "111", "certNo", "applicantName", "formCode", "formVersion",
  "formData", "materials": [{"materialCode", "materialName", "fileIds"}]}`` → ``{"caseNo",
  "acceptTime", "queryUrl", "repeated"}``: a case in state ``SB`` (已申报, waiting for a clerk)
  that the case API lists from then on. The same ``bizSerialNo`` again answers the same case
  (``repeated: true``) and files nothing twice.

Refusals (HTTP 200, their own code): ``20011`` the content does not match its ``sha256``,
``20012`` a media type the platform does not take, ``20013`` a file over 10 MB, ``20014`` a
``fileId`` the platform does not hold, ``20002`` a certificate number that is not valid;
HTTP 400 ``40001`` for missing or mistyped parameters. ``GET /gov/case/track?caseNo=`` is the
public page the receipt's QR opens (the case's state, nothing personal).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

MATERIAL_PATH = "/gov/api/v2/apply/material"
SUBMIT_PATH = "/gov/api/v2/apply/submit"
TRACK_PATH = "/gov/case/track"
MAX_FILE_BYTES = 10 * 1024 * 1024
MEDIA_TYPES = ("image/jpeg", "image/png", "application/pdf")
_SHA = re.compile(r"^[0-9a-f]{64}$")
_CERT = re.compile(r"^[0-9]{17}[0-9X]$")
_SERIAL = re.compile(r"^[A-Za-z0-9_.:-]{6,80}$")
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

Answer = tuple[int, dict[str, Any]]


def _answer(code: str, msg: str, data: Any = None, status: int = 200) -> Answer:
    return status, {"code": code, "msg": msg, "data": data}


@dataclass
class StoredFile:
    file_id: str
    name: str
    media_type: str
    sha256: str
    content: bytes


@dataclass
class Application:
    """One application as the platform received it (tests read the materials' bytes)."""

    serial: str
    case_no: str
    item_code: str
    cert_no: str
    form_code: str
    form_version: int
    form_data: dict[str, Any]
    #: material code → its files, in page order
    materials: dict[str, list[StoredFile]]


@dataclass
class ApplyDesk:
    """The application side of :class:`simulators.city_platform.CityPlatformSim`."""

    url: str = ""
    files: dict[str, StoredFile] = field(default_factory=dict)
    applications: dict[str, Application] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def material(self, req: dict[str, Any]) -> Answer:
        name, media, sha, content = (
            req.get("fileName"),
            req.get("mediaType"),
            req.get("sha256"),
            req.get("content"),
        )
        if not all(isinstance(v, str) for v in (name, media, sha, content)):
            return _answer(
                "40001", "fileName、mediaType、sha256、content 均为必填字符串", None, 400
            )
        assert isinstance(content, str) and isinstance(sha, str) and isinstance(media, str)
        if media not in MEDIA_TYPES:
            return _answer("20012", f"不支持的文件类型 {media}（仅 JPEG、PNG、PDF）")
        try:
            raw = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            return _answer("40001", "content 须为 base64", None, 400)
        if len(raw) > MAX_FILE_BYTES:
            return _answer("20013", "单个文件不得超过 10 MB")
        if not _SHA.match(sha) or hashlib.sha256(raw).hexdigest() != sha:
            return _answer("20011", "文件内容与摘要不符，请重新上传")
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = StoredFile(file_id, str(name)[:120], media, sha, raw)
        return _answer("0", "成功", {"fileId": file_id, "size": len(raw)})

    def submit(self, req: dict[str, Any], cases: list[dict[str, Any]], now: datetime) -> Answer:
        serial = req.get("bizSerialNo")
        if not isinstance(serial, str) or not _SERIAL.match(serial):
            return _answer("40001", "bizSerialNo 必填：6..80 位字母、数字或 _.:-", None, 400)
        if serial in self.applications:
            return self._accepted(self.applications[serial], cases, repeated=True)
        bad = _bad_submit(req)
        if bad is not None:
            return bad
        if not _CERT.match(str(req["certNo"])):
            return _answer("20002", "证件号码不合法")
        materials: dict[str, list[StoredFile]] = {}
        for m in req["materials"]:
            unknown = [f for f in m["fileIds"] if f not in self.files]
            if unknown:
                return _answer("20014", f"材料文件不存在或已过期：{', '.join(unknown)}")
            materials[m["materialCode"]] = [self.files[f] for f in m["fileIds"]]
        case_no = f"GEMZZ{now:%Y%m%d}{len(self.applications) + 1:04d}"
        app = Application(
            serial,
            case_no,
            req["itemCode"],
            req["certNo"],
            req["formCode"],
            req["formVersion"],
            req["formData"],
            materials,
        )
        self.applications[serial] = app
        cases.insert(0, _case_record(req, case_no, now, sum(map(len, materials.values()))))
        return self._accepted(app, cases, repeated=False)

    def _accepted(self, app: Application, cases: list[dict[str, Any]], *, repeated: bool) -> Answer:
        case = next(c for c in cases if c["caseNo"] == app.case_no)
        data = {
            "caseNo": app.case_no,
            "acceptTime": case["acceptTime"],
            "queryUrl": f"{self.url}{TRACK_PATH}?caseNo={app.case_no}",
            "repeated": repeated,
        }
        return _answer("0", "成功", data)

    def track_page(self, case_no: str, cases: list[dict[str, Any]]) -> web.Response:
        """The public page the receipt's QR opens: the case's state, nothing personal."""
        case = next((c for c in cases if c["caseNo"] == case_no), None)
        if case is None:
            body = "<p>没有找到该办件 / No such case.</p>"
        else:
            nodes = "".join(
                f"<li>{html.escape(n['handleTime'] or '')} {html.escape(n['nodeName'])} "
                f"{html.escape(n['handleResult'])}</li>"
                for n in case["nodes"]
            )
            body = (
                f"<h1>{html.escape(case['itemName'])}</h1><p>办件编号 {html.escape(case_no)}</p>"
                f"<p>当前状态：{html.escape(case['caseStatusName'])}</p><ol>{nodes}</ol>"
            )
        page = (
            '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width">'
            f"<title>办件查询</title><body>{body}</body></html>"
        )
        return web.Response(text=page, content_type="text/html")


def _bad_submit(req: dict[str, Any]) -> Answer | None:
    strings = ("itemCode", "itemName", "deptName", "certNo", "applicantName", "formCode")
    if not all(isinstance(req.get(k), str) and req.get(k) for k in strings):
        return _answer("40001", f"{'、'.join(strings)} 均为必填字符串", None, 400)
    if req.get("certType", "111") != "111" or not _CODE.match(req["itemCode"]):
        return _answer("40001", "certType 须为 111，itemCode 须为编码", None, 400)
    version = req.get("formVersion")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return _answer("40001", "formVersion 须为正整数", None, 400)
    if not isinstance(req.get("formData"), dict):
        return _answer("40001", "formData 须为对象", None, 400)
    mats = req.get("materials")
    ok = isinstance(mats, list) and 0 < len(mats) <= 50
    ok = ok and all(
        isinstance(m, dict)
        and isinstance(m.get("materialCode"), str)
        and isinstance(m.get("materialName"), str)
        and isinstance(m.get("fileIds"), list)
        and 0 < len(m["fileIds"]) <= 20
        and all(isinstance(f, str) for f in m["fileIds"])
        for m in (mats if isinstance(mats, list) else [])
    )
    if not ok:
        return _answer("40001", "materials 须为 1..50 份材料，每份 1..20 个 fileId", None, 400)
    return None


def _case_record(req: dict[str, Any], case_no: str, now: datetime, pages: int) -> dict[str, Any]:
    at = now.strftime("%Y-%m-%d %H:%M:%S")
    node = {
        "nodeCode": "SB",
        "nodeName": "网上申报",
        "handleTime": at,
        "handleDept": req["deptName"],
        "handleResult": "已提交，待受理",
        "handleOpinion": f"自助终端申报，材料 {len(req['materials'])} 项 {pages} 页",
    }
    return {
        "caseNo": case_no,
        "itemName": req["itemName"],
        "deptName": req["deptName"],
        "hallName": str(req.get("hallName") or ""),
        "applicantName": req["applicantName"],
        "certNo": req["certNo"],
        "caseStatus": "SB",
        "caseStatusName": "已申报",
        "acceptTime": at,
        "promiseTime": None,
        "finishTime": None,
        "nodes": [node],
        "secret": False,
    }
