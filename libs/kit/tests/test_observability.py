"""Log redaction: no full ID number or mobile number reaches a log line, tracebacks included."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn

from govhall.kit import observability
from govhall.kit.observability import RedactingFormatter, redact
from govhall.kit.ports import free_port
from govhall.kit.testing import wait_until

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


# What the issue found in the access log: 号 percent-encoded (%E5%8F%B7) ends in a digit.
SEARCH_ID = "/api/v1/sites/420502/search?q=" + quote("身份证号420502199003070127")
SEARCH_MOBILE = "/api/v1/sites/420502/search?q=" + quote("手机号13812340012")


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        (SEARCH_ID, SEARCH_ID.replace("420502199003070127", "4205**********0127")),
        (SEARCH_MOBILE, SEARCH_MOBILE.replace("13812340012", "138****0012")),
        # Digits percent-encoded themselves, or encoded twice.
        ("q=" + quote("4205021990030701", safe="") + "%32%37", "q=4205**********0127"),
        ("q=%25E5%258F%25B713812340012", "q=%25E5%258F%25B7138****0012"),
        # `+` is a space in a query: a mobile grouped 3-4-4.
        ("q=138+1234+0012&page=1", "q=138****0012&page=1"),
        ("q=%2B86%20138%201234%200012", "q=%2B86 138****0012"),
        # JSON's \uXXXX escapes (json.dumps with ensure_ascii) and a bytes repr.
        (json.dumps({"q": "手机号13812340012"}), '{"q": "\\u624b\\u673a\\u53f7138****0012"}'),
        (repr("号420502199003070127".encode()), "b'\\xe5\\x8f\\xb74205**********0127'"),
        # What does not decode stays as it was, and still separates digits.
        ("x=%FF%0A13812340012 \\ud800", "x=%FF%0A138****0012 \\ud800"),
    ],
)
def test_redact_decodes_before_matching(raw: str, masked: str) -> None:
    assert redact(raw) == masked


def test_other_numbers_stay_when_encoded() -> None:
    line = "GET /api/v1/cases?q=%E5%8F%B7138123456789&ref=%E5%8F%B712345678901234567890 +0800"
    assert redact(line) == line


async def test_the_uvicorn_access_log_line_is_masked(captured: tuple[logging.Logger, io.StringIO]) -> None:
    """A real uvicorn server logging its access line (log_config=None, as the gateway runs it)."""
    logger, out = captured
    access = logging.getLogger("uvicorn.access")
    saved = access.handlers[:], access.level, access.propagate
    access.handlers, access.propagate = logger.handlers[:], False
    access.setLevel(logging.INFO)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started, what="uvicorn started")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for target in (SEARCH_ID, SEARCH_MOBILE):
                assert (await client.get(target)).status_code == 200
        await wait_until(lambda: out.getvalue().count("HTTP/1.1") >= 2, what="two access log lines")
    finally:
        server.should_exit = True
        await task
        access.handlers, access.level, access.propagate = saved
    text = out.getvalue()
    assert "420502199003070127" not in text and "13812340012" not in text
    assert "%E5%8F%B74205**********0127 HTTP/1.1" in text
    assert "%E5%8F%B7138****0012 HTTP/1.1" in text
