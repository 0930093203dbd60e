"""The periodic 高龄补贴 certification that the recipient is alive (生存认证) by face
verification (docs/kiosk-elderly.md).

1. :meth:`CertService.start`: the kiosk read the citizen's card; the cloud picks randomised
   actions (blink, open mouth, turn head left / right, never the same twice in a row) and
   returns them with a *challenge*: a signed, short-lived, single-use ticket naming this
   kiosk, this card and these actions (the cloud stores nothing between the two calls).
2. The kiosk guides the citizen by voice and screen and records a short clip of them.
3. :meth:`CertService.verify`: the challenge is checked, the clip goes to the face-verification
   service (:mod:`cloud.kiosk.face_verify`), which judges liveness and compares the face with
   the ID photo on record. On ``pass`` the certification is recorded at the 民政局
   (``allowance_certify``) and a receipt printed. The clip is never written here: it is
   dropped when the answer arrives, whatever the answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from cloud.auth.principal import Principal
from cloud.kiosk.departments.base import Person
from cloud.kiosk.elderly import ElderlyService, check_age
from cloud.kiosk.errors import KioskError
from cloud.kiosk.face_verify import FaceVerifier
from cloud.once import MemoryClaims
from protocols.idcard.text import mask_id_number, mask_name
from protocols.jobs import FeedLine, ReceiptParams, TextLine

log = logging.getLogger(__name__)
ACTIONS = ("blink", "mouth", "left", "right")
#: seconds the kiosk gives the citizen for each action
ACTION_SECONDS = 2
CHALLENGE_TTL_S = 180
VERDICT_WORDS = {
    "pass": (
        "认证成功！感谢您的配合，高龄补贴将按时发放。",
        "Certified. Thank you: the allowance will be paid on time.",
    ),
    "mismatch": (
        "人脸与身份证照片比对不一致。请本人持身份证认证；如确为本人，请到民政窗口办理。",
        "The face does not match the ID card's photo. The card holder must certify in "
        "person; if that is you, please ask at the civil affairs window.",
    ),
    "not_live": (
        "未能确认是本人操作：请正对摄像头，按语音提示完成动作后重新认证。",
        "We could not confirm a live person. Face the camera, do each action as prompted, "
        "and try again.",
    ),
}


class ClipInvalid(KioskError):
    status_code = 422
    code = "clip_invalid"


class ChallengeRefused(KioskError):
    status_code = 409
    code = "challenge_refused"


@dataclass(frozen=True)
class Challenge:
    token: str
    actions: list[str]
    seconds: int
    expires_in_s: int


@dataclass(frozen=True)
class CertResult:
    result: str
    message: str
    message_en: str
    certification_no: str = ""
    next_due: str = ""
    job_id: str = ""


def random_actions(n: int, pick: Callable[[int], int] = secrets.randbelow) -> list[str]:
    """``n`` actions, none the same as the one before it (a citizen could not tell them apart)."""
    out: list[str] = []
    while len(out) < n:
        action = ACTIONS[pick(len(ACTIONS))]
        if not out or out[-1] != action:
            out.append(action)
    return out


class Claims(Protocol):
    async def claim(self, nonce: str, expires_at: datetime) -> bool: ...


class CertService:
    def __init__(
        self,
        elderly: ElderlyService,
        verifier: FaceVerifier,
        secret: str,
        actions: int,
        claims: Claims | None = None,
    ) -> None:
        self._elderly = elderly
        self._verifier = verifier
        self._key = hashlib.sha256(b"kfleet-elderly-cert\0" + secret.encode()).digest()
        self._n = actions
        #: challenge nonces used (single use across every cloud worker: ``cloud.once``)
        self._claims: Claims = claims or MemoryClaims()

    def _person(self, id_number: str, name: str) -> str:
        msg = f"person\x1f{id_number.upper()}\x1f{name.strip()}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()

    def start(self, caller: Principal, id_number: str, name: str) -> Challenge:
        check_age(id_number.upper(), self._elderly.today())
        actions = random_actions(self._n)
        claims = {
            "d": caller.name,
            "p": self._person(id_number, name),
            "a": actions,
            "x": int(time.time()) + CHALLENGE_TTL_S,
            "n": secrets.token_hex(12),
        }
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        token = f"{payload}.{self._sign(payload.encode())}"
        return Challenge(token, actions, ACTION_SECONDS, CHALLENGE_TTL_S)

    async def _redeem(self, caller: Principal, token: str, id_number: str, name: str) -> list[str]:
        payload, _, sig = token.partition(".")
        if not hmac.compare_digest(sig.encode(), self._sign(payload.encode()).encode()):
            raise _refused("the challenge's signature does not check")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        if claims["d"] != caller.name or claims["p"] != self._person(id_number, name):
            raise _refused("the challenge was issued to another kiosk or card")
        if claims["x"] <= time.time():
            raise _refused("the challenge has expired")
        expires = datetime.fromtimestamp(claims["x"], UTC)
        if not await self._claims.claim(str(claims["n"]), expires):
            raise _refused("the challenge was used already")
        return [str(a) for a in claims["a"]]

    async def verify(
        self, caller: Principal, token: str, id_number: str, name: str, clip: bytes
    ) -> CertResult:
        actions = await self._redeem(caller, token, id_number, name)
        try:
            answer = await self._verifier.verify(id_number.upper(), name, clip, actions)
        finally:
            del clip  # the clip is never kept, whatever the answer
        log.info("elderly certification at %s: %s", caller.name, answer.verdict)
        zh, en = VERDICT_WORDS[answer.verdict]
        if answer.verdict != "pass":
            return CertResult(answer.verdict, zh, en)
        inputs = {"result": "通过", "method": "人脸核验", "device": caller.name}
        person = Person(id_number.upper(), name.strip())
        found = await self._elderly.department().query("allowance_certify", person, inputs, 1, 1)
        row = found.rows[0]
        receipt = cert_receipt(row["certification_no"], row["next_due"], person)
        job_id = await self._elderly.print_receipt(caller, receipt, "receipt")
        return CertResult("pass", zh, en, row["certification_no"], row["next_due"], job_id)


def _refused(why: str) -> ChallengeRefused:
    return ChallengeRefused(
        why,
        "认证已过期或无效，请重新开始认证。",
        "This certification has expired or is not valid. Please start again.",
    )


def cert_receipt(number: str, next_due: str, person: Person) -> ReceiptParams:
    return ReceiptParams(
        lines=[
            TextLine(text="高龄补贴生存认证回执", align="center", bold=True, width=2, height=2),
            TextLine(text="Old-age allowance: certification receipt", align="center"),
            FeedLine(),
            TextLine(text=f"认证编号 No.: {number}", bold=True),
            TextLine(text=f"姓名 Name: {mask_name(person.name)}"),
            TextLine(text=f"身份证号 ID: {mask_id_number(person.id_number)}"),
            TextLine(text="认证方式 Method: 人脸核验 face verification"),
            TextLine(text="认证结果 Result: 通过 certified"),
            TextLine(text=f"下次认证 Next due: {next_due}"),
            FeedLine(),
            TextLine(text="格尔木市民政局", align="center"),
        ]
    )
