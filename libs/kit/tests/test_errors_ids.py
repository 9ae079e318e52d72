"""The error model's round trip over gRPC metadata, and the ids."""

import logging
import re
import time

import grpc
import pytest

from govhall.kit.errors import MAX_ERROR_METADATA_BYTES, DomainError, ErrorKind, FieldError, invalid_fields
from govhall.kit.ids import new_id
from govhall.kit.testing import wait_until_sync


def test_domain_error_survives_the_metadata_round_trip() -> None:
    err = DomainError(
        "MATTER_INVALID",
        "name is empty",
        "事项名称不能为空",
        ErrorKind.INVALID,
        [FieldError("name", "empty", "不能为空")],
    )
    back = DomainError.from_metadata(grpc.StatusCode.INVALID_ARGUMENT, err.to_metadata(), "name is empty")
    assert (back.code, back.message_zh, back.kind, back.fields) == (
        err.code,
        err.message_zh,
        err.kind,
        err.fields,
    )
    assert back.kind.http_status == 400


def test_when_to_try_again_survives_the_round_trip() -> None:
    err = DomainError("LOGIN_TOO_SOON", "wait", "请稍后", ErrorKind.TOO_MANY, retry_after_seconds=8)
    back = DomainError.from_metadata(grpc.StatusCode.RESOURCE_EXHAUSTED, err.to_metadata(), "wait")
    assert (back.code, back.kind.http_status, back.retry_after_seconds) == ("LOGIN_TOO_SOON", 429, 8)
    plain = DomainError.from_metadata(
        grpc.StatusCode.INVALID_ARGUMENT, DomainError("X", "x", "x").to_metadata(), ""
    )
    assert plain.retry_after_seconds == 0


def test_a_kind_without_a_grpc_status_of_its_own_survives_by_name() -> None:
    err = DomainError("IDEMPOTENCY_KEY_REUSED", "reused", "幂等键已用于其他请求", ErrorKind.UNPROCESSABLE)
    back = DomainError.from_metadata(err.kind.grpc_status, err.to_metadata(), "reused")
    assert back.kind is ErrorKind.UNPROCESSABLE and back.kind.http_status == 422
    # A name that disagrees with the status is not believed.
    forged = DomainError.from_metadata(grpc.StatusCode.NOT_FOUND, err.to_metadata(), "reused")
    assert forged.kind is ErrorKind.NOT_FOUND


def test_a_bare_status_becomes_a_generic_error_with_chinese() -> None:
    err = DomainError.from_metadata(grpc.StatusCode.UNAVAILABLE, (), "connection refused")
    assert err.code == "UPSTREAM_UNAVAILABLE" and err.kind.http_status == 503
    assert err.message_zh == "服务暂时不可用，请稍后再试"
    assert "connection refused" not in err.message


@pytest.mark.parametrize(
    "status",
    [
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.PERMISSION_DENIED,
    ],
)
def test_a_bare_status_is_internal_and_its_text_only_logged(
    status: grpc.StatusCode, caplog: pytest.LogCaptureFixture
) -> None:
    """Without the service's error in the metadata, a status is the transport's (a 20 MB body:
    RESOURCE_EXHAUSTED "Received message larger than max"): not the caller's fault, not for them to read."""
    details = "Received message larger than max (20971620 vs. 4194304)"
    with caplog.at_level(logging.WARNING, logger="govhall.kit.errors"):
        err = DomainError.from_metadata(status, (), details)
    assert (err.code, err.kind.http_status) == ("INTERNAL", 500)
    assert "larger than max" not in err.message + err.message_zh
    assert details in caplog.text


def test_ids_are_uuid7_and_sort_by_time() -> None:
    first = new_id()
    # The next millisecond (the ids' time part), however long the machine takes to get there.
    wait_until_sync(lambda: time.time_ns() // 1_000_000 > int(first[:8] + first[9:13], 16), interval=0.001)
    ids = [new_id() for _ in range(1000)]
    assert all(
        re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", i) for i in ids
    )
    assert len(set(ids)) == 1000
    assert first < min(ids)


def test_an_error_naming_hundreds_of_fields_still_fits_in_grpc_metadata() -> None:
    # A matter with 200 empty form sections: the whole list would exceed gRPC's limit on
    # trailing metadata, and the caller would get RESOURCE_EXHAUSTED (a 500) instead.
    problems = [
        FieldError(f"situations[0].options[0].form_sections[{i}]", "must not be empty", "不能为空")
        for i in range(200)
    ]
    err = invalid_fields("MATTER_INVALID", problems)
    [(key, value)] = err.to_metadata()
    assert key == "x-govhall-error-bin" and len(value) <= MAX_ERROR_METADATA_BYTES
    back = DomainError.from_metadata(grpc.StatusCode.INVALID_ARGUMENT, err.to_metadata(), "")
    assert back.code == "MATTER_INVALID" and back.kind is ErrorKind.INVALID
    assert 10 <= len(back.fields) < 200 and back.fields == problems[: len(back.fields)]
    assert back.message.endswith("…") and back.message_zh.startswith("不能为空")
    # A small error is carried whole.
    small = invalid_fields("MATTER_INVALID", problems[:3])
    assert (
        DomainError.from_metadata(grpc.StatusCode.INVALID_ARGUMENT, small.to_metadata(), "").fields
        == problems[:3]
    )
