"""The error model: domain errors carry a stable code and English and Chinese messages.

A service raises DomainError (or a subclass) from its domain; the gRPC layer turns it into a
status code with the code and messages in trailing metadata; the gateway turns that into an
HTTP problem+json body. Nothing else crosses the boundary: an unexpected exception becomes
INTERNAL with a generic message, and its stack trace stays in the service's log.
"""

from __future__ import annotations

import enum
import json
import logging
from dataclasses import dataclass, field

import grpc

log = logging.getLogger(__name__)


class ErrorKind(enum.Enum):
    """What sort of failure this is; decides the gRPC status and the HTTP status."""

    INVALID = (grpc.StatusCode.INVALID_ARGUMENT, 400)
    UNAUTHENTICATED = (grpc.StatusCode.UNAUTHENTICATED, 401)
    FORBIDDEN = (grpc.StatusCode.PERMISSION_DENIED, 403)
    NOT_FOUND = (grpc.StatusCode.NOT_FOUND, 404)
    CONFLICT = (grpc.StatusCode.ALREADY_EXISTS, 409)
    WRONG_STATE = (grpc.StatusCode.FAILED_PRECONDITION, 409)
    # Well-formed but not acceptable (an idempotency key reused for another request). gRPC has
    # no status of its own for it: the kind travels by name in the error metadata.
    UNPROCESSABLE = (grpc.StatusCode.INVALID_ARGUMENT, 422)
    TOO_MANY = (grpc.StatusCode.RESOURCE_EXHAUSTED, 429)
    UNAVAILABLE = (grpc.StatusCode.UNAVAILABLE, 503)
    TIMEOUT = (grpc.StatusCode.DEADLINE_EXCEEDED, 504)
    INTERNAL = (grpc.StatusCode.INTERNAL, 500)

    @property
    def grpc_status(self) -> grpc.StatusCode:
        return self.value[0]

    @property
    def http_status(self) -> int:
        return self.value[1]

    @classmethod
    def from_grpc(cls, status: grpc.StatusCode) -> ErrorKind:
        for kind in cls:
            if kind.grpc_status == status:
                return kind
        return cls.INTERNAL


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    message_zh: str


@dataclass
class DomainError(Exception):
    code: str
    message: str
    message_zh: str
    kind: ErrorKind = ErrorKind.INVALID
    fields: list[FieldError] = field(default_factory=list)
    # For TOO_MANY: when trying again can succeed (the gateway sends it as Retry-After).
    retry_after_seconds: int = 0

    def __post_init__(self) -> None:
        super().__init__(f"{self.code}: {self.message}")

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    # The trailing metadata that carries the error over gRPC. Keys ending in -bin may hold
    # any bytes, so the Chinese text and the field list travel as UTF-8 JSON.
    def to_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        fields = [f.__dict__ for f in self.fields]
        message, message_zh = self.message, self.message_zh

        def encoded() -> bytes:
            body: dict[str, object] = {
                "code": self.code,
                "message": message,
                "message_zh": message_zh,
                "fields": fields,
                "kind": self.kind.name,
            }
            if self.retry_after_seconds:
                body["retry_after_seconds"] = self.retry_after_seconds
            return json.dumps(body, ensure_ascii=False).encode()

        data = encoded()
        if len(data) > MAX_ERROR_METADATA_BYTES:
            # gRPC drops trailing metadata past 8 to 16 KiB and the caller sees RESOURCE_EXHAUSTED
            # (a 500) instead: a form with hundreds of problems names the first ones.
            message, message_zh = clip(message, 500), clip(message_zh, 300)
            while len(data := encoded()) > MAX_ERROR_METADATA_BYTES and fields:
                fields = fields[: len(fields) // 2]
        return (("x-govhall-error-bin", data),)

    @classmethod
    def from_metadata(cls, status: grpc.StatusCode, metadata: object, details: str | None) -> DomainError:
        # Trailing metadata iterates as (key, value) pairs (grpc.aio.Metadata or a tuple of tuples).
        for key, value in metadata or ():  # type: ignore[attr-defined]
            if key == "x-govhall-error-bin":
                body = json.loads(value if isinstance(value, bytes | str) else b"{}")
                kind = ErrorKind.__members__.get(str(body.get("kind", "")))
                if kind is None or kind.grpc_status != status:
                    kind = ErrorKind.from_grpc(status)
                return cls(
                    code=body["code"],
                    message=body["message"],
                    message_zh=body["message_zh"],
                    kind=kind,
                    fields=[FieldError(**f) for f in body.get("fields", [])],
                    retry_after_seconds=int(body.get("retry_after_seconds", 0)),
                )
        # A bare status is not the service's answer but the transport's or the runtime's
        # ("Received message larger than max", "failed to connect to all addresses"): its text
        # is for the log, never for a caller. Unavailable and late stay what they are (a caller
        # may retry); anything else is an internal error.
        log.warning("an RPC failed with %s and no domain error: %s", status.name, details)
        if status in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            kind = ErrorKind.from_grpc(status)
            return cls(
                code=f"UPSTREAM_{status.name}",
                message=_EN_BY_KIND[kind],
                message_zh=_ZH_BY_KIND[kind],
                kind=kind,
            )
        return cls(INTERNAL_ERROR.code, INTERNAL_ERROR.message, INTERNAL_ERROR.message_zh, ErrorKind.INTERNAL)


_EN_BY_KIND = {
    ErrorKind.TIMEOUT: "a service did not answer in time; try again later",
    ErrorKind.UNAVAILABLE: "a service is unavailable; try again later",
}
# Below gRPC's soft limit on metadata (8 KiB), which the caller's other trailers share.
MAX_ERROR_METADATA_BYTES = 6 * 1024


def clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


_ZH_BY_KIND = {
    ErrorKind.TIMEOUT: "服务响应超时，请稍后再试",
    ErrorKind.UNAVAILABLE: "服务暂时不可用，请稍后再试",
}


def not_found(what: str, what_zh: str, key: str) -> DomainError:
    return DomainError(
        code=f"{what.upper().replace(' ', '_')}_NOT_FOUND",
        message=f"{what} {key} not found",
        message_zh=f"{what_zh}“{key}”不存在",
        kind=ErrorKind.NOT_FOUND,
    )


def invalid(code: str, message: str, message_zh: str, field_name: str | None = None) -> DomainError:
    fields = [FieldError(field_name, message, message_zh)] if field_name else []
    return DomainError(
        code=code, message=message, message_zh=message_zh, kind=ErrorKind.INVALID, fields=fields
    )


def invalid_fields(code: str, problems: list[FieldError]) -> DomainError:
    """One INVALID error naming every bad field, so a form shows all its problems at once."""
    return DomainError(
        code=code,
        message="; ".join(f"{p.field}: {p.message}" for p in problems),
        message_zh="；".join(p.message_zh for p in problems),
        kind=ErrorKind.INVALID,
        fields=problems,
    )


def forbidden(message: str = "not allowed", message_zh: str = "无权进行此操作") -> DomainError:
    return DomainError(code="FORBIDDEN", message=message, message_zh=message_zh, kind=ErrorKind.FORBIDDEN)


INTERNAL_ERROR = DomainError(
    code="INTERNAL",
    message="internal error; it has been logged",
    message_zh="系统内部错误，已记录，请稍后再试",
    kind=ErrorKind.INTERNAL,
)
