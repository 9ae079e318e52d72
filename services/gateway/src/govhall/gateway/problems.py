"""HTTP problem+json (RFC 9457) for every error the gateway returns, in English and Chinese."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException

from govhall.gateway import bounds
from govhall.kit.errors import DomainError, ErrorKind, FieldError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem(err: DomainError, instance: str = "", status: int | None = None) -> JSONResponse:
    status = status or err.kind.http_status
    body: dict[str, Any] = {
        "type": f"urn:govhall:problem:{err.code.lower()}",
        "title": err.message,
        "status": status,
        "code": err.code,
        "detail": err.message,
        "detail_zh": err.message_zh,
    }
    if instance:
        body["instance"] = instance
    if err.fields:
        body["errors"] = [
            {"field": f.field, "message": f.message, "message_zh": f.message_zh} for f in err.fields
        ]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


_ZH_FOR_PYDANTIC = {
    "missing": "此项必填",
    "string_too_short": "内容太短",
    "string_too_long": "内容太长",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "应为整数",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "bool_parsing": "应为 true 或 false",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为列表",
    "string_type": "应为字符串",
    "extra_forbidden": "不允许的字段",
    **bounds.ZH,
}

# A field name as the gateway's models spell them; anything else in a location came from the
# caller (an unknown field's name, a key) and is not repeated back.
FIELD_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
UNNAMED = "(unknown)"


def field_name(location: Any) -> str:
    """("body", "materials", 0, "code") -> "materials[0].code", as services name fields too."""
    parts: list[str] = []
    for part in location:
        if part == "body" and not parts:
            continue
        if isinstance(part, int) and parts:
            parts[-1] += f"[{part}]"
        elif isinstance(part, str) and FIELD_PART.fullmatch(part):
            parts.append(part)
        else:
            parts.append(UNNAMED)
    return ".".join(parts) or "body"


# Why the json module stopped, in Chinese (its English reasons name no input).
_ZH_FOR_JSON = {
    "Expecting value": "此处应为一个值",
    "Expecting ',' delimiter": "此处缺少逗号",
    "Expecting ':' delimiter": "此处缺少冒号",
    "Expecting property name enclosed in double quotes": "属性名应使用双引号",
    "Extra data": "JSON 之后还有多余内容",
    "Unterminated string starting at": "字符串没有结束",
    "Invalid control character at": "字符串中有未转义的控制字符",
    "Invalid \\escape": "转义序列无效",
    "Invalid \\uXXXX escape": "\\u 转义序列无效",
}


def json_error(error: dict[str, Any], document: Any) -> FieldError:
    """Where a body stopped being JSON (line and column) and why, never what it held (FastAPI
    names the position as if it were a field: "1")."""
    position = error["loc"][1]
    reason = str((error.get("ctx") or {}).get("error", "invalid JSON"))
    text = document if isinstance(document, str) else ""
    if isinstance(position, int) and 0 <= position <= len(text):
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        where = f" at line {line} column {column}"
        where_zh = f"（第 {line} 行第 {column} 列）"
    else:
        where, where_zh = "", ""
    return FieldError(
        "body",
        f"the body is not valid JSON: {reason}{where}",
        f"请求体不是有效的 JSON{where_zh}：{_ZH_FOR_JSON.get(reason, '格式有误')}",
    )


def _message(error: Any) -> str:
    """pydantic's message, unless it repeats what the caller sent (an unknown union tag does)."""
    message = str(error.get("msg", "invalid"))
    sent = error.get("input")
    if error.get("type") == "union_tag_invalid" or (
        isinstance(sent, str) and len(sent) >= 4 and sent in message
    ):
        return "invalid value"
    return message


async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    fields = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid" and len(loc) == 2 and loc[0] == "body":
            fields.append(json_error(error, exc.body))
            continue
        name = field_name(error.get("loc", ()))
        fields.append(
            FieldError(
                name,
                _message(error),
                _ZH_FOR_PYDANTIC.get(error.get("type", ""), "输入有误"),
            )
        )
    err = DomainError(
        "REQUEST_INVALID",
        "the request has invalid fields: " + ", ".join(f.field for f in fields),
        # A body's own message says it is the body.
        "请求参数有误："
        + "；".join(f.message_zh if f.field == "body" else f"{f.field}{f.message_zh}" for f in fields),
        ErrorKind.INVALID,
        fields,
    )
    return problem(err, request.url.path)


async def on_domain_error(request: Request, exc: DomainError) -> JSONResponse:
    if exc.kind in (ErrorKind.INTERNAL, ErrorKind.UNAVAILABLE, ErrorKind.TIMEOUT):
        log.warning("%s %s -> %s", request.method, request.url.path, exc.code)
    response = problem(exc, request.url.path)
    if exc.kind == ErrorKind.UNAUTHENTICATED:
        response.headers["WWW-Authenticate"] = 'Bearer realm="govhall"'
    if exc.retry_after_seconds > 0:
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
    return response


_HTTP_ZH = {404: ("NOT_FOUND", "未找到该地址"), 405: ("METHOD_NOT_ALLOWED", "不支持该请求方法")}


async def on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
    code, zh = _HTTP_ZH.get(exc.status_code, ("HTTP_ERROR", "请求有误"))
    kind = next((k for k in ErrorKind if k.http_status == exc.status_code), ErrorKind.INVALID)
    err = DomainError(code, str(exc.detail), zh, kind)
    response = problem(err, request.url.path, exc.status_code)
    # Keep what the error carries for the client, e.g. the Allow header a 405 must have (RFC 9110).
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


def allowed_methods(request: Request) -> list[str]:
    """The methods of the resource at the request's path, as the OpenAPI document has them:
    Starlette names only the first route's, though GET and PUT of one resource are two routes;
    and a concrete path (/cases/status-query) is its own resource, not one of /cases/{case_id}."""
    by_template: dict[int, set[str]] = {}
    for route in iter_route_contexts(request.app.routes):
        path_regex = getattr(route, "path_regex", None)
        if path_regex is not None and path_regex.match(request.url.path):
            templated = (route.path_format or "").count("{")
            by_template.setdefault(templated, set()).update(route.methods or ())
    return sorted(by_template[min(by_template)]) if by_template else []


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    err = DomainError(
        "INTERNAL",
        "internal error; it has been logged",
        "系统内部错误，已记录，请稍后再试",
        ErrorKind.INTERNAL,
    )
    return problem(err, request.url.path)
