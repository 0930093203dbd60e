"""The CCB 商户外联平台's XML (``<TX>`` documents in GB2312): built and read without trusting a
DTD from the other side."""

from __future__ import annotations

from xml.etree import ElementTree


def tx_request(sn: str, who: tuple[str, str, str], code: str, info: dict[str, str]) -> bytes:
    """``<TX>`` with REQUEST_SN, CUST_ID, USER_ID, PASSWORD, TX_CODE, LANGUAGE and TX_INFO."""
    top = ElementTree.Element("TX")
    cust, user, password = who
    for name, value in (
        ("REQUEST_SN", sn),
        ("CUST_ID", cust),
        ("USER_ID", user),
        ("PASSWORD", password),
        ("TX_CODE", code),
        ("LANGUAGE", "CN"),
    ):
        ElementTree.SubElement(top, name).text = value
    tx_info = ElementTree.SubElement(top, "TX_INFO")
    for name, value in info.items():
        ElementTree.SubElement(tx_info, name).text = value
    text = ElementTree.tostring(top, encoding="unicode")
    return ('<?xml version="1.0" encoding="GB2312" standalone="yes" ?>' + text).encode("gb18030")


def parse_tx(body: bytes) -> ElementTree.Element:
    """The answer's ``<TX>``; ValueError when it is not one (a DTD is refused outright)."""
    try:
        text = body.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ValueError("not GB2312 text") from exc
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValueError("DTD refused")
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2 :]
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise ValueError("not XML") from exc
    if root.tag != "TX":
        raise ValueError("not a TX document")
    return root
