"""The GA/T 490 text block of a resident ID card (机读文字信息, 256 bytes UCS-2 LE), its masks
and the ID-number check digit. Personal data never appears in a ``repr``/``str``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from protocols.errors import ProtocolError
from protocols.idcard.frames import LONG_TERM, PHOTO_LEN, TEXT_LEN

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


def id_number_problem(id_number: str) -> tuple[str, str] | None:
    """What is wrong with a typed ID number, for the citizen in Chinese and English (None: it
    is a valid one). The one wording every kiosk screen and cloud check uses."""
    value = id_number.strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        return (
            "身份证号码应为 18 位：17 位数字加最后一位数字或 X，请核对后重新输入。",
            "An ID number has 18 characters: 17 digits and a last digit or X. Please check it.",
        )
    if not is_valid_id_number(value):
        return (
            "身份证号码有误（校验位不符），请核对后重新输入。",
            "This ID number is not valid (its check digit does not match). Please check it.",
        )
    return None


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
