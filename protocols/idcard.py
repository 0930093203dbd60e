"""Resident ID-card reader (居民身份证阅读器): GA 467 serial frames and the GA/T 490 text block.

Pure, no I/O. ``FrameDecoder`` is incremental and total: any byte stream, in any chunking,
gives the same list of frames and :class:`FrameError` values, and ``feed`` never raises.
Personal data (name, address, ID number) never appears in a ``repr``/``str`` of anything here:
:class:`IdCardText` masks itself and :class:`Response` shows only the length of its data.
The layout and the choices made are documented in ``docs/idcard.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from functools import reduce
from operator import xor
from typing import Annotated, Any, Final, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from protocols.errors import ProtocolError

PREAMBLE: Final = b"\xaa\xaa\xaa\x96\x69"
_HEAD: Final = len(PREAMBLE) + 2  # preamble + 2-byte big-endian length

Direction: TypeAlias = Literal["to_reader", "to_host"]
#: smallest/largest Len per direction: CMD PARA CHK / SW1 SW2 SW3 CHK; the largest reply
#: (text + photo + fingerprints, 30 10) has Len 2314, so 0x0A00 leaves room and bounds a stall.
MIN_LENGTH: Final[dict[Direction, int]] = {"to_reader": 3, "to_host": 4}
MAX_LENGTH: Final[dict[Direction, int]] = {"to_reader": 0x0100, "to_host": 0x0A00}

SAM_STATUS: Final = (0x11, 0xFF)
FIND_CARD: Final = (0x20, 0x01)
SELECT_CARD: Final = (0x20, 0x02)
READ_TEXT_PHOTO: Final = (0x30, 0x01)

TEXT_LEN: Final = 256
PHOTO_LEN: Final = 1024
LONG_TERM: Final = "长期"


class Status(IntEnum):
    """SW3, the reader's own status code (SW1 SW2 forward the card's APDU status)."""

    OK = 0x90  # 操作成功
    NO_CONTENT = 0x91  # 没有内容
    CARD_FOUND = 0x9F  # 寻找证/卡成功
    CHECKSUM_ERROR = 0x10  # 接收业务终端数据的校验和错
    LENGTH_ERROR = 0x11  # 接收业务终端数据的长度错
    COMMAND_ERROR = 0x21  # 接收业务终端的命令错误
    UNAUTHORIZED = 0x23  # 越权操作
    UNKNOWN_ERROR = 0x24  # 无法识别的错误
    CARD_AUTH_FAILED = 0x31  # 证/卡对阅读器认证失败
    READER_AUTH_FAILED = 0x32  # 阅读器对证/卡认证失败
    VERIFY_FAILED = 0x33  # 信息验证错误
    WRONG_CARD = 0x40  # 无法识别的卡类型
    READ_FAILED = 0x41  # 读证/卡操作失败
    RANDOM_FAILED = 0x47  # 取随机数失败
    SAM_FAULT = 0x60  # 阅读器(SAM)自检失败, 不能接收任何命令
    SAM_UNAUTHORIZED = 0x66  # SAM 未经授权, 无法使用
    FIND_FAILED = 0x80  # 寻找证/卡失败 (no card)
    SELECT_FAILED = 0x81  # 选取证/卡失败


def checksum(data: bytes) -> int:
    """XOR of ``data`` (the length field through the last data byte)."""
    return reduce(xor, data, 0)


def _frame(body: bytes, direction: Direction) -> bytes:
    length = len(body) + 1
    if length > MAX_LENGTH[direction]:
        raise ValueError(f"frame too long: Len {length} > {MAX_LENGTH[direction]}")
    head = length.to_bytes(2, "big")
    return PREAMBLE + head + body + bytes([checksum(head + body)])


def encode_request(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A host→reader frame: preamble, Len, CMD, PARA, data, CHK."""
    return _frame(bytes([cmd, para]) + data, "to_reader")  # bytes() checks 0..255


def encode_response(sw1: int, sw2: int, sw3: int, data: bytes = b"") -> bytes:
    """A reader→host frame: preamble, Len, SW1, SW2, SW3, data, CHK."""
    return _frame(bytes([sw1, sw2, sw3]) + data, "to_host")


@dataclass(frozen=True, slots=True, repr=False)
class Request:
    """A checked host→reader frame."""

    cmd: int
    para: int
    data: bytes = b""

    def encode(self) -> bytes:
        return encode_request(self.cmd, self.para, self.data)

    def __repr__(self) -> str:
        return f"Request(cmd=0x{self.cmd:02X}, para=0x{self.para:02X}, data=<{len(self.data)} B>)"


@dataclass(frozen=True, slots=True, repr=False)
class Response:
    """A checked reader→host frame; ``repr`` never shows ``data`` (it may be personal)."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    @property
    def status(self) -> Status | None:
        """SW3 as a known :class:`Status`, or None for a code GA 467 does not define."""
        try:
            return Status(self.sw3)
        except ValueError:
            return None

    def encode(self) -> bytes:
        return encode_response(self.sw1, self.sw2, self.sw3, self.data)

    def __repr__(self) -> str:
        return (
            f"Response(sw=0x{self.sw1:02X}{self.sw2:02X}{self.sw3:02X}, data=<{len(self.data)} B>)"
        )


Frame: TypeAlias = Request | Response
FrameErrorReason: TypeAlias = Literal["garbage", "bad_length", "bad_checksum", "truncated"]


@dataclass(frozen=True, slots=True)
class FrameError:
    """Something in the stream that is not a good frame; ``offset`` is its stream position."""

    reason: FrameErrorReason
    message: str
    offset: int


class FrameDecoder:
    """Incremental GA 467 frame decoder for one direction of a serial line.

    Resynchronises on the preamble: bytes before one are reported once, as a single
    ``garbage`` error, when the next preamble is decided on (or by :meth:`finish`), so the
    output does not depend on chunking. A frame with an impossible Len or a wrong CHK is
    reported and scanning resumes right after its preamble (a good frame hidden in its
    claimed span is still found; the rest of that span is not reported again as garbage).
    """

    def __init__(self, direction: Direction = "to_host") -> None:
        self.direction: Direction = direction
        self._min, self._max = MIN_LENGTH[direction], MAX_LENGTH[direction]
        self._buf = bytearray()
        self._pos = 0  # stream offset of _buf[0]
        self._garbage = self._garbage_at = 0  # skipped bytes not yet reported, from offset
        self._quiet_until = 0  # skipped bytes before this offset were already reported

    @property
    def pending(self) -> int:
        """Bytes held back: a partial frame, or up to 4 bytes that may start a preamble."""
        return len(self._buf)

    @property
    def in_frame(self) -> bool:
        """True when a preamble has arrived but its frame is not complete yet."""
        return self._buf.startswith(PREAMBLE)

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        """Add bytes; return the frames and errors they complete, in stream order."""
        self._buf += data
        out: list[Frame | FrameError] = []
        while (start := self._buf.find(PREAMBLE)) >= 0:
            self._skip(start)
            if len(self._buf) < _HEAD:
                break
            length, at = self._declared(), self._pos
            if not self._min <= length <= self._max:
                limits = f"a {self.direction} frame has {self._min}..{self._max}"
                self._reject(out, "bad_length", f"frame at offset {at} has Len {length}; {limits}")
                continue
            end = _HEAD + length
            if len(self._buf) < end:
                break
            body, chk = bytes(self._buf[len(PREAMBLE) : end - 1]), self._buf[end - 1]
            if checksum(body) != chk:
                want = checksum(body)
                msg = f"frame at offset {at} (Len {length}) has CHK 0x{chk:02X}, not 0x{want:02X}"
                self._reject(out, "bad_checksum", msg, end)
                continue
            self._flush_garbage(out)
            out.append(self._build(body[2:]))
            self._consume(end)
        else:  # no preamble: keep only what may be the start of one
            self._skip(len(self._buf) - (len(PREAMBLE) - 1))
        return out

    def finish(self) -> list[FrameError]:
        """End of stream (or of a transaction): report what is held back, then reset.

        A frame whose Len was corrupted upwards swallows what follows it until here."""
        out: list[Frame | FrameError] = []
        if self.in_frame:
            have = len(self._buf)
            of = f" of {_HEAD + self._declared()}" if have >= _HEAD else ""
            msg = f"frame at offset {self._pos} stopped after {have} bytes{of}"
            self._reject(out, "truncated", msg + ": the rest never arrived", have)
        self._skip(len(self._buf))
        self._flush_garbage(out)
        return [e for e in out if isinstance(e, FrameError)]

    def _declared(self) -> int:
        return int.from_bytes(self._buf[len(PREAMBLE) : _HEAD], "big")

    def _build(self, payload: bytes) -> Frame:
        if self.direction == "to_reader":
            return Request(payload[0], payload[1], payload[2:])
        return Response(payload[0], payload[1], payload[2], payload[3:])

    def _reject(
        self, out: list[Frame | FrameError], reason: FrameErrorReason, msg: str, span: int = _HEAD
    ) -> None:
        """Report the frame starting here; its ``span`` bytes are never reported again."""
        self._flush_garbage(out)
        out.append(FrameError(reason, msg, self._pos))
        self._quiet_until = max(self._quiet_until, self._pos + span)
        self._skip(len(PREAMBLE))

    def _consume(self, n: int) -> None:
        del self._buf[:n]
        self._pos += n

    def _skip(self, n: int) -> None:
        """Drop ``n`` bytes that belong to no frame, counting the not yet reported ones."""
        if n <= 0:
            return
        fresh_from = max(self._pos, self._quiet_until)
        if (fresh := self._pos + n - fresh_from) > 0:
            if self._garbage == 0:
                self._garbage_at = fresh_from
            self._garbage += fresh
        self._consume(n)

    def _flush_garbage(self, out: list[Frame | FrameError]) -> None:
        if self._garbage:
            msg = f"{self._garbage} bytes outside any frame skipped from offset {self._garbage_at}"
            out.append(FrameError("garbage", msg, self._garbage_at))
            self._garbage = 0


# --- the text block (机读文字信息, 256 bytes UCS-2 LE) -------------------------------------

_NATIONS_TEXT = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 "
    "怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
)
_NATION_NAMES = _NATIONS_TEXT.split()
#: GB/T 3304 民族代码 → name as printed on the card (56 nationalities + 97 + 98)
NATIONS: Final[dict[str, str]] = {f"{i:02d}": n for i, n in enumerate(_NATION_NAMES, 1)} | {
    "97": "其他",
    "98": "外国血统中国籍人士",
}
#: GB/T 2261.1 性别代码 → name
SEXES: Final[dict[str, str]] = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}
_NATION_CODES = {v: k for k, v in NATIONS.items()}
_SEX_CODES = {v: k for k, v in SEXES.items()}

#: (field, bytes) in block order; the text-block card-type flag sits at byte 248 (reserved)
# fmt: off
LAYOUT: Final = (
    ("name", 30), ("sex", 2), ("nation", 4), ("birth_date", 16), ("address", 70),
    ("id_number", 36), ("issuer", 30), ("valid_from", 16), ("valid_until", 16), ("reserved", 36),
)
# fmt: on
_CARD_TYPE_AT: Final = 248
_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))


class TextBlockError(ProtocolError):
    """A text block cannot be decoded; the message names the field, never its value."""


BmpText = Annotated[str, Field(min_length=1)]


class IdCardText(BaseModel):
    """居民身份证机读文字信息: the card's text block, decoded.

    ``repr``/``str`` show only the masked form (see :meth:`masked`); ``model_dump`` gives the
    full data, for the one place that needs it. Validation errors never echo input values.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, hide_input_in_errors=True, str_strip_whitespace=True
    )

    name: Annotated[BmpText, Field(max_length=15)]
    """姓名 (name), up to 15 characters."""
    sex: Literal["男", "女", "未知", "未说明"]
    """性别 (sex), GB/T 2261.1 code decoded."""
    nation: str
    """民族 (nationality), GB/T 3304 code decoded to its name, e.g. 汉, 藏, 回."""
    birth_date: date
    """出生日期 (date of birth)."""
    address: Annotated[BmpText, Field(max_length=35)]
    """住址 (address), up to 35 characters."""
    id_number: str
    """公民身份号码 (citizen ID number), 18 characters (GB 11643)."""
    issuer: Annotated[BmpText, Field(max_length=15)]
    """签发机关 (issuing authority)."""
    valid_from: date
    """有效期起始日期 (valid from)."""
    valid_until: date | Literal["长期"]
    """有效期截止日期 (valid until), or 长期 (long-term, issued at 46 and over)."""

    @field_validator("name", "address", "issuer")
    @classmethod
    def _ucs2(cls, value: str) -> str:
        if any(ord(c) > 0xFFFF for c in value):
            raise ValueError("characters outside the BMP cannot be stored as UCS-2")
        return value

    @field_validator("nation")
    @classmethod
    def _nation(cls, value: str) -> str:
        if value not in _NATION_CODES:
            raise ValueError("not a GB/T 3304 nationality name")
        return value

    @field_validator("id_number", mode="before")
    @classmethod
    def _id_number(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().upper()
            if not _ID_RE.fullmatch(value):
                raise ValueError("an ID number is 17 digits and a check digit (0-9 or X)")
        return value

    @property
    def sex_code(self) -> str:
        return _SEX_CODES[self.sex]

    @property
    def nation_code(self) -> str:
        return _NATION_CODES[self.nation]

    def masked(self) -> dict[str, str]:
        """Every field as a string fit for logs and telemetry (张*, 6328**********1234)."""
        return {
            "name": mask_name(self.name),
            "sex": self.sex,
            "nation": self.nation,
            "birth_date": f"{self.birth_date.year:04d}-**-**",
            "address": mask_address(self.address),
            "id_number": mask_id_number(self.id_number),
            "issuer": self.issuer,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": str(self.valid_until),
        }

    def __repr_args__(self) -> Iterator[tuple[str, Any]]:
        yield from self.masked().items()


def mask_name(name: str) -> str:
    """姓名 → first character + ``*`` (the length is not revealed either)."""
    return name[:1] + "*"


def mask_address(address: str) -> str:
    """住址 → first 6 characters + ``***``."""
    return address[:6] + "***"


def mask_id_number(id_number: str) -> str:
    """``632801199001011234`` → ``6328**********1234``; 8 characters or fewer → all ``*``."""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    if not re.fullmatch(r"[0-9]{17}", first17):
        raise ValueError("the check digit is computed over exactly 17 digits")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def is_valid_id_number(id_number: str) -> bool:
    """18 characters, a real birth date in positions 7-14 and a correct check digit."""
    value = id_number.upper()
    if not _ID_RE.fullmatch(value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return id_check_digit(value[:17]) == value[17]


def _fields(block: bytes) -> dict[str, str]:
    out, at = {}, 0
    for name, size in LAYOUT:
        try:
            out[name] = block[at : at + size].decode("utf-16-le").rstrip(" \x00")
        except UnicodeDecodeError as err:
            raise TextBlockError("bad_text", f"text block field {name} is not UCS-2") from err
        at += size
    return out


def _date(field: str, text: str) -> date:
    try:
        if not re.fullmatch(r"[0-9]{8}", text):
            raise ValueError
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as err:
        raise TextBlockError("bad_date", f"text block field {field} is not YYYYMMDD") from err


def parse_text_block(block: bytes) -> IdCardText:
    """Decode the 256-byte text block of a resident ID card; raises :class:`TextBlockError`."""
    if len(block) != TEXT_LEN:
        raise TextBlockError("bad_length", f"a text block is {TEXT_LEN} bytes, got {len(block)}")
    kind = block[_CARD_TYPE_AT : _CARD_TYPE_AT + 2].decode("utf-16-le", "replace")
    if kind not in (" ", "\x00"):
        raise TextBlockError(
            "unsupported_card_type",
            f"card type {kind!r} (I = foreigner's permanent residence card, J = residence "
            "permit for Hong Kong, Macao and Taiwan residents) is not a resident ID card",
        )
    f = _fields(block)
    if f["sex"] not in SEXES or f["nation"] not in NATIONS:
        raise TextBlockError("bad_code", "text block sex or nation code is not a known code")
    until = f["valid_until"]
    try:
        return IdCardText(
            name=f["name"],
            sex=SEXES[f["sex"]],
            nation=NATIONS[f["nation"]],
            birth_date=_date("birth_date", f["birth_date"]),
            address=f["address"],
            id_number=f["id_number"],
            issuer=f["issuer"],
            valid_from=_date("valid_from", f["valid_from"]),
            valid_until=LONG_TERM if until == LONG_TERM else _date("valid_until", until),
        )
    except ValidationError as err:
        where = ", ".join(".".join(map(str, e["loc"])) for e in err.errors())
        raise TextBlockError("bad_field", f"text block field(s) invalid: {where}") from err


def _ymd(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def build_text_block(card: IdCardText) -> bytes:
    """Encode ``card`` as the 256-byte block, each field space-padded UCS-2 LE."""
    until = card.valid_until
    values = {
        "name": card.name,
        "sex": card.sex_code,
        "nation": card.nation_code,
        "birth_date": _ymd(card.birth_date),
        "address": card.address,
        "id_number": card.id_number,
        "issuer": card.issuer,
        "valid_from": _ymd(card.valid_from),
        "valid_until": until if isinstance(until, str) else _ymd(until),
        "reserved": "",
    }
    return b"".join(values[name].ljust(size // 2).encode("utf-16-le") for name, size in LAYOUT)


def build_read_data(text_block: bytes, photo: bytes) -> bytes:
    """Data of a ``30 01`` reply: text length, photo length (big-endian), text, photo."""
    return len(text_block).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text_block + photo


def split_read_data(data: bytes) -> tuple[bytes, bytes]:
    """(text block, photo) from a ``30 01`` reply; raises :class:`TextBlockError`."""
    if len(data) < 4:
        raise TextBlockError("bad_length", f"read reply data is {len(data)} bytes, too short")
    text_len, photo_len = int.from_bytes(data[:2], "big"), int.from_bytes(data[2:4], "big")
    if (text_len, photo_len) != (TEXT_LEN, PHOTO_LEN) or len(data) != 4 + text_len + photo_len:
        raise TextBlockError(
            "bad_length",
            f"read reply declares text {text_len} + photo {photo_len} bytes in {len(data)} "
            f"bytes of data; expected {TEXT_LEN} + {PHOTO_LEN} in {4 + TEXT_LEN + PHOTO_LEN}",
        )
    return data[4 : 4 + text_len], data[4 + text_len :]
