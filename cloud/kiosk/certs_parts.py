"""The certificates' services as the kiosk parts hold them (``kiosk.certs``)."""

from __future__ import annotations

from dataclasses import dataclass

from cloud.kiosk.certs_card import SocialCardService
from cloud.kiosk.certs_service import CertService


@dataclass(frozen=True)
class CertServices:
    certificates: CertService
    card: SocialCardService
