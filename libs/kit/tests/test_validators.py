from __future__ import annotations

import datetime as dt
import random

import pytest

from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.validators import (
    CREDIT_CODE_ALPHABET,
    ID_NUMBER_PROVINCES,
    ValidationError,
    credit_code_check_char,
    id_number_birth_date,
    id_number_check_char,
    is_valid_credit_code,
    is_valid_id_number,
    is_valid_mobile,
    mask_id_number,
    mask_mobile,
    normalise_credit_code,
    normalise_id_number,
    normalise_mobile,
    parse_credit_code,
    parse_id_number,
    parse_mobile,
)

TODAY = dt.date(2025, 6, 1)


def make_id(region: str, birth: str, seq: str) -> str:
    body = region + birth + seq
    return body + id_number_check_char(body)


def code_of(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return exc.value.code


# ------------------------------------------------------------------------------- ID numbers


def test_id_number_known_valid_example() -> None:
    assert parse_id_number("11010519491231002X") == "11010519491231002X"
    assert is_valid_id_number("11010519491231002X")
    assert id_number_check_char("11010519491231002") == "X"


def test_id_number_lowercase_x_is_normalised() -> None:
    assert parse_id_number("11010519491231002x") == "11010519491231002X"
    assert normalise_id_number(" 11010519491231002x\n") == "11010519491231002X"


def test_id_number_full_width_input_is_folded() -> None:
    assert parse_id_number("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("11010519491231002", "X"),  # DOMAIN.md
        ("44052418800101001", "4"),  # the worked example in GB 11643-1999 (Σ = 195, mod 11 = 8)
        ("42010219900307123", "2"),  # by hand: Σ = 208, mod 11 = 10
    ],
)
def test_id_check_char_matches_hand_computation(body: str, check: str) -> None:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    expected = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    assert id_number_check_char(body) == expected == check


def test_id_number_bad_checksum() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_id_number("110105194912310021")
    assert exc.value.code == "ID_NUMBER_BAD_CHECKSUM"
    assert exc.value.message_zh == "身份证号码校验位错误"
    assert "check character" in exc.value.message
    assert not is_valid_id_number("110105194912310021")


@pytest.mark.parametrize("value", ["11010519491231002", "11010519491231002X1", "110105491231002"])
def test_id_number_bad_length(value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_id_number(value)
    assert exc.value.code == "ID_NUMBER_BAD_LENGTH"
    assert "18" in exc.value.message_zh


@pytest.mark.parametrize(
    "value", ["1101051949123100XX", "11010519491231A02X", "11010519491231002Y", "1101051949-231002X"]
)
def test_id_number_bad_format(value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_id_number(value)
    assert exc.value.code == "ID_NUMBER_BAD_FORMAT"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_id_number_empty(value: object) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_id_number(value)
    assert exc.value.code == "ID_NUMBER_EMPTY"
    assert exc.value.message_zh == "请填写身份证号码"
    assert not is_valid_id_number(value)


def test_id_number_not_text() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_id_number(110105194912310021)
    assert exc.value.code == "ID_NUMBER_BAD_FORMAT"


@pytest.mark.parametrize(
    "birth",
    [
        "19490230",  # 30 February
        "19491301",  # month 13
        "19490001",  # month 0
        "19490100",  # day 0
        "18991231",  # before 1900
        "20250602",  # after TODAY
        "21000101",  # far future
        "20230229",  # not a leap year
    ],
)
def test_id_number_bad_date(birth: str) -> None:
    value = make_id("110105", birth, "002")  # correct check char: only the date is wrong
    with pytest.raises(ValidationError) as exc:
        parse_id_number(value, today=TODAY)
    assert exc.value.code == "ID_NUMBER_BAD_DATE"
    assert "出生日期" in exc.value.message_zh


@pytest.mark.parametrize("birth", ["19000101", "20240229", "20250601", "19491231"])
def test_id_number_date_edges_accepted(birth: str) -> None:
    assert is_valid_id_number(make_id("110105", birth, "002"), today=TODAY)


def test_id_number_default_today_rejects_tomorrow() -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    value = make_id("110105", tomorrow.strftime("%Y%m%d"), "002")
    assert not is_valid_id_number(value)
    assert is_valid_id_number(value, today=tomorrow)


def test_id_number_birth_date() -> None:
    assert id_number_birth_date("11010519491231002X") == dt.date(1949, 12, 31)


def test_id_number_provinces_documented_set() -> None:
    mainland = {
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
    }
    assert len(mainland) == 31
    assert {str(n) for n in mainland} | {"81", "82", "83"} == ID_NUMBER_PROVINCES


@pytest.mark.parametrize("region", ["110105", "420102", "440304", "460100", "500101", "540102", "650102"])
def test_id_number_mainland_regions_accepted(region: str) -> None:
    assert is_valid_id_number(make_id(region, "19900307", "123"), today=TODAY)


@pytest.mark.parametrize("region", ["810000", "820000", "830000"])
def test_residence_permit_regions_accepted(region: str) -> None:
    assert is_valid_id_number(make_id(region, "19900307", "123"), today=TODAY)


@pytest.mark.parametrize(
    "region",
    [
        "000000",
        "100000",
        "160000",
        "240000",
        "380000",
        "470000",
        "550000",
        "660000",
        "710000",
        "840000",
        "990000",
    ],
)
def test_id_number_bad_region(region: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_id_number(make_id(region, "19900307", "123"), today=TODAY)
    assert exc.value.code == "ID_NUMBER_BAD_REGION"


def test_id_number_exactly_one_check_char_validates() -> None:
    rng = random.Random(11643)
    provinces = sorted(ID_NUMBER_PROVINCES)
    start, span = dt.date(1900, 1, 1).toordinal(), TODAY.toordinal() - dt.date(1900, 1, 1).toordinal()
    for _ in range(200):
        birth = dt.date.fromordinal(start + rng.randrange(span + 1)).strftime("%Y%m%d")
        body = rng.choice(provinces) + f"{rng.randrange(10_000):04d}" + birth + f"{rng.randrange(1000):03d}"
        valid = [c for c in "0123456789X" if is_valid_id_number(body + c, today=TODAY)]
        assert valid == [id_number_check_char(body)]
        # lowercase x is the same number
        assert is_valid_id_number(body + valid[0].lower(), today=TODAY)


def test_id_check_char_rejects_bad_body() -> None:
    with pytest.raises(ValueError):
        id_number_check_char("1234")
    with pytest.raises(ValueError):
        id_number_check_char("1101051949123100X")


def test_mask_id_number() -> None:
    assert mask_id_number("420102199003071234") == "4201**********1234"
    assert mask_id_number("11010519491231002x") == "1101**********002X"
    assert mask_id_number("110105491231002") == "1101*******1002"  # old 15-digit numbers mask too
    assert mask_id_number("12345678") == "********"
    assert mask_id_number("") == ""


def test_validation_error_fits_the_error_model() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_id_number("110105194912310021", field="applicant.idNumber")
    err = exc.value
    assert issubclass(ValidationError, DomainError) and issubclass(ValidationError, ValueError)
    assert err.kind is ErrorKind.INVALID
    assert [f.field for f in err.fields] == ["applicant.idNumber"]
    assert err.fields[0].message_zh == "身份证号码校验位错误"
    assert str(err).startswith("ID_NUMBER_BAD_CHECKSUM")
    hash(err)  # usable in sets / by tooling


def test_validation_error_inside_pydantic_model() -> None:
    import pydantic

    class Applicant(pydantic.BaseModel):
        id_number: str

        @pydantic.field_validator("id_number")
        @classmethod
        def _check(cls, value: str) -> str:
            return parse_id_number(value)

    assert Applicant(id_number="11010519491231002x").id_number == "11010519491231002X"
    with pytest.raises(pydantic.ValidationError, match="check character"):
        Applicant(id_number="110105194912310021")


# ------------------------------------------------------------------------ credit codes

REAL_CREDIT_CODES = [
    "91350100M000100Y43",  # the frequently cited example
    "11100000000013338W",  # from the e-licence identifier example in DOMAIN.md
    "11430000006122244L",  # ditto
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "91110108551385082Q",  # 北京小米科技有限责任公司
]


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_real_credit_codes_validate(code: str) -> None:
    assert parse_credit_code(code) == code
    assert credit_code_check_char(code[:17]) == code[17]
    assert is_valid_credit_code(code)


def test_credit_code_check_char_matches_formula() -> None:
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = "91350100M000100Y4"
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(body, weights, strict=True))
    assert total % 31 == 28
    assert credit_code_check_char(body) == CREDIT_CODE_ALPHABET[31 - 28] == "3"


def test_credit_code_check_value_31_is_written_0() -> None:
    rng = random.Random(32100)
    for _ in range(10_000):
        body = "91" + "110108" + "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
        weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
        if sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(body, weights, strict=True)) % 31 == 0:
            assert credit_code_check_char(body) == "0"
            assert is_valid_credit_code(body + "0")
            return
    pytest.fail("no body with Σ mod 31 == 0 found")


def test_credit_code_lowercase_and_full_width_normalised() -> None:
    assert normalise_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert parse_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


def test_credit_code_bad_check_char() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_credit_code("91350100M000100Y44")
    assert exc.value.code == "CREDIT_CODE_BAD_CHECK_CHAR"
    assert exc.value.message_zh == "统一社会信用代码校验位错误"


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_credit_code_letters_never_used(letter: str) -> None:
    code = "91350100M000100" + letter + "43"
    with pytest.raises(ValidationError) as exc:
        parse_credit_code(code)
    assert exc.value.code == "CREDIT_CODE_BAD_CHARS"
    assert letter in exc.value.message


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y431", "", "9"])
def test_credit_code_bad_length(code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_credit_code(code)
    assert exc.value.code == ("CREDIT_CODE_EMPTY" if not code else "CREDIT_CODE_BAD_LENGTH")


def with_check(body: str) -> str:
    return body + credit_code_check_char(body)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("01350100M000100Y4", "CREDIT_CODE_BAD_AUTHORITY"),
        ("B1350100M000100Y4", "CREDIT_CODE_BAD_AUTHORITY"),
        ("90350100M000100Y4", "CREDIT_CODE_BAD_CATEGORY"),
        ("9A350100M000100Y4", "CREDIT_CODE_BAD_CATEGORY"),
        ("9135A100M000100Y4", "CREDIT_CODE_BAD_REGION"),
        ("91990100M000100Y4", "CREDIT_CODE_BAD_REGION"),
        ("91000000M000100Y4", "CREDIT_CODE_BAD_REGION"),
    ],
)
def test_credit_code_structure(body: str, code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_credit_code(with_check(body))  # check char is right: only the structure is wrong
    assert exc.value.code == code


@pytest.mark.parametrize("prefix", ["11", "12", "31", "51", "52", "53", "91", "92", "93", "N2", "A1", "Y1"])
def test_credit_code_authorities_and_categories(prefix: str) -> None:
    assert is_valid_credit_code(with_check(prefix + "420100" + "MA4K0L2X1"))


def test_credit_code_exactly_one_check_char_validates() -> None:
    rng = random.Random(31)
    regions = sorted(ID_NUMBER_PROVINCES)
    for _ in range(200):
        body = (
            rng.choice("159NY")
            + rng.choice("123")
            + rng.choice(regions)
            + f"{rng.randrange(10_000):04d}"
            + "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
        )
        valid = [c for c in CREDIT_CODE_ALPHABET if is_valid_credit_code(body + c)]
        assert valid == [credit_code_check_char(body)]


def test_credit_code_check_char_rejects_bad_body() -> None:
    with pytest.raises(ValueError):
        credit_code_check_char("91350100M000100I4")
    with pytest.raises(ValueError):
        credit_code_check_char("9135")


def test_credit_code_not_text() -> None:
    assert not is_valid_credit_code(None)
    assert not is_valid_credit_code(913501)


# ---------------------------------------------------------------------------- mobiles


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        "+8613812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "008613812345678",
        "0086 138 1234 5678",
        "8613812345678",
        "86 138 1234 5678",
        "138-1234-5678",
        " 138 1234 5678 ",
        "１３８１２３４５６７８",
    ],
)
def test_mobile_accepted_forms(value: str) -> None:
    assert parse_mobile(value) == "13812345678"
    assert normalise_mobile(value) == "13812345678"
    assert is_valid_mobile(value)


@pytest.mark.parametrize("second", list("3456789"))
def test_mobile_second_digit_3_to_9(second: str) -> None:
    assert is_valid_mobile("1" + second + "912345678")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1381234567", "MOBILE_BAD_FORMAT"),  # 10 digits
        ("138123456789", "MOBILE_BAD_FORMAT"),  # 12 digits
        ("1381234567a", "MOBILE_BAD_FORMAT"),
        ("(138)12345678", "MOBILE_BAD_FORMAT"),
        ("+1 415 555 0100", "MOBILE_BAD_FORMAT"),
        ("+8513812345678", "MOBILE_BAD_FORMAT"),
        ("10086", "MOBILE_BAD_FORMAT"),
        ("+86 0138 1234 5678", "MOBILE_BAD_FORMAT"),
        ("12812345678", "MOBILE_BAD_PREFIX"),
        ("11812345678", "MOBILE_BAD_PREFIX"),
        ("10812345678", "MOBILE_BAD_PREFIX"),
        ("23812345678", "MOBILE_BAD_PREFIX"),
        ("86138123456", "MOBILE_BAD_PREFIX"),  # 11 digits: "86" is not a prefix here
        ("", "MOBILE_EMPTY"),
        (None, "MOBILE_EMPTY"),
        (13812345678, "MOBILE_BAD_FORMAT"),
    ],
)
def test_mobile_rejected(value: object, code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_mobile(value)
    assert exc.value.code == code
    assert exc.value.message_zh
    assert not is_valid_mobile(value)


def test_mask_mobile() -> None:
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("+86 138 1234 5678") == "138****5678"
    assert mask_mobile("0551-1234567") == "055*****4567"  # not a mobile: masked as typed
    assert mask_mobile("1234567") == "*******"
    assert mask_mobile("") == ""
