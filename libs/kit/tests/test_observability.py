"""Log redaction: no full ID number or mobile number reaches a log line, tracebacks included."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from govhall.kit import observability
from govhall.kit.observability import RedactingFormatter, redact

ID_NUMBER = "420102199003071234"
ID_NUMBER_X = "11010519491231002x"
MOBILE = "13812345678"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing through a RedactingFormatter into a string."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("govhall.test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, out
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_id_numbers_mobiles_and_tracebacks_are_masked(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = captured
    logger.info("applicant %s (mobile %s) agent id=%s", ID_NUMBER, MOBILE, ID_NUMBER_X)
    try:
        raise ValueError(f"ID number {ID_NUMBER} failed the checksum; call {MOBILE}")
    except ValueError:
        logger.exception("could not register")
    text = out.getvalue()
    assert ID_NUMBER not in text and MOBILE not in text and ID_NUMBER_X.upper() not in text.upper()
    assert "4201**********1234" in text
    assert "1101**********002X" in text
    assert "138****5678" in text
    # The traceback is there, masked too.
    assert "Traceback (most recent call last)" in text
    assert "ValueError: ID number 4201**********1234 failed the checksum; call 138****5678" in text


def test_other_numbers_are_left_alone(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = captured
    twenty = "12345678901234567890"
    uuid_like = "0198e0c2-7a3c-7abc-8def-123456789012"
    millis = "1709800000123"
    stamp = "20240307123456789"
    twelve = "138123456789"
    logger.info("order %s case %s at %s (%s) ref %s", twenty, uuid_like, millis, stamp, twelve)
    text = out.getvalue()
    for value in (twenty, uuid_like, millis, stamp, twelve):
        assert value in text
    assert "*" not in text


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("tel:13812345678;", "tel:138****5678;"),
        ("+8613812345678", "+86138****5678"),
        ("+86 138 1234 5678", "+86 138****5678"),
        ("138-1234-5678", "138****5678"),
        ("ID:420102199003071234.", "ID:4201**********1234."),
        ("身份证号420102199003071234，手机13812345678", "身份证号4201**********1234，手机138****5678"),
        ("４２０１０２１９９００３０７１２３４", "4201**********1234"),
    ],
)
def test_redact(raw: str, masked: str) -> None:
    assert redact(raw) == masked


def test_setup_installs_the_redacting_formatter(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    monkeypatch.setattr(observability, "_configured", False)
    root.handlers = []
    try:
        observability.setup("test", "INFO")
        assert len(root.handlers) == 1
        assert isinstance(root.handlers[0].formatter, RedactingFormatter)
    finally:
        root.handlers = saved_handlers
        root.setLevel(saved_level)
