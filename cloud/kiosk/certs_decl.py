"""The certificates a kiosk issues (证明开具), as data: which department's operation gives the
facts, which facts go on the paper (and how each is masked on the screen), and the sentence
that certifies them. ``kind`` is also the licence type reported to the 电子证照库."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cloud.kiosk.departments.base import DepartmentCode, ResultField

F = ResultField


class CertDecl(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{2,31}$")]
    name: str
    name_en: str
    department: DepartmentCode
    #: the department adapter's operation (a record: ``Op(paged=False)``)
    operation: str
    #: who issues it, as printed
    issuer: str
    #: the facts printed, in order; ``mask`` applies on the screen (the paper is the holder's)
    fields: list[ResultField]
    #: the certifying sentence printed above the facts
    statement: str
    statement_en: str


_HOLDER = [
    F(key="name", label="姓名", label_en="Name", mask="name"),
    F(key="id_number", label="公民身份号码", label_en="ID number", mask="id_number"),
]

CERTIFICATES: list[CertDecl] = [
    CertDecl(
        kind="pension_voucher",
        name="企业职工养老保险缴费凭证",
        name_en="Enterprise employees' pension insurance contribution voucher",
        department="hrss",
        operation="pension_voucher",
        issuer="格尔木市社会保险事业服务中心",
        fields=[
            *_HOLDER,
            F(key="employer", label="参保单位", label_en="Employer"),
            F(key="first_month", label="缴费起始年月", label_en="Contributions from"),
            F(key="last_month", label="缴费截止年月", label_en="Contributions until"),
            F(key="months", label="累计缴费月数", label_en="Months paid"),
            F(key="paid_total", label="个人缴费合计（元）", label_en="Personal total (yuan)"),
            F(key="state", label="参保状态", label_en="State"),
        ],
        statement="经查询，该参保人企业职工基本养老保险缴费情况如下，特此证明。",
        statement_en="The holder's enterprise employees' basic pension contributions are "
        "as follows.",
    ),
    CertDecl(
        kind="startup_cert",
        name="就业创业证",
        name_en="Employment and entrepreneurship certificate",
        department="hrss",
        operation="startup_cert",
        issuer="格尔木市公共就业服务局",
        fields=[
            *_HOLDER,
            F(key="doc_no", label="就业创业证号", label_en="Certificate no."),
            F(key="registered", label="登记日期", label_en="Registered on"),
            F(key="state", label="就业状态", label_en="Employment state"),
            F(key="authority", label="登记机构", label_en="Registered by"),
        ],
        statement="经查询，该人员就业创业登记信息如下，特此证明。",
        statement_en="The holder's employment and entrepreneurship registration is as follows.",
    ),
    CertDecl(
        kind="no_housing",
        name="无房证明",
        name_en="Proof of owning no housing",
        department="realestate",
        operation="no_housing",
        issuer="格尔木市不动产登记中心",
        fields=[
            *_HOLDER,
            F(key="scope", label="查询范围", label_en="Searched"),
            F(key="finding", label="查询结果", label_en="Finding"),
            F(key="searched_at", label="查询时间", label_en="Searched at"),
        ],
        statement="经查询不动产登记簿，申请人名下无住宅类不动产登记信息，特此证明。",
        statement_en="The real estate register shows no dwelling registered to the holder.",
    ),
    CertDecl(
        kind="hpf_remote_loan",
        name="异地贷款职工住房公积金缴存使用证明",
        name_en="Housing provident fund deposit and use certificate for a loan elsewhere",
        department="hpf",
        operation="remote_loan_proof",
        issuer="海西州住房公积金管理中心格尔木分中心",
        fields=[
            *_HOLDER,
            F(key="account", label="个人公积金账号", label_en="Account", mask="account"),
            F(key="employer", label="缴存单位", label_en="Employer"),
            F(key="opened", label="开户年月", label_en="Opened"),
            F(key="state", label="缴存状态", label_en="State"),
            F(key="monthly", label="月缴存额（元）", label_en="Monthly deposit (yuan)"),
            F(key="balance", label="账户余额（元）", label_en="Balance (yuan)"),
            F(key="months", label="累计缴存月数", label_en="Months deposited"),
            F(key="paid_until", label="缴至年月", label_en="Paid until"),
            F(key="loans", label="公积金贷款情况", label_en="Provident fund loans"),
        ],
        statement="兹证明该职工住房公积金缴存及使用情况如下，供异地申请住房公积金贷款使用。",
        statement_en="The holder's housing provident fund deposits and use are as follows, "
        "for a provident-fund loan applied for elsewhere.",
    ),
]
BY_KIND = {c.kind: c for c in CERTIFICATES}
