"""Validators for the identifiers a government portal lives on: pure functions, no I/O.

- Resident ID numbers (公民身份号码, GB 11643-1999), including the residence permits for Hong
  Kong, Macao and Taiwan residents (港澳台居民居住证), which use the same format.
- Unified social credit codes (统一社会信用代码, GB 32100-2015).
- Mainland mobile numbers.

Every identifier has three functions:

- ``parse_*`` / ``normalise_*``: return the normalised value or raise :class:`ValidationError`
  carrying a stable ``code`` and an English and a Chinese message;
- ``is_valid_*``: the same check as a bool (never raises);
- ``mask_*`` (ID and mobile): the form to show on screens and in logs.

Input is tolerant where a person typing would reasonably differ: surrounding whitespace is
stripped and full-width characters (``１２３``, ``Ｘ``) are folded to ASCII (NFKC); a lowercase
``x`` check character is accepted and upper-cased. :class:`ValidationError` is a
:class:`govhall.kit.errors.DomainError` (kind INVALID, so gRPC INVALID_ARGUMENT / HTTP 400) and
also a :class:`ValueError`, so raising it inside a pydantic validator gives a normal pydantic
validation error.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Final

from govhall.kit.errors import DomainError, ErrorKind, FieldError

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "CREDIT_CODE_AUTHORITIES",
    "ID_NUMBER_PROVINCES",
    "ValidationError",
    "credit_code_check_char",
    "id_number_birth_date",
    "id_number_check_char",
    "is_valid_credit_code",
    "is_valid_id_number",
    "is_valid_mobile",
    "mask_id_number",
    "mask_mobile",
    "normalise_credit_code",
    "normalise_id_number",
    "normalise_mobile",
    "parse_credit_code",
    "parse_id_number",
    "parse_mobile",
]


class ValidationError(DomainError, ValueError):
    """A value failed validation.

    ``code`` is stable (for example ``ID_NUMBER_BAD_CHECKSUM``) and is what callers and tests
    compare; ``message`` is English and ``message_zh`` Chinese, both fit to show to a user.
    When the caller passed ``field=...`` the error also carries one :class:`FieldError` for it.
    """

    def __init__(self, code: str, message: str, message_zh: str, field: str | None = None) -> None:
        fields = [FieldError(field, message, message_zh)] if field else []
        DomainError.__init__(
            self, code=code, message=message, message_zh=message_zh, kind=ErrorKind.INVALID, fields=fields
        )

    # DomainError is a (non-frozen) dataclass, which makes instances unhashable; exceptions
    # are hashed by some tooling (e.g. traceback de-duplication), so restore identity hashing.
    __hash__ = Exception.__hash__


def _clean(value: object) -> str | None:
    """Fold full-width characters to ASCII and strip surrounding whitespace; None if not a str."""
    if not isinstance(value, str):
        return None
    return unicodedata.normalize("NFKC", value).strip()


def _not_text(value: object, code: str, what: str, what_zh: str, field: str | None) -> ValidationError | None:
    """The error for a value that is neither None nor a str (a number from a JSON body, say)."""
    if value is None or isinstance(value, str):
        return None
    return ValidationError(
        code, f"{what} must be text, got {type(value).__name__}", f"{what_zh}应为文本", field
    )


# --------------------------------------------------------------------------------------------
# Resident ID numbers (GB 11643-1999)
# --------------------------------------------------------------------------------------------

_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS: Final = "10X98765432"  # indexed by (Σ weight·digit) mod 11

#: First two digits of the address code (GB/T 2260 province-level divisions) accepted in an ID
#: number. The 31 mainland provinces, autonomous regions and municipalities:
#: 11–15 (北京 天津 河北 山西 内蒙古), 21–23 (辽宁 吉林 黑龙江), 31–37 (上海 江苏 浙江 安徽 福建
#: 江西 山东), 41–46 (河南 湖北 湖南 广东 广西 海南), 50–54 (重庆 四川 贵州 云南 西藏),
#: 61–65 (陕西 甘肃 青海 宁夏 新疆); and 81 香港, 82 澳门, 83 台湾, the prefixes (810000, 820000,
#: 830000) of the residence permits for Hong Kong, Macao and Taiwan residents (国办发〔2018〕81号),
#: which use the GB 11643 layout and check character.
#: Not accepted: 71 (台湾省 in GB/T 2260), under which no ID number or permit is issued — a
#: Taiwan resident's permit starts with 83; and all other two-digit prefixes (no such province).
#: Province codes have existed unchanged since 18-digit numbers began in 1999 (Chongqing 50 dates
#: from 1997, Hainan 46 from 1988), so every real 18-digit number starts with one of these.
ID_NUMBER_PROVINCES: Final[frozenset[str]] = frozenset(
    [str(n) for n in range(11, 16)]
    + [str(n) for n in range(21, 24)]
    + [str(n) for n in range(31, 38)]
    + [str(n) for n in range(41, 47)]
    + [str(n) for n in range(50, 55)]
    + [str(n) for n in range(61, 66)]
    + ["81", "82", "83"]
)

_ID_SHAPE: Final = re.compile(r"[0-9]{17}[0-9X]")
_EARLIEST_BIRTH: Final = dt.date(1900, 1, 1)


def id_number_check_char(body: str) -> str:
    """The GB 11643 check character ('0'–'9' or 'X') for the first 17 digits of an ID number.

    Weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; Σ mod 11 maps 0..10 to ``1 0 X 9 8 7 6 5 4 3 2``.
    Raises ValueError if ``body`` is not exactly 17 ASCII digits.
    """
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise ValueError(f"an ID number body is 17 digits, got {body!r}")
    total = sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def parse_id_number(value: object, *, today: dt.date | None = None, field: str | None = None) -> str:
    """Return the normalised 18-character resident ID number or raise :class:`ValidationError`.

    Checks, in this order (the first failure is reported):

    - ``ID_NUMBER_EMPTY``: missing (None) or blank;
    - ``ID_NUMBER_BAD_FORMAT`` also when the value is not a str;
    - ``ID_NUMBER_BAD_LENGTH``: not 18 characters (the old 15-digit numbers are not accepted);
    - ``ID_NUMBER_BAD_FORMAT``: not 17 digits followed by a digit or X;
    - ``ID_NUMBER_BAD_REGION``: the first two digits are not a province-level code
      (see :data:`ID_NUMBER_PROVINCES`);
    - ``ID_NUMBER_BAD_DATE``: characters 7–14 are not a real date between 1900-01-01 and
      ``today`` (default: the system date);
    - ``ID_NUMBER_BAD_CHECKSUM``: the check character does not match.

    Normalisation: whitespace stripped, full-width folded, lowercase ``x`` upper-cased.
    ``field`` names the input field in the error (for forms).
    """
    if error := _not_text(value, "ID_NUMBER_BAD_FORMAT", "ID number", "身份证号码", field):
        raise error
    cleaned = _clean(value)
    if not cleaned:
        raise ValidationError("ID_NUMBER_EMPTY", "ID number is required", "请填写身份证号码", field)
    number = cleaned.upper()
    if len(number) != 18:
        raise ValidationError(
            "ID_NUMBER_BAD_LENGTH",
            f"ID number must have 18 characters, got {len(number)}",
            f"身份证号码应为18位，当前为{len(number)}位",
            field,
        )
    if not _ID_SHAPE.fullmatch(number):
        raise ValidationError(
            "ID_NUMBER_BAD_FORMAT",
            "ID number must be 17 digits followed by a digit or X",
            "身份证号码格式错误：应为17位数字加1位数字或X",
            field,
        )
    if number[:2] not in ID_NUMBER_PROVINCES:
        raise ValidationError(
            "ID_NUMBER_BAD_REGION",
            f"ID number region code {number[:6]} is not in a known province",
            f"身份证号码地址码{number[:6]}不属于有效的省级行政区",
            field,
        )
    birth = _birth_date(number)
    latest = today if today is not None else dt.date.today()
    if birth is None or not (_EARLIEST_BIRTH <= birth <= latest):
        raise ValidationError(
            "ID_NUMBER_BAD_DATE",
            f"ID number birth date {number[6:14]} is not a valid date",
            f"身份证号码中的出生日期{number[6:14]}无效",
            field,
        )
    if id_number_check_char(number[:17]) != number[17]:
        raise ValidationError(
            "ID_NUMBER_BAD_CHECKSUM",
            "ID number check character is wrong",
            "身份证号码校验位错误",
            field,
        )
    return number


normalise_id_number = parse_id_number


def is_valid_id_number(value: object, *, today: dt.date | None = None) -> bool:
    """True if :func:`parse_id_number` would accept ``value``."""
    try:
        parse_id_number(value, today=today)
    except ValidationError:
        return False
    return True


def _birth_date(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def id_number_birth_date(value: object, *, today: dt.date | None = None) -> dt.date:
    """The date of birth encoded in a valid ID number (raises :class:`ValidationError` if invalid)."""
    birth = _birth_date(parse_id_number(value, today=today))
    assert birth is not None  # parse_id_number checked it
    return birth


def mask_id_number(value: str) -> str:
    """The ID number for display: first 4 and last 4 characters kept, the rest ``*``.

    ``mask_id_number("420102199003071234") == "4201**********1234"``. It does not validate: any
    string is masked (a lowercase x is shown as X); strings of 8 characters or fewer are masked
    entirely, so nothing short leaks whole.
    """
    text = (_clean(value) or "").upper()
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


# --------------------------------------------------------------------------------------------
# Unified social credit codes (GB 32100-2015)
# --------------------------------------------------------------------------------------------

#: The 31 characters of a credit code: digits and capitals without I, O, S, V, Z.
CREDIT_CODE_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES: Final = {c: i for i, c in enumerate(CREDIT_CODE_ALPHABET)}
_CREDIT_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

#: Registration authority codes (登记管理部门代码, character 1) in use. GB 32100-2015 assigns 1 机构
#: 编制, 5 民政, 9 工商 (now 市场监管) and Y 其他; later allocations by the national code centre
#: added 2 外交, 3 司法行政, 4 文化, 6 旅游, 7 宗教, 8 工会, A 中央军委改革和编制办公室 and
#: N 农业 (农村集体经济组织). Character 2, the organisation category (机构类别), is a digit 1–9 under
#: every authority (e.g. 91 企业, 92 个体工商户, 93 农民专业合作社, 51 社会团体, 11 机关,
#: N2 村级集体经济组织); per-authority category lists change, so only the digit is checked.
CREDIT_CODE_AUTHORITIES: Final[dict[str, str]] = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "工商（市场监管）",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
    "Y": "其他",
}


def credit_code_check_char(body: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code.

    check = 31 − (Σ value·weight mod 31), with 31 written as '0'. Raises ValueError if ``body``
    is not 17 characters of :data:`CREDIT_CODE_ALPHABET`.
    """
    if len(body) != 17 or any(c not in _CREDIT_VALUES for c in body):
        raise ValueError(f"a credit code body is 17 characters of {CREDIT_CODE_ALPHABET}, got {body!r}")
    total = sum(_CREDIT_VALUES[c] * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def parse_credit_code(value: object, *, field: str | None = None) -> str:
    """Return the normalised unified social credit code or raise :class:`ValidationError`.

    Checks, in this order:

    - ``CREDIT_CODE_EMPTY``: missing (None) or blank (``CREDIT_CODE_BAD_CHARS`` if not a str);
    - ``CREDIT_CODE_BAD_LENGTH``: not 18 characters;
    - ``CREDIT_CODE_BAD_CHARS``: a character outside :data:`CREDIT_CODE_ALPHABET` (notably
      I, O, S, V, Z, which the code never uses);
    - ``CREDIT_CODE_BAD_AUTHORITY``: character 1 is not a registration authority code
      (:data:`CREDIT_CODE_AUTHORITIES`);
    - ``CREDIT_CODE_BAD_CATEGORY``: character 2 is not a digit 1–9;
    - ``CREDIT_CODE_BAD_REGION``: characters 3–8 are not six digits starting with a province
      code or ``10`` (central-level registrations use ``100000``);
    - ``CREDIT_CODE_BAD_CHECK_CHAR``: character 18 does not match.

    Characters 9–17 (the organisation code, GB 11714) have a check digit of their own; it is
    not enforced, as codes assigned since 2015 are only guaranteed to satisfy GB 32100.
    Normalisation: whitespace stripped, full-width folded, letters upper-cased.
    """
    if error := _not_text(value, "CREDIT_CODE_BAD_CHARS", "credit code", "统一社会信用代码", field):
        raise error
    cleaned = _clean(value)
    if not cleaned:
        raise ValidationError("CREDIT_CODE_EMPTY", "credit code is required", "请填写统一社会信用代码", field)
    code = cleaned.upper()
    if len(code) != 18:
        raise ValidationError(
            "CREDIT_CODE_BAD_LENGTH",
            f"unified social credit code must have 18 characters, got {len(code)}",
            f"统一社会信用代码应为18位，当前为{len(code)}位",
            field,
        )
    bad = sorted({c for c in code if c not in _CREDIT_VALUES})
    if bad:
        shown = "".join(bad)
        raise ValidationError(
            "CREDIT_CODE_BAD_CHARS",
            f"unified social credit code contains characters it never uses: {shown}",
            f"统一社会信用代码含有无效字符：{shown}（不使用I、O、S、V、Z）",
            field,
        )
    if code[0] not in CREDIT_CODE_AUTHORITIES:
        raise ValidationError(
            "CREDIT_CODE_BAD_AUTHORITY",
            f"unified social credit code starts with an unknown registration authority code {code[0]}",
            f"统一社会信用代码的登记管理部门代码{code[0]}无效",
            field,
        )
    if code[1] not in "123456789":
        raise ValidationError(
            "CREDIT_CODE_BAD_CATEGORY",
            f"unified social credit code has an invalid organisation category {code[1]}",
            f"统一社会信用代码的机构类别代码{code[1]}无效",
            field,
        )
    region = code[2:8]
    if not region.isdigit() or (region[:2] not in ID_NUMBER_PROVINCES and region[:2] != "10"):
        raise ValidationError(
            "CREDIT_CODE_BAD_REGION",
            f"unified social credit code has an invalid administrative division code {region}",
            f"统一社会信用代码的登记管理机关行政区划码{region}无效",
            field,
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            "CREDIT_CODE_BAD_CHECK_CHAR",
            "unified social credit code check character is wrong",
            "统一社会信用代码校验位错误",
            field,
        )
    return code


normalise_credit_code = parse_credit_code


def is_valid_credit_code(value: object) -> bool:
    """True if :func:`parse_credit_code` would accept ``value``."""
    try:
        parse_credit_code(value)
    except ValidationError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Mainland mobile numbers
# --------------------------------------------------------------------------------------------

_MOBILE_SEPARATORS: Final = re.compile(r"[\s\-]+")


def parse_mobile(value: object, *, field: str | None = None) -> str:
    """Return the 11-digit mainland mobile number or raise :class:`ValidationError`.

    Accepted input: an optional country prefix ``+86``, ``0086`` or ``86`` (the bare ``86`` only
    when 11 digits follow), spaces and hyphens anywhere, full-width digits. The result is the
    11 digits, e.g. ``"+86 138-1234-5678" -> "13812345678"``.

    Codes: ``MOBILE_EMPTY`` (None or blank); ``MOBILE_BAD_FORMAT`` (not a str, other characters, or not 11 digits after the
    prefix); ``MOBILE_BAD_PREFIX`` (11 digits that do not start with 1 and then 3–9).
    """
    if error := _not_text(value, "MOBILE_BAD_FORMAT", "mobile number", "手机号码", field):
        raise error
    cleaned = _clean(value)
    if not cleaned:
        raise ValidationError("MOBILE_EMPTY", "mobile number is required", "请填写手机号码", field)
    digits = _MOBILE_SEPARATORS.sub("", cleaned)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        raise ValidationError(
            "MOBILE_BAD_FORMAT",
            "mobile number must be 11 digits (optionally after +86)",
            "手机号码格式错误：应为11位数字",
            field,
        )
    if digits[0] != "1" or digits[1] not in "3456789":
        raise ValidationError(
            "MOBILE_BAD_PREFIX",
            "mobile number must start with 13–19",
            "手机号码应以13至19开头",
            field,
        )
    return digits


normalise_mobile = parse_mobile


def is_valid_mobile(value: object) -> bool:
    """True if :func:`parse_mobile` would accept ``value``."""
    try:
        parse_mobile(value)
    except ValidationError:
        return False
    return True


def mask_mobile(value: str) -> str:
    """The mobile number for display: ``mask_mobile("13812345678") == "138****5678"``.

    A number :func:`parse_mobile` accepts is normalised first (so ``+86 138 1234 5678`` masks the
    same way); any other string keeps its first 3 and last 4 characters (everything masked if
    it has 7 characters or fewer). It never raises.
    """
    try:
        text = parse_mobile(value)
    except ValidationError:
        text = _clean(value) or ""
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]
