"""The caller identity: who is calling, as a servicer sees it with `current_caller()`.

A service believes a caller only from a signed assertion addressed to it (`govhall.kit.trust`);
the server interceptor verifies it and sets the context variable read here.

On the client side, `caller_metadata(caller)` says on whose behalf a call is made: the entry is
for the channel's signing interceptor (`grpcclient.channel(..., signer=...)`), which replaces it
with an assertion signed for the channel's service. It never leaves the process, and no server
reads it: sent by a channel without a signer, the call arrives unsigned and is refused.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable

from govhall.kit.errors import DomainError, ErrorKind
from govhall.protos.common.v1 import common_pb2

CALLER_METADATA_KEY = "x-govhall-caller-to-sign-bin"

ANONYMOUS = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ANONYMOUS)

_current: contextvars.ContextVar[common_pb2.CallerIdentity] = contextvars.ContextVar(
    "govhall_caller", default=ANONYMOUS
)


def current_caller() -> common_pb2.CallerIdentity:
    return _current.get()


def set_caller(caller: common_pb2.CallerIdentity) -> contextvars.Token[common_pb2.CallerIdentity]:
    return _current.set(caller)


def reset_caller(token: contextvars.Token[common_pb2.CallerIdentity]) -> None:
    _current.reset(token)


def caller_metadata(caller: common_pb2.CallerIdentity) -> tuple[tuple[str, bytes], ...]:
    return ((CALLER_METADATA_KEY, caller.SerializeToString()),)


def caller_to_sign(
    metadata: Iterable[tuple[str, str | bytes]] | None, default: common_pb2.CallerIdentity
) -> tuple[common_pb2.CallerIdentity, list[tuple[str, str | bytes]]]:
    """The caller a call is made for (``default`` when none is named) and the other entries."""
    caller, rest = default, []
    for key, value in metadata or ():
        if key == CALLER_METADATA_KEY and isinstance(value, bytes):
            caller = common_pb2.CallerIdentity.FromString(value)
        else:
            rest.append((key, value))
    return caller, rest


def is_admin(caller: common_pb2.CallerIdentity) -> bool:
    return caller.kind == common_pb2.CALLER_KIND_ADMIN


def require_service(service: str, service_zh: str) -> None:
    """For RPCs only one service may call (cases' and licences' for crossprovince): the caller
    must be that service by its signed assertion (a service asserts only itself); anyone else,
    user or other service, gets FORBIDDEN `<SERVICE>_ONLY`."""
    caller = current_caller()
    if caller.kind != common_pb2.CALLER_KIND_SERVICE or caller.subject != service:
        raise DomainError(
            f"{service.upper()}_ONLY",
            f"only the {service} service may call this",
            f"仅{service_zh}可以调用该接口",
            ErrorKind.FORBIDDEN,
        )
