"""Certificates at a kiosk through the real department and licence-library simulators: each
of the four is previewed masked, issued with a number, printed on the calling kiosk's A4
printer (purpose ``certificate``) as a PDF whose QR opens the verification page, and reported
to the 电子证照库; the same request id prints nothing more; the verification page tells a
genuine number from a forged one; no identity, no A4 printer, a department refusal and a
library that is down are each clear."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.db.models import Job
from cloud.kiosk.certs_decl import CERTIFICATES
from cloud.kiosk.certs_tables import KioskCertificate
from cloud.link_signing import LinkSigner
from protocols.fonts import find_cjk_font
from simulators.dept_people import CAIRANG, WANG_XIAOMING
from tests.conftest import require_or_skip
from tests.kiosk.certs_kit import CARD, VERIFY_URL, CertsEnv, certs_env
from tests.kiosk.guide_pdf_read import pdf_qr, pdf_text

#: a holder each certificate can be issued to
HOLDERS = {
    "pension_voucher": WANG_XIAOMING,
    "startup_cert": CAIRANG,
    "no_housing": CAIRANG,
    "hpf_remote_loan": WANG_XIAOMING,
}


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[CertsEnv]:
    if find_cjk_font() is None:
        require_or_skip("a CJK font")
    async with certs_env(tmp_path, amqtt_url) as e:
        yield e


async def _jobs(env: CertsEnv) -> list[Job]:
    async with env.cloud.parts.sessions() as s:
        return list((await s.scalars(select(Job).order_by(Job.created_at))).all())


async def test_the_list_says_what_is_available(env: CertsEnv) -> None:
    r = await env.kiosk.get("/api/v1/kiosk/certificates")
    assert r.status_code == 200, r.text
    out = r.json()
    assert [c["kind"] for c in out["certificates"]] == [c.kind for c in CERTIFICATES]
    assert set(out["available"]) == set(HOLDERS) and out["library"] and out["social_card"]


@pytest.mark.parametrize("kind", list(HOLDERS))
async def test_each_certificate_is_previewed_printed_verified_and_reported(
    env: CertsEnv, kind: str
) -> None:
    holder = HOLDERS[kind]
    who = await env.who(holder)
    preview = await env.kiosk.post(f"/api/v1/kiosk/certificates/{kind}", json=who)
    assert preview.status_code == 200, preview.text
    fields = preview.json()["fields"]
    assert fields["name"] == holder.name[0] + "*" * (len(holder.name) - 2) + holder.name[-1]
    assert holder.id_number not in preview.text
    body = {**who, "request_id": f"req-{kind}"}
    r = await env.kiosk.post(f"/api/v1/kiosk/certificates/{kind}/print", json=body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["reported"] is True
    [job] = await _jobs(env)
    assert (job.id, job.kind, job.purpose, job.target_device_id) == (
        out["job_id"],
        "print_document",
        "certificate",
        "kiosk-hhl-1",
    )
    with env.cloud.parts.blobs.open(job.params["document"]) as fh:
        pdf = fh.read()
    text = pdf_text(pdf)
    decl = next(c for c in CERTIFICATES if c.kind == kind)
    assert decl.name in text and out["number"] in text and holder.id_number in text
    assert "自助终端打印" in text and decl.issuer in text  # the watermark, the issuer
    url = pdf_qr(pdf)
    assert url.startswith(VERIFY_URL + "/v/")
    page = await env.public.get(url.removeprefix(VERIFY_URL))
    assert page.status_code == 200 and "该证明真实有效" in page.text
    assert out["number"] in page.text and holder.id_number not in page.text
    reported = env.library.reported[out["number"]]
    assert reported["holderId"] == holder.id_number and reported["licenseType"] == kind
    again = await env.kiosk.post(f"/api/v1/kiosk/certificates/{kind}/print", json=body)
    assert again.status_code == 201 and again.json() == out
    assert len(await _jobs(env)) == 1 and len(env.library.reported) == 1
    if kind == "pension_voucher":  # the same request id for another certificate: refused
        other = await env.kiosk.post("/api/v1/kiosk/certificates/hpf_remote_loan/print", json=body)
        assert other.status_code == 409 and other.json()["code"] == "request_reused"


async def test_a_forged_or_unknown_number_is_not_genuine(env: CertsEnv) -> None:
    signer = LinkSigner("certs-test-secret-0123456789abcdef", "kiosk-certificate", mac_bytes=16)
    never_issued = signer.seal(b"ZM20261207-ABCDEFGH")
    forged = LinkSigner("another-secret", "kiosk-certificate", mac_bytes=16).seal(b"ZM1")
    for token in (never_issued, forged, "garbage", "x" * 300):
        page = await env.public.get(f"/v/{token}")
        assert page.status_code == 404 and "证明可能不真实" in page.text, token


async def test_no_identity_token_no_certificate(env: CertsEnv) -> None:
    body = {"identity_token": "made-up", "id_number": CARD.id_number, "name": CARD.name}
    r = await env.kiosk.post("/api/v1/kiosk/certificates/pension_voucher", json=body)
    assert r.status_code == 403 and r.json()["code"] == "identity_required"


async def test_a_dwelling_owner_gets_no_no_housing_proof(env: CertsEnv) -> None:
    who = await env.who(WANG_XIAOMING)
    r = await env.kiosk.post(
        "/api/v1/kiosk/certificates/no_housing/print", json={**who, "request_id": "owner-0001"}
    )
    assert r.status_code == 422 and r.json()["code"] == "department_refused"
    assert "不能出具无房证明" in r.json()["citizen_message"]
    assert await _jobs(env) == []


async def test_a_kiosk_without_an_a4_printer_prints_nothing(env: CertsEnv) -> None:
    who = await env.who(WANG_XIAOMING, kiosk=env.bare)
    r = await env.bare.post(
        "/api/v1/kiosk/certificates/pension_voucher/print", json={**who, "request_id": "bare-0001"}
    )
    assert r.status_code == 409 and r.json()["code"] == "no_a4_printer"
    assert r.json()["citizen_message"] and await _jobs(env) == []


async def test_the_library_down_keeps_the_report_pending_then_retried(env: CertsEnv) -> None:
    env.library.faults.fail_count = 1
    who = await env.who(CAIRANG)
    r = await env.kiosk.post(
        "/api/v1/kiosk/certificates/startup_cert/print", json={**who, "request_id": "down-0001"}
    )
    assert r.status_code == 201 and r.json()["reported"] is False
    async with env.cloud.parts.sessions() as s:
        row = await s.get(KioskCertificate, r.json()["number"])
        assert row is not None and row.library_state == "pending" and row.report_secret
    assert await env.certs.certificates.report_pending() == 1
    async with env.cloud.parts.sessions() as s:
        row = await s.scalar(select(KioskCertificate))
        assert row is not None and row.library_state == "reported" and row.report_secret is None
    assert r.json()["number"] in env.library.reported


async def test_licences_are_listed_masked(env: CertsEnv) -> None:
    who = await env.who(WANG_XIAOMING)
    r = await env.kiosk.post("/api/v1/kiosk/licences", json=who)
    assert r.status_code == 200, r.text
    names = [lic["name"] for lic in r.json()["licences"]]
    assert "居民身份证" in names and "结婚证" in names
    assert WANG_XIAOMING.id_number not in r.text


async def test_a_department_in_maintenance_says_until_when_and_issues_nothing(
    env: CertsEnv,
) -> None:
    who = await env.who(WANG_XIAOMING)
    env.hpf.faults.maintenance_until = datetime.now(UTC) + timedelta(hours=2)
    r = await env.kiosk.post(
        "/api/v1/kiosk/certificates/hpf_remote_loan/print", json={**who, "request_id": "maint-01"}
    )
    assert r.status_code == 503 and r.json()["code"] == "department_maintenance"
    assert "维护中" in r.json()["citizen_message"] and "恢复" in r.json()["citizen_message"]
    assert await _jobs(env) == []
    async with env.cloud.parts.sessions() as s:
        assert (await s.scalar(select(KioskCertificate))) is None
