"""The caller identity: who is calling, carried in gRPC metadata from the gateway to services.

The gateway authenticates and puts a serialised common.v1.CallerIdentity into the
`x-govhall-caller-bin` metadata entry; the server interceptor reads it into a context variable
that the servicer reads with `current_caller()`. A call without it is anonymous.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable

from govhall.protos.common.v1 import common_pb2

CALLER_METADATA_KEY = "x-govhall-caller-bin"

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


def caller_from_metadata(metadata: Iterable[tuple[str, str | bytes]] | None) -> common_pb2.CallerIdentity:
    for key, value in metadata or ():
        if key == CALLER_METADATA_KEY and isinstance(value, bytes):
            return common_pb2.CallerIdentity.FromString(value)
    return ANONYMOUS


def is_admin(caller: common_pb2.CallerIdentity) -> bool:
    return caller.kind == common_pb2.CALLER_KIND_ADMIN
